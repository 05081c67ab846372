import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { openSqliteStorage, type SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { costOfTurn } from "@/lib/storage/turn-cost";
import { INTERRUPTED_TURN_ERROR, isFinishedStatus, type Turn, type TurnRequest } from "@/lib/storage/types";
import { createJobRunner, type JobRunner } from "./runner";

// The batch path for real: SQLite storage, the real gateway and SDK (ai.batches.*), and the
// emulator's Batch API, which answers each request as generateContent would and ends the job when
// the test says. A restart is a new storage handle and a new runner over the same data directory.

const OWNER = "local";
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const request = (prompt: string): TurnRequest => ({ prompt, references: [], settings });
const POLL = { firstMs: 20, factor: 1.5, maxMs: 100 };

let emulator: RunningEmulator;
let dataDir: string;
let storage: SqliteStorage;
let gateway: GeminiGateway;
let jobs: JobRunner;
let sessionId: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, enforceSignatures: true });
});

afterAll(async () => {
  await emulator.close();
});

async function control(pathname: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}/_emulator/${pathname}`, { method: "POST", body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return response.json();
}

async function batchStates(): Promise<string[]> {
  const body = (await (await fetch(`${emulator.url}/_emulator/batches`)).json()) as { batches: Array<{ state: string }> };
  return body.batches.map((batch) => batch.state);
}

function openRunner(): JobRunner {
  return createJobRunner({ storage, gateway: () => gateway, batchPoll: POLL, maxConcurrentJobs: 1 });
}

beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-batch-"));
  storage = openSqliteStorage({ dataDir });
  gateway = createGeminiGateway({ apiKey: "test", baseUrl: emulator.url, retryPolicy: { maxAttempts: 1 } });
  jobs = openRunner();
  sessionId = (await storage.sessions.create({ ownerId: OWNER, title: "batch" })).id;
});

afterEach(async () => {
  await jobs.shutdown();
  await storage.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function finished(turnIds: readonly string[], timeoutMs = 5_000): Promise<Turn[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const turns = await Promise.all(turnIds.map((id) => storage.turns.get(OWNER, id)));
    if (turns.every((turn) => turn && isFinishedStatus(turn.status))) return turns as Turn[];
    if (Date.now() > until) throw new Error(`turns still active: ${turns.map((turn) => turn?.status).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startBatch(prompt: string, count: number, parentId: string | null = null): Promise<Turn[]> {
  const started = await jobs.startBatch({ ownerId: OWNER, sessionId, parentId, request: request(prompt), count });
  if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
  return started.data;
}

describe("batch turns", () => {
  it("waits outside the runner's slots, then lands each answer as a turn at half price", async () => {
    await control("batches", { delayMs: null });
    const turns = await startBatch("a lighthouse", 2);
    expect(turns.map((turn) => turn.status)).toEqual(["queued", "queued"]);
    expect(turns.map((turn) => turn.request.batch?.index)).toEqual([0, 1]);
    expect(turns[0]?.request.batch?.name).toMatch(/^batches\//);
    // One slot only, and a batch waits at Google: a direct turn still starts at once.
    expect(jobs.runningTurnIds()).toEqual([]);
    const direct = await jobs.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: request("a lighthouse") });
    expect(direct.ok && direct.data.status).toBe("running");

    await control("batches/finish", {});
    const landed = await finished(turns.map((turn) => turn.id));
    for (const turn of landed) {
      expect(turn.status).toBe("succeeded");
      expect(turn.outcome?.images).toHaveLength(1);
      expect(turn.outcome?.images[0]?.fileName).toBeTruthy();
      expect(turn.outcome?.usage?.imageTokens).toBeGreaterThan(0);
      expect(turn.outcome?.usage?.thoughtsTokens).toBeGreaterThan(0);
      const full = costOfTurn({ ...turn.request, batch: undefined }, turn.outcome, turn.updatedAt).microUsd ?? 0;
      expect(full).toBeGreaterThan(0);
      expect(turn.cost?.microUsd).toBe(Math.round(full / 2));
    }

    // The model turn was stored with its signatures: the emulator (like Gemini 3) refuses a
    // follow-up whose replayed image isn't signed, so this one only succeeds if it was.
    const follow = await jobs.startTurn({ ownerId: OWNER, sessionId, parentId: landed[0]!.id, request: request("now at night") });
    expect(follow.ok).toBe(true);
    const [followed] = await finished([follow.ok ? follow.data.id : ""]);
    expect(followed?.error).toBeNull();
    expect(followed?.status).toBe("succeeded");
  });

  it("survives a restart: the waiting turns are not interrupted, and the new runner lands the answers", async () => {
    await control("batches", { delayMs: null });
    const turns = await startBatch("a windmill", 2);
    await jobs.shutdown();
    await storage.close();

    storage = openSqliteStorage({ dataDir });
    // What the app does at every start (lib/storage/index.ts).
    expect(await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR)).toEqual([]);
    expect((await storage.turns.listBatchWaiting()).map((turn) => turn.id)).toEqual(turns.map((turn) => turn.id));
    await fetch(`${emulator.url}/_emulator/requests`, { method: "DELETE" });
    jobs = openRunner();
    // Looked at at once, then with backoff (20, 30, 45, 68, 100, 100… ms), not in a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const log = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as Array<{ method: string; path: string }>;
    const polls = log.filter((entry) => entry.method === "GET" && entry.path.includes("/batches/")).length;
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(polls).toBeLessThanOrEqual(12);
    await control("batches/finish", {});
    const landed = await finished(turns.map((turn) => turn.id));
    expect(landed.map((turn) => turn.status)).toEqual(["succeeded", "succeeded"]);
  });

  it.each([
    ["failed", "Google's batch job failed"],
    ["expired", "did not finish the batch within 24 hours"],
  ] as const)("ends the turns failed when the batch %s, and Retry sends it again as a batch", async (ending, message) => {
    await control("batches", { delayMs: 0, ending });
    const turns = await startBatch("a kite", 2);
    const ended = await finished(turns.map((turn) => turn.id));
    for (const turn of ended) {
      expect(turn.status).toBe("failed");
      expect(turn.error?.message).toContain(message);
      expect(turn.error?.retryable).toBe(true);
      expect(turn.cost?.microUsd ?? 0).toBe(0);
    }
    await control("batches", { ending: "succeeded" });
    const retried = await jobs.retry(OWNER, ended[0]!.id);
    expect(retried.ok).toBe(true);
    if (!retried.ok) return;
    expect(retried.data.request.batch?.name).not.toBe(turns[0]?.request.batch?.name);
    expect(retried.data.parentId).toBe(ended[0]?.parentId);
    const [again] = await finished([retried.data.id]);
    expect(again?.status).toBe("succeeded");
  });

  it("cancels the batch at Google once none of its turns waits for it", async () => {
    await control("batches", { delayMs: null });
    const turns = await startBatch("a bell", 2);
    const first = await jobs.cancel(OWNER, turns[0]!.id);
    expect(first.ok && first.data.status).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await batchStates()).toEqual(["BATCH_STATE_RUNNING"]);
    await jobs.cancel(OWNER, turns[1]!.id);
    const until = Date.now() + 3_000;
    while ((await batchStates())[0] !== "BATCH_STATE_CANCELLED" && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await batchStates()).toEqual(["BATCH_STATE_CANCELLED"]);
  });

  it("cancels the batch at Google as soon as its last waiting turn is cancelled, not at the next poll", async () => {
    // Polls a minute apart, as in production after a few: only the cancel itself may call Google.
    await jobs.shutdown();
    jobs = createJobRunner({ storage, gateway: () => gateway, batchPoll: { firstMs: 60_000, factor: 1.5, maxMs: 60_000 }, maxConcurrentJobs: 1 });
    await control("batches", { delayMs: null });
    const turns = await startBatch("a drum", 2);
    await fetch(`${emulator.url}/_emulator/requests`, { method: "DELETE" });
    await jobs.cancel(OWNER, turns[0]!.id);
    expect(await batchStates()).toEqual(["BATCH_STATE_RUNNING"]);
    await jobs.cancel(OWNER, turns[1]!.id);
    // Right when the last cancel returns, without waiting for any timer.
    expect(await batchStates()).toEqual(["BATCH_STATE_CANCELLED"]);
    const log = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as Array<{ method: string; path: string }>;
    expect(log.filter((entry) => entry.method === "POST" && entry.path.endsWith(":cancel"))).toHaveLength(1);
    expect((await storage.turns.get(OWNER, turns[1]!.id))?.status).toBe("cancelled");
  });

  it("keeps polling through a failed poll and lands the answers afterwards", async () => {
    await control("batches", { delayMs: null });
    const turns = await startBatch("a cloud", 1);
    // A closed port for a moment: every poll fails as a network error.
    const real = gateway;
    gateway = createGeminiGateway({ apiKey: "test", baseUrl: "http://127.0.0.1:9", retryPolicy: { maxAttempts: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await storage.turns.get(OWNER, turns[0]!.id))?.status).toBe("queued");
    gateway = real;
    await control("batches/finish", {});
    const [landed] = await finished([turns[0]!.id]);
    expect(landed?.status).toBe("succeeded");
  });

  it("stores nothing when Google refuses the batch", async () => {
    const refused = await jobs.startBatch({ ownerId: OWNER, sessionId, parentId: null, request: { ...request("x"), settings: { ...settings, model: "gemini-9-image" } }, count: 2 });
    expect(refused.ok).toBe(false);
    expect(await storage.turns.listBySession(OWNER, sessionId)).toEqual([]);
    const badCount = await jobs.startBatch({ ownerId: OWNER, sessionId, parentId: null, request: request("x"), count: 5 });
    expect(badCount.ok).toBe(false);
    expect(await batchStates()).toEqual([]);
  });
});
