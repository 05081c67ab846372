/**
 * Where the scale-out setup's added time per generation goes, call by call: the job runner of
 * lib/server/jobs/runner.ts in this process, once over PostgreSQL + S3 with the shared queue (and a
 * second instance on the same database and bucket, idling as studio B does in scenario 11) and once
 * over SQLite, alternating, against the bench's emulator in its own process (realistic payloads,
 * latency 0). Every storage and queue call the runner makes is timed from this side (a proxy around
 * the objects it is given: nothing in lib/ changes), and so is every job event, against the
 * emulator's last answer byte (stamped in its process, clock offset corrected).
 *
 * Scenario 11 measures the studio through Next, the server action and the SSE stream; those are the
 * same on both setups (the job is followed in memory on the instance that took the start), so what
 * differs between them is in here. Diagnostics, not a scenario.
 *
 *   node --conditions=react-server --import tsx bench/tools/scale-out-phases.ts [runs] [1K|2K]
 *
 * Prints, per setup, the p50 of each phase relative to the emulator's last byte, and for each call
 * made after it (by name and in order) its start, end and duration.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { findPostgresBin, freePort, startPostgres } from "../../test/support/postgres-cluster";
import { createGeminiGateway } from "../../lib/gemini/client";
import type { ImageSize } from "../../lib/gemini/types";
import { createJobRunner, type JobRunner } from "../../lib/server/jobs/runner";
import { openSharedJobQueue, type SharedJobQueue } from "../../lib/server/jobs/shared-queue";
import { openPostgresStorage } from "../../lib/storage/postgres/postgres-storage";
import { createS3ImageStore } from "../../lib/storage/s3/s3-image-store";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import type { Storage } from "../../lib/storage/types";
import { isTerminalJobEvent, type JobEvent } from "../../lib/studio/job-events";
import { startEmulatorHost } from "../lib/emulator-host";
import { startS3Process } from "../lib/s3-process";
import { flashSettings } from "../lib/settings";
import { percentile } from "../lib/stats";

const runs = Number(process.argv[2] ?? 16);
const size = (process.argv[3] ?? "1K") as ImageSize;
const now = () => performance.timeOrigin + performance.now();

interface Span {
  name: string;
  start: number;
  end: number;
}

/** Every call of the listed members (one level of repositories for a storage) is timed into `spans`. */
function traced<T extends object>(target: T, prefix: string, spans: Span[], nested: readonly string[] = []): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver) as unknown;
      if (typeof key !== "string") return value;
      if (nested.includes(key) && value && typeof value === "object") return traced(value, `${prefix}${key}.`, spans);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const span = { name: `${prefix}${key}`, start: now(), end: Number.NaN };
        spans.push(span);
        const result = (value as (...all: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) {
          return result.finally(() => {
            span.end = now();
          });
        }
        span.end = now();
        return result;
      };
    },
  });
}

const REPOSITORIES = ["sessions", "turns", "modelTurns", "images", "budgets"] as const;

interface Setup {
  name: string;
  runner: JobRunner;
  storage: Storage;
  spans: Span[];
  close(): Promise<void>;
}

