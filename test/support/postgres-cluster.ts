import { execFile, spawnSync } from "node:child_process";
import { existsSync, promises as fs, readdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temp directory, `pg_ctl start` on a free
 * port, `pg_ctl stop` and the directory removed afterwards. Real PostgreSQL, never a mock, so the
 * tests see its locking, type and error behaviour.
 *
 * initdb refuses to run as root, and CI runs as root: there the cluster belongs to the `postgres`
 * system user (created by Debian's package), and the commands run as that user through `runuser`.
 * The cluster uses trust authentication on 127.0.0.1 and a socket inside its own directory, so it
 * never touches the machine's own PostgreSQL.
 *
 * Missing binaries fail the tests with the command that installs them; STUDIO_SKIP_PG=1 skips
 * them instead, for a machine where PostgreSQL can't be installed (and says so on purpose).
 */

const run = promisify(execFile);

export const POSTGRES_INSTALL_HINT =
  "PostgreSQL is not installed: run `apt-get install -y postgresql` (Debian/Ubuntu), or set STUDIO_SKIP_PG=1 to skip the PostgreSQL tests.";

export const skipPostgres = process.env.STUDIO_SKIP_PG === "1";

/** The directory holding initdb and pg_ctl: on PATH, or Debian's versioned directory. */
export function findPostgresBin(searchPath = process.env.PATH ?? "", debian = "/usr/lib/postgresql"): string | null {
  const onPath = (spawnSync("/bin/sh", ["-c", "command -v initdb"], { encoding: "utf8", env: { ...process.env, PATH: searchPath } }).stdout ?? "").trim();
  if (onPath && existsSync(path.join(path.dirname(onPath), "pg_ctl"))) return path.dirname(onPath);
  if (!existsSync(debian)) return null;
  const versions = readdirSync(debian)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(debian, version, "bin");
    if (existsSync(path.join(bin, "initdb")) && existsSync(path.join(bin, "pg_ctl"))) return bin;
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresCluster {
  port: number;
  /** A connection string for database `name` as the superuser `postgres`. */
  url(database?: string): string;
  /** A new, empty database with a unique name; returns its connection string. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(bin = findPostgresBin()): Promise<PostgresCluster> {
  if (!bin) throw new Error(POSTGRES_INSTALL_HINT);
  const asRoot = process.getuid?.() === 0;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-pg-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");

  /** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
  async function pgCommand(name: string, args: string[]): Promise<void> {
    const command = path.join(bin as string, name);
    try {
      if (asRoot) await run("runuser", ["-u", "postgres", "--", command, ...args]);
      else await run(command, args);
    } catch (error) {
      const log = await fs.readFile(logFile, "utf8").catch(() => "");
      const { stderr } = error as { stderr?: string };
      throw new Error(`${name} failed: ${stderr ?? String(error)}${log ? `\nserver log:\n${log}` : ""}`, { cause: error });
    }
  }

  if (asRoot) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    if (ids.status !== 0) {
      throw new Error("Running as root, the tests start PostgreSQL as the `postgres` system user, which does not exist. " + POSTGRES_INSTALL_HINT);
    }
    const uid = Number(ids.stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    await fs.chown(dir, uid, gid);
  }

  const port = await freePort();
  await pgCommand("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
  // Durability is irrelevant for a cluster that lives one test file: skip fsync for speed.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await pgCommand("pg_ctl", ["-D", dataDir, "-l", logFile, "-o", options, "-w", "-t", "60", "start"]);

  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let databases = 0;
  let stopped = false;

  return {
    port,
    url,
    async createDatabase() {
      databases += 1;
      const name = `test_${process.pid}_${databases}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await pgCommand("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

