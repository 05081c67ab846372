import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { createFileImageStore } from "@/lib/storage/image-store";
import { openPostgresStorage, type PostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import { INTERRUPTED_TURN_ERROR, isFinishedStatus, type Turn } from "@/lib/storage/types";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { createJobRunner, type JobRunner } from "./runner";
import { openSharedJobQueue, type SharedJobQueue } from "./shared-queue";

// Batch turns with PostgreSQL and the shared job queue: the same runner path as SQLite. A restart of
// every instance keeps them (interruptUnqueued, the PostgreSQL start-up recovery, leaves them), and
// two instances watching one job record each answer once.

const OWNER = "local";
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
const POLL = { firstMs: 20, factor: 1.5, maxMs: 100 };

describe.skipIf(skipPostgres)("batch turns on PostgreSQL with the shared queue", () => {
  const cluster = withPostgres();
  let emulator: RunningEmulator;
  let url: string;
  let dataDir: string;
  const opened: Array<{ storage: PostgresStorage; queue: SharedJobQueue; runner: JobRunner }> = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  beforeEach(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    url = await cluster().createDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-batch-pg-"));
  });

  afterEach(async () => {
    for (const instance of opened.splice(0)) await close(instance);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function open() {
    const storage = await openPostgresStorage({ connectionString: url, images: createFileImageStore(dataDir), poolSize: 4 });
    const queue = await openSharedJobQueue({ storage, connectionString: url, maxConcurrentJobs: 1 });
    const gateway = createGeminiGateway({ apiKey: "test", baseUrl: emulator.url, retryPolicy: { maxAttempts: 1 } });
    const runner = createJobRunner({ storage, gateway: () => gateway, queue, batchPoll: POLL, maxConcurrentJobs: 1 });
    const instance = { storage, queue, runner };
    opened.push(instance);
    return instance;
  }

  async function close(instance: (typeof opened)[number]) {
    await instance.runner.shutdown();
    await instance.storage.close();
  }

  async function finished(storage: PostgresStorage, ids: readonly string[]): Promise<Turn[]> {
    const until = Date.now() + 10_000;
    for (;;) {
      const turns = await Promise.all(ids.map((id) => storage.turns.get(OWNER, id)));
      if (turns.every((turn) => turn && isFinishedStatus(turn.status))) return turns as Turn[];
      if (Date.now() > until) throw new Error(`still active: ${turns.map((turn) => turn?.status).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const finish = () => fetch(`${emulator.url}/_emulator/batches/finish`, { method: "POST", body: "{}" });

  it("keeps the waiting turns over a restart of every instance and lands them afterwards", async () => {
    await fetch(`${emulator.url}/_emulator/batches`, { method: "POST", body: JSON.stringify({ delayMs: null }) });
    const first = await open();
    const session = await first.storage.sessions.create({ ownerId: OWNER, title: "batch" });
    const started = await first.runner.startBatch({ ownerId: OWNER, sessionId: session.id, parentId: null, request: { prompt: "a harbour", references: [], settings }, count: 2 });
    expect(started.ok).toBe(true);
    const ids = started.ok ? started.data.map((turn) => turn.id) : [];
    opened.splice(opened.indexOf(first), 1);
    await close(first);

    const second = await open();
    expect(await second.storage.interruptUnqueued(INTERRUPTED_TURN_ERROR)).toEqual([]);
    await finish();
    const landed = await finished(second.storage, ids);
    expect(landed.map((turn) => turn.status)).toEqual(["succeeded", "succeeded"]);
    expect(landed.every((turn) => (turn.cost?.microUsd ?? 0) > 0)).toBe(true);
  });

  it("two instances watching one job record each answer once", async () => {
    await fetch(`${emulator.url}/_emulator/batches`, { method: "POST", body: JSON.stringify({ delayMs: null }) });
    const a = await open();
    const session = await a.storage.sessions.create({ ownerId: OWNER, title: "batch" });
    const started = await a.runner.startBatch({ ownerId: OWNER, sessionId: session.id, parentId: null, request: { prompt: "a harbour", references: [], settings }, count: 2 });
    const ids = started.ok ? started.data.map((turn) => turn.id) : [];
    // The second instance finds the job at start, as after a deploy.
    const b = await open();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await finish();
    const landed = await finished(b.storage, ids);
    expect(landed.map((turn) => [turn.status, turn.outcome?.images.length])).toEqual([
      ["succeeded", 1],
      ["succeeded", 1],
    ]);
    const ledger = (await a.storage.ledger.entries({ ownerId: OWNER, from: "2000-01-01T00:00:00.000Z", to: "2100-01-01T00:00:00.000Z" })).filter((entry) => ids.includes(entry.turnId));
    expect(ledger).toHaveLength(2);
  });
});