async function main() {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL's binaries are needed (apt-get install -y postgresql).");
  const emulator = await startEmulatorHost({ port: await freePort() });
  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  const gateway = createGeminiGateway({ apiKey: "bench-key", baseUrl: emulator.url });
  const cluster = await startPostgres(bin);
  const s3 = await startS3Process();
  const dataDir = mkdtempSync(path.join(tmpdir(), "scale-out-phases-"));
  const setups: Setup[] = [];
  try {
    const databaseUrl = await cluster.createDatabase();
    const s3Options = { bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true };
    // Two instances, as scenario 11 runs them: A takes every start here; B only idles (its tick).
    const instances: Array<{ storage: Storage; queue: SharedJobQueue; runner: JobRunner }> = [];
    for (let index = 0; index < 2; index += 1) {
      const storage = await openPostgresStorage({ connectionString: databaseUrl, images: createS3ImageStore(s3Options) });
      const queue = await openSharedJobQueue({ storage, connectionString: databaseUrl, maxConcurrentJobs: 32 });
      const spans: Span[] = [];
      const wrappedStorage = traced(storage, "", spans, REPOSITORIES);
      const runner = createJobRunner({ storage: wrappedStorage, gateway: () => gateway, queue: traced(queue, "queue.", spans) });
      instances.push({ storage: wrappedStorage, queue, runner });
      if (index === 0) setups.push({ name: "postgres+s3", runner, storage: wrappedStorage, spans, close: async () => undefined });
    }
    const closeInstances = async () => {
      for (const instance of instances) {
        await instance.runner.shutdown();
        await instance.storage.close();
      }
    };
    const sqliteStorage = openSqliteStorage({ dataDir });
    const sqliteSpans: Span[] = [];
    const wrappedSqlite = traced(sqliteStorage, "", sqliteSpans, REPOSITORIES);
    setups.push({
      name: "sqlite",
      runner: createJobRunner({ storage: wrappedSqlite, gateway: () => gateway }),
      storage: wrappedSqlite,
      spans: sqliteSpans,
      close: async () => sqliteStorage.close(),
    });

    const clock = await emulator.clockOffset();
    const settings = flashSettings(size);
    const sessions = new Map<string, string>();
    for (const setup of setups) sessions.set(setup.name, (await setup.storage.sessions.create({ ownerId: "local", title: "phases" })).id);

    async function one(setup: Setup, prompt: string) {
      const mark = await emulator.mark();
      setup.spans.length = 0;
      const events: Array<{ type: string; at: number }> = [];
      const start = now();
      let finished = () => {};
      const ended = new Promise<void>((resolve) => {
        finished = resolve;
      });
      const started = await setup.runner.startTurn({ ownerId: "local", sessionId: sessions.get(setup.name) as string, parentId: null, request: { prompt, references: [], settings } });
      const startedAt = now();
      if (!started.ok) throw new Error(`start: ${started.error.message}`);
      const unsubscribe = setup.runner.subscribe("local", started.data.id, (event: JobEvent) => {
        events.push({ type: event.type, at: now() });
        if (isTerminalJobEvent(event)) finished();
      });
      if (!unsubscribe) throw new Error("The job does not run here.");
      await ended;
      unsubscribe();
      // The release and the last publishes go on after `done`; let them end before the next one.
      await setup.runner.idle();
      const [timing] = await emulator.timings(mark);
      if (!timing?.endAt) throw new Error("No emulator timing.");
      const emulatorEnd = timing.endAt - clock.offsetMs;
      const emulatorStart = timing.receivedAt - clock.offsetMs;
      const at = (type: string) => (events.find((event) => event.type === type)?.at ?? Number.NaN) - emulatorEnd;
      const done = events.find((event) => isTerminalJobEvent({ type: event.type } as JobEvent));
      if (done?.type !== "done") throw new Error(`The turn ended ${done?.type}.`);
      return {
        added: done.at - start - (timing.endAt - timing.receivedAt),
        startCall: startedAt - start,
        beforeRequest: emulatorStart - start,
        image: at("image"),
        done: at("done"),
        // Relative to the emulator's last byte; calls that began before the request are left out.
        calls: setup.spans.filter((span) => span.start >= emulatorStart).map((span) => ({ name: span.name, start: span.start - emulatorEnd, end: span.end - emulatorEnd })),
        before: setup.spans.filter((span) => span.start < emulatorStart).map((span) => ({ name: span.name, ms: span.end - span.start })),
      };
    }

    // Warm-up: connections, code paths, the emulator's caches.
    for (let index = 0; index < 3; index += 1) for (const setup of setups) await one(setup, `warm up ${index}`);
    const results = new Map<string, Array<Awaited<ReturnType<typeof one>>>>(setups.map((setup) => [setup.name, []]));
    for (let index = 0; index < runs; index += 1) {
      const order = index % 2 === 0 ? setups : [...setups].reverse();
      for (const setup of order) results.get(setup.name)?.push(await one(setup, `phases ${size} ${index} ${setup.name}`));
    }

    const p50 = (values: number[]) => Math.round(percentile(values, 50) * 10) / 10;
    const pairs = (results.get("postgres+s3") ?? []).map((pg, index) => pg.added - (results.get("sqlite")?.[index]?.added ?? Number.NaN));
    console.log(`${size}, ${runs} pairs; added (PostgreSQL + S3 minus SQLite) p50 ${p50(pairs)} ms`);
    for (const [name, list] of results) {
      console.log(`\n${name}: added p50 ${p50(list.map((r) => r.added))} ms; start call ${p50(list.map((r) => r.startCall))}; action→request ${p50(list.map((r) => r.beforeRequest))}; emulator end→image ${p50(list.map((r) => r.image))}; →done ${p50(list.map((r) => r.done))}`);
      const beforeNames = [...new Set(list.flatMap((r) => r.before.map((call) => call.name)))];
      for (const call of beforeNames) {
        const each = list.map((r) => r.before.filter((c) => c.name === call).reduce((sum, c) => sum + c.ms, 0));
        console.log(`  before the request  ${call.padEnd(28)} total p50 ${p50(each)} ms`);
      }
      // The calls after the request began, by name and occurrence (the second publish, …).
      const keyed = list.map((r) => {
        const seen = new Map<string, number>();
        return r.calls.map((call) => {
          const nth = (seen.get(call.name) ?? 0) + 1;
          seen.set(call.name, nth);
          return { key: `${call.name}#${nth}`, ...call };
        });
      });
      const keys = [...new Set(keyed.flatMap((calls) => calls.map((call) => call.key)))];
      const rows = keys.map((key) => {
        const found = keyed.flatMap((calls) => calls.filter((call) => call.key === key));
        return { key, n: found.length, start: p50(found.map((c) => c.start)), end: p50(found.map((c) => c.end)), ms: p50(found.map((c) => c.end - c.start)) };
      });
      rows.sort((a, b) => a.start - b.start);
      for (const row of rows) console.log(`  ${row.key.padEnd(30)} n=${String(row.n).padEnd(3)} start ${String(row.start).padStart(7)}  end ${String(row.end).padStart(7)}  took ${row.ms} ms`);
    }
    await closeInstances();
  } finally {
    for (const setup of setups) await setup.close().catch(() => undefined);
    await s3.stop();
    await cluster.stop();
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
