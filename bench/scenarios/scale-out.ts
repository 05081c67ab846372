import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { findPostgresBin, skipPostgres, startPostgres, type PostgresCluster } from "../../test/support/postgres-cluster";
import pg from "pg";
import { createAppClient, type AppClient } from "../lib/app-client";
import { startApp, type AppHost } from "../lib/app-host";
import { BENCH_COOKIE } from "../lib/auth";
import { epochNow, type BenchContext } from "../lib/context";
import { startS3Process } from "../lib/s3-process";
import { createDirectClient } from "../lib/direct-sdk";
import { flashSettings } from "../lib/settings";
import { medianInterval, round, summarize } from "../lib/stats";
import type { ImageSize } from "../../lib/gemini/types";

const COUNT = 32;
const LATENCY_MS = 2_000;
const SIZES: ImageSize[] = ["1K", "2K"];
/** Past the follow-ups scenario's two studios (app port + 1, + 2), so a lingering one never collides. */
const PORT_STEP = 3;

/**
 * Scenario 11: the studio scaled out as a team runs it ("Deploy for a team" in README.md): two
 * `next start` studios from the bench's build on one throwaway PostgreSQL cluster and one S3 bucket
 * (the tests' own support code: test/support/postgres-cluster.ts, s3rver in
 * test/support/s3-server.ts), sharing the durable job queue, against the bench's emulator.
 * Both are signed in with the seeded admin session (one database, one account).
 *
 * (a) Concurrency, as scenario 2 measures it (2K, images only, the emulator waiting 2 s before
 *     each chunk, plain payloads): the same 32 requests made at once straight with the SDK (the
 *     emulator's own time under that load), then 32 started at once through the studios,
 *     alternating between them, then 32 through the bench's SQLite studio, for reference.
 * (b) Sequential single generations (realistic payloads, emulator latency 0): one through studio A
 *     of the PostgreSQL + S3 setup, one through the SQLite studio, alternating which goes first.
 *     For each, what the studio added over the emulator's own time for its request (first request
 *     byte to last answer byte, stamped in the emulator's process, as in the follow-ups scenario);
 *     the figure is the difference of the pair, PostgreSQL minus SQLite. Whichever instance claims
 *     the job runs it: when it is B, A's event stream is fed through the database, as a team's
 *     load balancer would have it.
 *
 * Skipped, with the reason, when PostgreSQL's binaries are missing or STUDIO_SKIP_PG=1.
 */
export async function runScaleOut(context: BenchContext) {
  const bin = findPostgresBin();
  if (skipPostgres) return { skipped: "STUDIO_SKIP_PG=1: the PostgreSQL scenarios are skipped on purpose." };
  if (bin === null) return { skipped: "PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql): `apt-get install -y postgresql`." };

  const { emulator, log, workDir } = context;
  const runs = context.quick ? 6 : 24;
  const base = path.join(workDir, "scale-out");
  mkdirSync(base, { recursive: true });
  const appPort = Number(new URL(context.app.url).port);
  let cluster: PostgresCluster | undefined;
  let s3: Awaited<ReturnType<typeof startS3Process>> | undefined;
  const studios: AppHost[] = [];
  // Diagnostics (BENCH_SCALE_OUT_TRACE=1): every SQL statement and every S3 request, timestamped,
  // into the work directory, to attribute a generation's time to its round trips.
  const trace = process.env.BENCH_SCALE_OUT_TRACE === "1";
  let postgresLog: string | null = null;
  try {
    cluster = await startPostgres(bin);
    if (trace) postgresLog = await logEveryStatement(cluster.url());
    s3 = await startS3Process(trace ? { traceFile: path.join(base, "s3-requests.log") } : {});
    const env = {
      DATABASE_URL: await cluster.createDatabase(),
      STUDIO_S3_BUCKET: s3.bucket,
      STUDIO_S3_ENDPOINT: s3.endpoint,
      STUDIO_S3_REGION: s3.region,
      STUDIO_S3_ACCESS_KEY_ID: s3.accessKeyId,
      STUDIO_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      STUDIO_S3_FORCE_PATH_STYLE: "1",
    };
    // One after the other: the first creates the schema and the seeded admin.
    for (const name of ["a", "b"]) {
      const studio = await startApp({
        port: appPort + PORT_STEP + studios.length,
        emulatorUrl: emulator.url,
        dataDir: path.join(base, name),
        logFile: path.join(base, `${name}.log`),
        env,
      });
      studios.push(studio);
      const home = await fetch(`${studio.url}/`, { headers: { cookie: BENCH_COOKIE }, redirect: "manual" });
      if (home.status !== 200) throw new Error(`Studio ${name} on PostgreSQL did not sign the seeded admin in: / answered ${home.status}.`);
      log(`scale-out: studio ${name} on ${studio.url} (PostgreSQL + S3) after ${studio.startSeconds.toFixed(1)} s`);
    }
    const clients = studios.map((studio) => createAppClient(studio.url, context.actionIds));
    const sqlite = context.client;

    // Warm-up: each studio's first generations pay compilation and new connections.
    await emulator.configure({ latencyMs: 0, realisticPayload: true });
    for (const [index, client] of [...clients, sqlite].entries()) {
      const session = await newSession(client, `bench scale-out warm-up ${index}`);
      for (let turn = 0; turn < 3; turn += 1) await generate(client, session, `bench scale-out warm-up ${index}.${turn}`, flashSettings("1K"));
    }

    log("scale-out: 32 at once (direct, two studios on PostgreSQL + S3, one on SQLite)…");
    const concurrency = await measureConcurrency(context, clients, sqlite);
    log(`scale-out: two studios ${concurrency.scaleOut.wallMs} ms (${concurrency.scaleOut.ratioToDirect}x), direct ${concurrency.baseline.directConcurrentWallMs} ms`);

    const sequential: Record<string, unknown> = {};
    for (const size of SIZES) {
      log(`scale-out: ${runs} single generations at ${size}, PostgreSQL + S3 and SQLite alternating…`);
      sequential[size] = await measureSequential(context, clients[0] as AppClient, sqlite, size, runs);
    }
    await emulator.configure({ latencyMs: 0, realisticPayload: true });
    return { postgresBin: bin, concurrency, sequential, studioStartSeconds: studios.map((studio) => round(studio.startSeconds)) };
  } finally {
    for (const studio of studios) await studio.stop();
    await s3?.stop();
    if (postgresLog) copyFileSync(postgresLog, path.join(base, "postgres.log"));
    await cluster?.stop();
  }
}

