import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiBackend, type GeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { openSqliteStorage, type SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import type { Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";
import { createJobRunner, type JobRunner } from "./runner";

// The job path with STUDIO_GEMINI_BACKEND=interactions: SQLite storage, the real gateway and SDK,
// and the emulator with real-sized payloads and signatures enforced. Each answer's interaction id
// must survive storage, a follow-up must send only its own message, and a conversation Google no
// longer has (or a turn made by generateContent) must still continue.

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

let emulator: RunningEmulator;
let dataDir: string;
let storage: SqliteStorage;
let jobs: JobRunner;
let gateways: Record<GeminiBackend, GeminiGateway>;
let backend: GeminiBackend;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyMs: 5, realisticPayload: true, enforceSignatures: true });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-jobs-interactions-"));
  storage = openSqliteStorage({ dataDir });
  const make = (name: GeminiBackend) =>
    createGeminiGateway({ apiKey: "test", baseUrl: emulator.url, backend: name, retryPolicy: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, totalBudgetMs: 5_000 } });
  gateways = { generateContent: make("generateContent"), interactions: make("interactions") };
  backend = "interactions";
  jobs = createJobRunner({ storage, gateway: () => gateways[backend] });
  await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
});

afterEach(async () => {
  await jobs.shutdown();
  await storage.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function run(parentId: string | null, prompt: string, sessionId: string): Promise<{ turn: Turn; events: JobEvent[] }> {
  const started = await jobs.startTurn({ ownerId: OWNER, sessionId, parentId, request: { prompt, references: [], settings } });
  if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
  const events: JobEvent[] = [];
  const finished = new Promise<void>((resolve) => {
    void jobs.follow(OWNER, started.data.id, (event) => {
      events.push(event);
      if (["done", "failed", "cancelled", "interrupted"].includes(event.type)) resolve();
    });
  });
  await finished;
  const turn = await storage.turns.get(OWNER, started.data.id);
  if (!turn) throw new Error("turn vanished");
  return { turn, events };
}

interface LoggedRequest {
  path: string;
  status: number | null;
  body: { previousInteractionId?: string; contents?: Array<{ role?: string }> } | null;
}

async function takeRequests(): Promise<Array<[number | null, string | undefined, string[]]>> {
  const all = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as LoggedRequest[];
  await fetch(`${emulator.url}/_emulator/requests`, { method: "DELETE" });
  return all
    .filter((entry) => entry.path.endsWith("/interactions") || entry.path.includes(":streamGenerateContent"))
    .map((entry) => [entry.status, entry.body?.previousInteractionId, (entry.body?.contents ?? []).map((content) => content.role ?? "")]);
}

const eventTypes = (events: JobEvent[]) => [...new Set(events.map((event) => event.type))].sort();

describe("jobs through the Interactions backend", () => {
  it("continues a three-turn chain by id, keeps the ids in storage, and falls back when they are gone", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Restaurant" });
    // The first turn is made by generateContent: no id, as for conversations from before the switch.
    backend = "generateContent";
    const first = await run(null, "A nano banana dish in a fancy restaurant", session.id);
    expect(first.turn.status).toBe("succeeded");
    await takeRequests();

    backend = "interactions";
    const second = await run(first.turn.id, "Make the plate gold", session.id);
    expect(second.turn).toMatchObject({ status: "succeeded", error: null });
    expect(eventTypes(second.events)).toEqual(eventTypes(first.events));
    const secondId = (await storage.modelTurns.get(OWNER, second.turn.id))?.interactionId;
    expect(secondId).toMatch(/^v1_/);
    // No id to continue from: the conversation goes whole, once.
    expect(await takeRequests()).toEqual([[200, undefined, ["user", "model", "user"]]]);

    const third = await run(second.turn.id, "Add a Gemini logo on the wall", session.id);
    expect(third.turn).toMatchObject({ status: "succeeded", error: null });
    expect(third.turn.outcome?.images).toHaveLength(1);
    expect(await takeRequests()).toEqual([[200, secondId, ["user"]]]);
    const thirdId = (await storage.modelTurns.get(OWNER, third.turn.id))?.interactionId;

    // A branch from the second turn continues from its interaction too.
    const branch = await run(second.turn.id, "Make the plate silver", session.id);
    expect(branch.turn).toMatchObject({ status: "succeeded", parentId: second.turn.id });
    expect(await takeRequests()).toEqual([[200, secondId, ["user"]]]);

    // Google forgot every interaction: the 404 is answered by sending the conversation whole.
    await fetch(`${emulator.url}/_emulator/interactions`, { method: "DELETE" });
    const fourth = await run(third.turn.id, "Add rain outside the window", session.id);
    expect(fourth.turn).toMatchObject({ status: "succeeded", error: null });
    expect(fourth.turn.outcome?.images).toHaveLength(1);
    expect(await takeRequests()).toEqual([
      [404, thirdId, ["user"]],
      [200, undefined, ["user", "model", "user", "model", "user", "model", "user"]],
    ]);
    expect(eventTypes(fourth.events)).toEqual(eventTypes(first.events));
  });
});
