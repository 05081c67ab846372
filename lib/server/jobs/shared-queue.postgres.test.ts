import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { createFileImageStore } from "@/lib/storage/image-store";
import { openPostgresStorage, type PostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import type { Turn, TurnRequest } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { createJobRunner, type JobResult } from "./runner";
import { openSharedJobQueue } from "./shared-queue";

// Two studio instances on one PostgreSQL database, each a runner in its own process
// (test/support/runner-instance.ts) over the real gateway and the Gemini emulator. One is killed
// with SIGKILL mid-job; the other must finish that turn within seconds.

const OWNER = "local";
const root = path.resolve(__dirname, "../../..");
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  thinkingLevel: "high",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
/** The emulator waits `delayMs` before each chunk of this answer. */
const slow = (prompt: string, delayMs: number): TurnRequest => ({ prompt: `${prompt} [[fault:slow delayMs=${delayMs}]]`, references: [], settings });

interface Instance {
  process: ChildProcessWithoutNullStreams;
  call<T>(command: Record<string, unknown>): Promise<T>;
  follow(turnId: string, onEvent: (event: JobEvent) => void): Promise<{ live: boolean }>;
  stderr(): string;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(root, "test/support/runner-instance.ts")], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  let next = 1;
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  const streams = new Map<number, (event: JobEvent) => void>();
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as Record<string, unknown> & { id?: number; event?: JobEvent };
    if (message.ready) return markReady();
    if (message.id === undefined) return;
    if (message.event) return streams.get(message.id)?.(message.event);
    waiting.get(message.id)?.(message);
  });
  const exited = new Promise<never>((_, reject) => child.on("exit", (code) => reject(new Error(`instance exited (${code}): ${errors}`))));
  exited.catch(() => undefined);
  await Promise.race([ready, exited]);

  function request(command: Record<string, unknown>): { id: number; answer: Promise<Record<string, unknown>> } {
    const id = next++;
    const answer = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ ...command, id, ownerId: OWNER })}\n`);
    return { id, answer };
  }
  return {
    process: child,
    async call<T>(command: Record<string, unknown>) {
      const { answer } = request(command);
      const message = await answer;
      if (message.error) throw new Error(String(message.error));
      return message.result as T;
    },
    async follow(turnId, onEvent) {
      const id = next;
      streams.set(id, onEvent);
      const { answer } = request({ op: "follow", turnId });
      return (await answer).followed as { live: boolean };
    },
    stderr: () => errors,
  };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.process.exitCode !== null || instance.process.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.process.on("exit", resolve));
  instance.process.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  instance.process.kill("SIGKILL");
}

function started(result: JobResult<Turn>): Turn {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data;
}

describe.skipIf(skipPostgres)("the shared job queue on PostgreSQL", () => {
  const cluster = withPostgres();
  let emulator: RunningEmulator;
  let url: string;
  let dataDir: string;
  let storage: PostgresStorage;
  let sessionId: string;
  const instances: Instance[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, latencyMs: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    url = await cluster().createDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-shared-queue-"));
    storage = await openPostgresStorage({ connectionString: url, images: createFileImageStore(dataDir), poolSize: 4 });
    sessionId = (await storage.sessions.create({ ownerId: OWNER, title: "Shared" })).id;
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map(stopInstance));
    await storage.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function launch(maxJobs: number, env: Record<string, string> = {}): Promise<Instance> {
    const instance = await startInstance({
      DATABASE_URL: url,
      STUDIO_DATA_DIR: dataDir,
      EMULATOR_URL: emulator.url,
      STUDIO_MAX_CONCURRENT_JOBS: String(maxJobs),
      ...env,
    });
    instances.push(instance);
    return instance;
  }

  async function jobRow(turnId: string): Promise<{ state: string; instance_id: number | null; sent: boolean } | undefined> {
    const { rows } = await sql<{ state: string; instance_id: number | null; sent: boolean }>`
      SELECT state, instance_id, sent FROM studio_jobs WHERE turn_id = ${turnId}`.execute(storage.db);
    return rows[0];
  }

  it("finishes the job of a SIGKILLed instance as interrupted from the other one within seconds, and B's stream follows A's job", async () => {
    // Both up before the start (starting a process takes seconds on a loaded machine, and the job
    // must still run when B follows it); A takes the start with a slot free, so A runs it.
    const [a, b] = await Promise.all([launch(4), launch(4)]);
    const turn = started(await a.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow("A banana on a plate", 1_500) }));
    expect(turn.status).toBe("running");
    expect((await jobRow(turn.id))?.instance_id).not.toBeNull();
    // Wait until its request went out.
    await expect.poll(async () => (await jobRow(turn.id))?.sent, { timeout: 10_000 }).toBe(true);

    const seen: JobEvent[] = [];
    const followed = await b.follow(turn.id, (event) => seen.push(event));
    expect(followed.live).toBe(true);
    // B replays what A published so far: the start, and the turn running.
    expect(seen.map((event) => event.type)).toContain("started");
    expect(seen.some((event) => event.type === "started" && event.turn.status === "running")).toBe(true);

    const killedAt = Date.now();
    a.process.kill("SIGKILL");
    await expect.poll(() => seen.at(-1)?.type, { timeout: 10_000, interval: 100 }).toBe("interrupted");
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(5_000);
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.status).toBe("interrupted");
    expect(stored?.error?.retryable).toBe(true);
    expect(await jobRow(turn.id)).toBeUndefined();
    // Sequence numbers carry on from A's events, without gaps.
    expect(seen.map((event) => event.seq)).toEqual(seen.map((_, index) => index + 1));
  }, 60_000);

  it("on SIGTERM, lets its running job finish, leaves a start taken meanwhile in the line for another instance, then exits", async () => {
    const a = await launch(4, { STUDIO_SHUTDOWN_GRACE_MS: "20000" });
    const running = started(await a.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow("Finishes during the shutdown", 1_000) }));
    await expect.poll(async () => (await jobRow(running.id))?.sent, { timeout: 10_000 }).toBe(true);
    const exited = new Promise<number | null>((resolve) => a.process.on("exit", (code) => resolve(code)));
    a.process.kill("SIGTERM");
    await expect.poll(() => a.stderr(), { timeout: 5_000 }).toContain("server.stopping");

    // A no longer claims: a start it takes now is committed, and waits for some other instance.
    const waiting = started(await a.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow("Started during the shutdown", 0) }));
    expect(waiting.status).toBe("queued");
    expect(await exited).toBe(0);
    expect((await storage.turns.get(OWNER, running.id))?.status).toBe("succeeded");
    expect(await jobRow(running.id)).toBeUndefined();
    expect((await storage.turns.get(OWNER, waiting.id))?.status).toBe("queued");
    expect((await jobRow(waiting.id))?.state).toBe("queued");

    await launch(4);
    await expect.poll(async () => (await storage.turns.get(OWNER, waiting.id))?.status, { timeout: 15_000 }).toBe("succeeded");
  }, 60_000);

  it("on SIGTERM, ends a job still running after the grace period as interrupted, with Retry offered", async () => {
    const a = await launch(4, { STUDIO_SHUTDOWN_GRACE_MS: "300" });
    const turn = started(await a.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow("Too slow to wait for", 20_000) }));
    await expect.poll(async () => (await jobRow(turn.id))?.sent, { timeout: 10_000 }).toBe(true);
    const exited = new Promise<number | null>((resolve) => a.process.on("exit", (code) => resolve(code)));
    const signalledAt = Date.now();
    a.process.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "interrupted", error: { retryable: true } });
    expect(await jobRow(turn.id)).toBeUndefined();
  }, 60_000);

  it("cancels from instance B a job that A runs", async () => {
    // Both up before the start, as above; A takes it with a slot free.
    const [a, b] = await Promise.all([launch(4), launch(4)]);
    const turn = started(await a.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow("A slow banana", 2_000) }));
    await expect.poll(async () => (await jobRow(turn.id))?.sent, { timeout: 10_000 }).toBe(true);
    const askedAt = Date.now();
    const cancelled = await b.call<JobResult<Turn>>({ op: "cancel", turnId: turn.id });
    expect(cancelled.ok && cancelled.data.status).toBe("cancelled");
    expect(Date.now() - askedAt).toBeLessThan(5_000);
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("cancelled");
    await expect.poll(async () => jobRow(turn.id)).toBeUndefined();
  }, 60_000);

  it("holds the global cap across two instances, runs the line in order, and cancels from the other instance", async () => {
    const [a, b] = await Promise.all([launch(2), launch(2)]);
    const turns: Turn[] = [];
    for (let index = 0; index < 6; index += 1) {
      const instance = index % 2 === 0 ? a : b;
      turns.push(started(await instance.call<JobResult<Turn>>({ op: "start", sessionId, parentId: null, request: slow(`Banana ${index}`, 300) })));
    }
    let most = 0;
    const runners = new Set<number>();
    const firstRunning = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql<{ id: string; status: string }>`SELECT id, status FROM turns WHERE session_id = ${sessionId} ORDER BY created_at, seq`.execute(storage.db);
        const active = rows.filter((row) => row.status === "running");
        const { rows: claimed } = await sql<{ instance_id: number }>`SELECT instance_id FROM studio_jobs WHERE state = 'running'`.execute(storage.db);
        for (const row of claimed) runners.add(row.instance_id);
        most = Math.max(most, active.length);
        for (const row of active) if (!firstRunning.has(row.id)) firstRunning.set(row.id, firstRunning.size);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    // The last one waits in the line: cancel it from the instance that did not start it.
    const last = turns.at(-1) as Turn;
    const cancelled = await a.call<JobResult<Turn>>({ op: "cancel", turnId: last.id });
    expect(cancelled.ok && cancelled.data.status).toBe("cancelled");

    await expect
      .poll(
        async () => {
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM turns WHERE session_id = ${sessionId} AND status IN ('queued', 'running')`.execute(storage.db);
          return rows[0]?.n;
        },
        { timeout: 40_000, interval: 200 },
      )
      .toBe(0);
    sampling = false;
    await sampler;

    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
    // Both instances took work from the one line.
    expect(runners.size).toBe(2);
    const finished = await Promise.all(turns.map((turn) => storage.turns.get(OWNER, turn.id)));
    expect(finished.map((turn) => turn?.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "cancelled"]);
    // First in, first run (the sampler may see two start in one look; their order within it is the line's).
    const order = turns.slice(0, 5).map((turn) => firstRunning.get(turn.id) ?? -1);
    expect(order.every((position) => position >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    const { rows: left } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM studio_jobs`.execute(storage.db);
    expect(left[0]?.n).toBe(0);
  }, 90_000);

  it("leaves no turn and no job when the start's transaction fails", async () => {
    const gateway = createGeminiGateway({ apiKey: "test", baseUrl: emulator.url });
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 2 });
    const runner = createJobRunner({ storage, gateway: () => gateway, maxConcurrentJobs: 2, queue });
    try {
      // A real failure inside the transaction, after the turn's row is written: the job's insert is refused.
      await sql`
        CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no jobs today'; END $$;
        CREATE TRIGGER refuse_job BEFORE INSERT ON studio_jobs FOR EACH ROW EXECUTE FUNCTION refuse_job();`.execute(storage.db);
      const result = await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Never", 0) });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.code).toBe("storage_failed");
      const { rows } = await sql<{ turns: number; jobs: number; events: number }>`
        SELECT (SELECT count(*)::int FROM turns) AS turns, (SELECT count(*)::int FROM studio_jobs) AS jobs,
               (SELECT count(*)::int FROM studio_job_events) AS events`.execute(storage.db);
      expect(rows[0]).toEqual({ turns: 0, jobs: 0, events: 0 });

      await sql`DROP TRIGGER refuse_job ON studio_jobs`.execute(storage.db);
      const turn = started(await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Now", 0) }));
      await expect.poll(async () => (await storage.turns.get(OWNER, turn.id))?.status, { timeout: 15_000 }).toBe("succeeded");
    } finally {
      await runner.shutdown();
    }
  }, 60_000);

  it("retries a dead instance's job that never reached Google", async () => {
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 2, pollMs: 200, onError: (error) => console.error(error) });
    try {
      const turn = await storage.createTurnWith({ ownerId: OWNER, sessionId, parentId: null, request: slow("Lost", 0) }, async (trx, created) => {
        // A job some instance (id 7, which holds no lock: it is gone) claimed but never sent.
        await sql`INSERT INTO studio_jobs (turn_id, owner_id, state, instance_id, sent) VALUES (${created.id}, ${OWNER}, 'running', 7, false)`.execute(trx);
      });
      await expect.poll(async () => (await jobRow(turn.id))?.state, { timeout: 5_000 }).toBe("queued");
      expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("queued");
    } finally {
      await queue.close();
    }
  }, 30_000);

  it("refuses a start as busy when every slot is taken and the line is full, across the database", async () => {
    const gateway = createGeminiGateway({ apiKey: "test", baseUrl: emulator.url });
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 1 });
    const runner = createJobRunner({ storage, gateway: () => gateway, maxConcurrentJobs: 1, maxQueuedJobs: 1, queue });
    try {
      const first = started(await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("One", 500) }));
      started(await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Two", 0) }));
      const third = await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Three", 0) });
      expect(!third.ok && third.error.code).toBe("busy");
      expect((await storage.turns.listBySession(OWNER, sessionId)).length).toBe(2);
      await runner.cancel(OWNER, first.id);
    } finally {
      await runner.shutdown();
    }
  }, 30_000);

  it("runs a start's job on the instance that took the start when a slot is free, and leaves it in the line for any instance when none is", async () => {
    const gateway = createGeminiGateway({ apiKey: "test", baseUrl: emulator.url });
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 1 });
    const runner = createJobRunner({ storage, gateway: () => gateway, maxConcurrentJobs: 1, queue });
    try {
      const first = started(await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Taken at once", 400) }));
      // Claimed in the start's own transaction: running here as the start answers, so a follower on
      // this instance gets its events in memory, with no claim round through the database first.
      expect(runner.isRunning(first.id)).toBe(true);
      expect(await jobRow(first.id)).toMatchObject({ state: "running" });
      const events: JobEvent[] = [];
      const followed = await runner.follow(OWNER, first.id, (event) => events.push(event));
      expect(followed.ok && followed.data.live).toBe(true);

      // The one slot is taken: the next start waits in the line, and is claimed once the slot frees.
      const second = started(await runner.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: slow("Waits its turn", 0) }));
      expect(runner.isRunning(second.id)).toBe(false);
      expect((await jobRow(second.id))?.state).toBe("queued");

      await expect.poll(async () => (await storage.turns.get(OWNER, second.id))?.status, { timeout: 20_000 }).toBe("succeeded");
      expect((await storage.turns.get(OWNER, first.id))?.status).toBe("succeeded");
      expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["started", "image", "done"]));
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM studio_jobs`.execute(storage.db);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await runner.shutdown();
    }
  }, 60_000);

  it("carries an event to a follower on another instance in its notification when it fits, reads it when not, in order and with none lost", async () => {
    // No ticks: they would reap the job of instance 7, which holds no lock. The first event exists
    // only in its notification (no row), so only the payload can bring it to B.
    const a = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 2, pollMs: 600_000 });
    const b = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 2, pollMs: 600_000 });
    try {
      const turn = await storage.createTurnWith({ ownerId: OWNER, sessionId, parentId: null, request: slow("Followed", 0) }, async (trx, created) => {
        await sql`INSERT INTO studio_jobs (turn_id, owner_id, state, instance_id, sent) VALUES (${created.id}, ${OWNER}, 'running', 7, true)`.execute(trx);
      });
      const seen: JobEvent[] = [];
      expect(await b.follow(OWNER, turn.id, (event) => seen.push(event), 0)).not.toBeNull();
      const at = (seq: number, body: Record<string, unknown>) => ({ ...body, turnId: turn.id, seq }) as JobEvent;

      await sql`SELECT pg_notify('studio_job_event', ${JSON.stringify(at(1, { type: "queued", ahead: 0 }))})`.execute(storage.db);
      await expect.poll(() => seen.map((event) => event.seq), { timeout: 1_500 }).toEqual([1]);

      const big = "x".repeat(9_000);
      await a.publish(at(2, { type: "text", text: "one" }));
      await a.publish(at(3, { type: "text", text: big }));
      await a.publish(at(4, { type: "text", text: "two" }));
      // A lost notification: seq 5 is stored without one; seq 6's shows B the gap, and B reads both.
      await sql`INSERT INTO studio_job_events (turn_id, seq, body_json) VALUES (${turn.id}, 5, ${JSON.stringify(at(5, { type: "text", text: "unannounced" }))})`.execute(storage.db);
      await a.publish(at(6, { type: "text", text: "three" }));
      await a.publish(at(7, { type: "done", turn }));
      await expect.poll(() => seen.map((event) => event.seq), { timeout: 1_500 }).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(seen.map((event) => (event.type === "text" ? event.text : event.type))).toEqual(["queued", "one", big, "two", "unannounced", "three", "done"]);
      // A late duplicate of an event already delivered is dropped.
      await a.publish(at(7, { type: "done", turn }));
      await sql`SELECT pg_notify('studio_job_event', ${JSON.stringify(at(2, { type: "text", text: "again" }))})`.execute(storage.db);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toHaveLength(7);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  // Last: it stops the cluster.
  it("answers a health check while the database is up and fails it once it is down", async () => {
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 2 });
    try {
      await expect(queue.ping()).resolves.toBeUndefined();
      await cluster().stop();
      await expect(queue.ping()).rejects.toThrow();
    } finally {
      await queue.close();
    }
  }, 30_000);
});