/** Has the cluster log every statement with its duration and a millisecond timestamp; returns the log file. */
async function logEveryStatement(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("ALTER SYSTEM SET log_min_duration_statement = 0");
    await client.query("ALTER SYSTEM SET log_line_prefix = '%n [%p] '");
    await client.query("SELECT pg_reload_conf()");
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    // test/support/postgres-cluster.ts starts the server with its log beside the data directory.
    return path.join(path.dirname(rows[0]?.data_directory ?? ""), "server.log");
  } finally {
    await client.end();
  }
}

async function newSession(client: AppClient, title: string): Promise<string> {
  const session = await client.createSession(title);
  if (!session.ok) throw new Error(`createSession: ${session.error.message}`);
  return session.data.id;
}

async function generate(client: AppClient, sessionId: string, prompt: string, settings: ReturnType<typeof flashSettings>) {
  const started = await client.startTurn({ sessionId, parentId: null, prompt, references: [], settings });
  if (!started.ok) throw new Error(`startTurn: ${started.error.code}: ${started.error.message}`);
  const acceptedAt = epochNow();
  const { terminal, events } = await client.follow(started.data.id);
  if (terminal.type !== "done") throw new Error(`The turn ended ${terminal.type}: ${JSON.stringify("turn" in terminal ? terminal.turn.error : null)}`);
  return { acceptedAt, events, queued: started.data.status === "queued" };
}

