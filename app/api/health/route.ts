import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { formatBytes } from "@/lib/images/limits";
import { getJobRunner } from "@/lib/server/sessions";
import { getStorage } from "@/lib/storage";
import type { Storage } from "@/lib/storage/types";

export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/** Bytes an unprivileged process may still write where `dir` lives (what `df` shows as available). */
async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/** How long a probe waits for the database or the bucket before calling it down. */
const SERVER_CHECK_TIMEOUT_MS = 3_000;

function within(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * "ok" or "down" for the database, the object store and the shared job queue (its own connection
 * and a query on its tables), when the studio has such servers.
 */
async function checkServers(storage: Storage, sharedQueue: boolean): Promise<Record<string, "ok" | "down">> {
  const checks: Array<[name: string, ping: () => Promise<void>]> = [];
  if (storage.ping) checks.push(["database", () => storage.ping!()]);
  if (storage.images.ping) checks.push(["object store", () => storage.images.ping!()]);
  if (sharedQueue) checks.push(["job queue", async () => (await getJobRunner()).checkQueue()]);
  const results = await Promise.all(
    checks.map(async ([name, ping]): Promise<[string, "ok" | "down"]> => {
      try {
        await within(ping(), SERVER_CHECK_TIMEOUT_MS);
        return [name, "ok"];
      } catch {
        return [name, "down"];
      }
    }),
  );
  return Object.fromEntries(results);
}

/**
 * Readiness: the environment is valid, the database opens (and, with DATABASE_URL, the database
 * server, the bucket and the shared job queue answer now), the data directory accepts writes and has at least
 * STUDIO_MIN_FREE_DISK_MB free. The write probe alone passes on a disk with a few KB
 * left, where the next generation's images would fail.
 */
export async function GET() {
  let mode: string;
  let dataDir: string;
  let minFreeDiskBytes: number;
  let databaseUrl: string | undefined;
  try {
    ({ mode, dataDir, minFreeDiskBytes, databaseUrl } = getEnv());
  } catch {
    return Response.json({ status: "error", reason: "invalid environment" }, { status: 503, headers: noStore });
  }
  let storage: Storage;
  try {
    storage = await getStorage();
  } catch {
    return Response.json({ status: "error", mode, reason: "storage could not be opened" }, { status: 503, headers: noStore });
  }
  // With DATABASE_URL the database and the bucket are servers of their own, up or down since the
  // storage opened: each is asked again, within a bound, on every probe.
  const servers = await checkServers(storage, databaseUrl !== undefined);
  const down = Object.entries(servers).filter(([, state]) => state !== "ok");
  if (down.length > 0) {
    return Response.json(
      { status: "error", mode, reason: `${down.map(([name]) => name).join(" and ")} unreachable`, checks: servers },
      { status: 503, headers: noStore },
    );
  }
  const probe = path.join(dataDir, "tmp", `health-${randomUUID()}`);
  try {
    await fs.mkdir(path.dirname(probe), { recursive: true });
    await fs.writeFile(probe, "");
    await fs.rm(probe);
  } catch {
    return Response.json({ status: "error", mode, reason: "data directory is not writable" }, { status: 503, headers: noStore });
  }
  let free: number;
  try {
    free = await freeBytes(dataDir);
  } catch {
    return Response.json({ status: "error", mode, reason: "free disk space could not be read" }, { status: 503, headers: noStore });
  }
  if (free < minFreeDiskBytes) {
    return Response.json(
      {
        status: "error",
        mode,
        reason: "low disk space",
        detail: `${formatBytes(free)} free in the data directory; at least ${formatBytes(minFreeDiskBytes)} is required (STUDIO_MIN_FREE_DISK_MB).`,
        freeBytes: free,
      },
      { status: 503, headers: noStore },
    );
  }
  return Response.json({ status: "ok", mode, freeBytes: free, ...(Object.keys(servers).length > 0 ? { checks: servers } : {}) }, { headers: noStore });
}
