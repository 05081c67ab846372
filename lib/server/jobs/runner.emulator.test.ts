import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { openSqliteStorage, type SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import type { Turn, TurnRequest } from "@/lib/storage/types";
import { createJobRunner, type JobRunner } from "./runner";
import { type JobEvent } from "@/lib/studio/job-events";

// The whole job path for real: SQLite storage with model turns in files, the real gateway and SDK,
// and the Gemini emulator, which (like Gemini 3) rejects a replayed image part whose thought
// signature is missing or doesn't match its image. Later turns only succeed if storage handed
// back each model turn exactly as received.

const OWNER = "local";
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const request = (prompt: string): TurnRequest => ({ prompt, references: [], settings });

let emulator: RunningEmulator;
let dataDir: string;
let storage: SqliteStorage;
let jobs: JobRunner;

beforeAll(async () => {
  // Real-sized payloads: ~600 KB signatures and JPEGs of a few hundred KB, paced like a stream.
  emulator = await startEmulator({ port: 0, latencyMs: 5, realisticPayload: true, enforceSignatures: true });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-jobs-emulator-"));
  storage = openSqliteStorage({ dataDir });
  const gateway = createGeminiGateway({
    apiKey: "test",
    baseUrl: emulator.url,
    retryPolicy: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, totalBudgetMs: 5_000 },
  });
  jobs = createJobRunner({ storage, gateway: () => gateway });
  await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
});

afterEach(async () => {
  await jobs.shutdown();
  await storage.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function run(parentId: string | null, prompt: string, sessionId: string): Promise<{ turn: Turn; events: JobEvent[] }> {
  const started = await jobs.startTurn({ ownerId: OWNER, sessionId, parentId, request: request(prompt) });
  if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
  const events: JobEvent[] = [];
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  await jobs.follow(OWNER, started.data.id, (event) => {
    events.push(event);
    if (["done", "failed", "cancelled", "interrupted"].includes(event.type)) finish();
  });
  await finished;
  const turn = await storage.turns.get(OWNER, started.data.id);
  if (!turn) throw new Error("turn vanished");
  return { turn, events };
}

interface LoggedRequest {
  path: string;
  status: number | null;
  body: { contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }> } | null;
}

async function generateRequests(): Promise<LoggedRequest[]> {
  const response = await fetch(`${emulator.url}/_emulator/requests`);
  const all = (await response.json()) as LoggedRequest[];
  return all.filter((entry) => entry.path.includes(":streamGenerateContent"));
}

describe("jobs against the Gemini emulator", () => {
  it("runs a three-turn chain and a branch, each continuation replaying stored signatures", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Restaurant" });
    const first = await run(null, "A nano banana dish in a fancy restaurant", session.id);
    expect(first.turn.status).toBe("succeeded");
    expect(first.events.map((event) => event.type)).toEqual(expect.arrayContaining(["started", "attempt", "phase", "thought", "image", "done"]));
    expect(first.turn.outcome?.images).toHaveLength(1);
    expect(first.turn.outcome?.images[0]).toMatchObject({ width: 1376, height: 768, mimeType: "image/jpeg", fileName: expect.stringMatching(/^gen-a-nano-banana-dish-in-\d{8}-\d{6}\.jpg$/) });
    const signed = (await storage.modelTurns.get(OWNER, first.turn.id))?.parts.find((part) => part.inlineData && !part.thought);
    expect(signed?.thoughtSignature?.length).toBeGreaterThan(500_000);

    const second = await run(first.turn.id, "Make the plate gold", session.id);
    expect(second.turn).toMatchObject({ status: "succeeded", error: null });
    const third = await run(second.turn.id, "Add a Gemini logo on the wall", session.id);
    expect(third.turn).toMatchObject({ status: "succeeded", error: null });
    expect(third.turn.outcome?.images[0]?.fileName).toMatch(/^edit-add-a-gemini-logo-on-\d{8}-\d{6}\.jpg$/);
    const branch = await run(first.turn.id, "Make the plate silver", session.id);
    expect(branch.turn).toMatchObject({ status: "succeeded", parentId: first.turn.id });

    const logged = await generateRequests();
    expect(logged.map((entry) => entry.status)).toEqual([200, 200, 200, 200]);
    const roles = logged.map((entry) => (entry.body?.contents ?? []).map((content) => content.role));
    expect(roles).toEqual([
      ["user"],
      ["user", "model", "user"],
      ["user", "model", "user", "model", "user"],
      ["user", "model", "user"],
    ]);
    // Every replayed signature arrived intact on its part (the emulator logs whether it verified).
    for (const entry of logged.slice(1)) {
      const modelParts = (entry.body?.contents ?? []).filter((content) => content.role === "model").flatMap((content) => content.parts ?? []);
      const signatures = modelParts.map((part) => part.thoughtSignature).filter((value) => value !== undefined);
      expect(signatures.length).toBeGreaterThan(0);
      for (const signature of signatures) expect(signature).toMatch(/^<signature \d+ chars valid>$/);
    }

    // The chain and the branch, as the timeline will read them.
    expect((await storage.turns.chain(OWNER, third.turn.id))?.map((turn) => turn.request.prompt)).toEqual([
      "A nano banana dish in a fancy restaurant",
      "Make the plate gold",
      "Add a Gemini logo on the wall",
    ]);
    expect((await storage.turns.listBySession(OWNER, session.id)).map((turn) => turn.parentId)).toEqual([
      null,
      first.turn.id,
      second.turn.id,
      first.turn.id,
    ]);
  });

  it("fails a continuation whose stored model turn lost its signature, as Gemini would", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Control" });
    const first = await run(null, "A banana", session.id);
    const stored = await storage.modelTurns.get(OWNER, first.turn.id);
    if (!stored) throw new Error("no model turn");
    // What a storage bug that dropped signatures would do.
    await storage.modelTurns.put(OWNER, first.turn.id, {
      parts: stored.parts.map(({ thoughtSignature: _dropped, ...part }) => part),
    });
    const second = await run(first.turn.id, "Make it gold", session.id);
    expect(second.turn).toMatchObject({
      status: "failed",
      error: { code: "invalid_request", httpStatus: 400, detail: expect.stringContaining("missing a thought_signature") },
      request: request("Make it gold"),
    });
  });
});