/** (a): scenario 2's first pass (all 32 at once, a refused start is a failure) on each setup, with the direct baseline first. */
async function measureConcurrency(context: BenchContext, clients: AppClient[], sqlite: AppClient) {
  const { emulator } = context;
  const settings = flashSettings("2K", { imageOnly: true, showThoughts: false });
  const direct = createDirectClient(emulator.url);
  await emulator.configure({ latencyMs: LATENCY_MS, realisticPayload: false });
  const tag = Date.now().toString(36);

  const singleStart = epochNow();
  await direct.generate(`bench scale-out single ${tag}`, settings);
  const singleMs = epochNow() - singleStart;
  const directStart = epochNow();
  const directTimes = await Promise.all(
    Array.from({ length: COUNT }, async (_, index) => {
      await direct.generate(`bench scale-out direct ${tag} ${index}`, settings);
      return epochNow() - directStart;
    }),
  );
  const directWallMs = Math.max(...directTimes);

  async function pass(name: string, clientFor: (index: number) => AppClient) {
    const sessions = await Promise.all(Array.from({ length: COUNT }, (_, index) => newSession(clientFor(index), `bench scale-out ${name} ${index}`)));
    const start = epochNow();
    const outcomes = await Promise.all(
      sessions.map(async (sessionId, index) => {
        try {
          const { queued } = await generate(clientFor(index), sessionId, `bench scale-out ${name} ${tag} ${index}`, settings);
          return { ok: true, ms: epochNow() - start, queued, error: "" };
        } catch (error) {
          return { ok: false, ms: epochNow() - start, queued: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const wallMs = epochNow() - start;
    const succeeded = outcomes.filter((outcome) => outcome.ok);
    return {
      succeeded: succeeded.length,
      failed: outcomes.length - succeeded.length,
      firstError: outcomes.find((outcome) => !outcome.ok)?.error ?? null,
      queuedStarts: outcomes.filter((outcome) => outcome.queued).length,
      wallMs: round(wallMs),
      ratioToDirect: round(wallMs / directWallMs, 2),
      perGenerationMs: summarize(succeeded.map((outcome) => outcome.ms)),
    };
  }

  const scaleOut = await pass("two instances", (index) => clients[index % clients.length] as AppClient);
  const sqliteOne = await pass("sqlite", () => sqlite);
  return {
    count: COUNT,
    latencyMsPerChunk: LATENCY_MS,
    settings,
    baseline: { singleDirectMs: round(singleMs), directConcurrentWallMs: round(directWallMs), directPerRequestMs: summarize(directTimes) },
    scaleOut,
    sqlite: sqliteOne,
  };
}

/** (b): pairs of single generations, PostgreSQL + S3 (studio A) and SQLite, each against the emulator's own time for its request. */
async function measureSequential(context: BenchContext, postgres: AppClient, sqlite: AppClient, size: ImageSize, runs: number) {
  const { emulator } = context;
  const settings = flashSettings(size);
  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  const clock = await emulator.clockOffset();
  const tag = Date.now().toString(36);
  const sessions = { postgres: await newSession(postgres, `bench scale-out ${size}`), sqlite: await newSession(sqlite, `bench scale-out ${size}`) };

  async function one(side: "postgres" | "sqlite", prompt: string) {
    const client = side === "postgres" ? postgres : sqlite;
    const mark = await emulator.mark();
    const start = epochNow();
    const { acceptedAt, events } = await generate(client, sessions[side], prompt, settings);
    const end = epochNow();
    const timings = await emulator.timings(mark);
    if (timings.length !== 1) throw new Error(`Expected one model request per generation, the emulator saw ${timings.length}.`);
    const [timing] = timings;
    if (!timing?.endAt) throw new Error("No emulator timing for the generation.");
    const emulatorMs = timing.endAt - timing.receivedAt;
    const imageAt = performance.timeOrigin + (events.find((event) => event.type === "image")?.at ?? Number.NaN);
    const emulatorEnd = timing.endAt - clock.offsetMs;
    return {
      startedAt: start,
      addedMs: end - start - emulatorMs,
      totalMs: end - start,
      emulatorMs,
      actionMs: acceptedAt - start,
      // Start of the action to the request's first bytes at the emulator: the insert, the claim, the job's start.
      beforeEmulatorMs: timing.receivedAt - clock.offsetMs - start,
      // The emulator's last byte to `done` here: the image stored, the turn final, the events delivered.
      afterEmulatorMs: end - emulatorEnd,
      imageEventAfterEmulatorMs: imageAt - emulatorEnd,
    };
  }

  const pairs: Array<{ postgres: Awaited<ReturnType<typeof one>>; sqlite: Awaited<ReturnType<typeof one>> }> = [];
  for (let index = 0; index < runs; index += 1) {
    const prompt = (side: string) => `bench scale-out ${size} ${tag} run ${index} ${side}`;
    if (index % 2 === 0) {
      const pg = await one("postgres", prompt("pg"));
      pairs.push({ postgres: pg, sqlite: await one("sqlite", prompt("sqlite")) });
    } else {
      const lite = await one("sqlite", prompt("sqlite"));
      pairs.push({ postgres: await one("postgres", prompt("pg")), sqlite: lite });
    }
  }

  const difference = pairs.map((pair) => pair.postgres.addedMs - pair.sqlite.addedMs);
  const side = (name: "postgres" | "sqlite") =>
    Object.fromEntries(
      (["addedMs", "totalMs", "emulatorMs", "actionMs", "beforeEmulatorMs", "afterEmulatorMs", "imageEventAfterEmulatorMs"] as const).map((key) => {
        const values = pairs.map((pair) => pair[name][key]);
        return [key, key === "addedMs" ? { ...summarize(values), p50Interval95: medianInterval(values) } : summarize(values)];
      }),
    );
  return {
    size,
    runs: pairs.length,
    emulatorClock: clock,
    differenceMs: { ...summarize(difference), p50Interval95: medianInterval(difference) },
    postgres: side("postgres"),
    sqlite: side("sqlite"),
    perRun: pairs.map((pair) => ({
      postgres: Object.fromEntries(Object.entries(pair.postgres).map(([key, value]) => [key, round(value)])),
      sqlite: Object.fromEntries(Object.entries(pair.sqlite).map(([key, value]) => [key, round(value)])),
    })),
  };
}
