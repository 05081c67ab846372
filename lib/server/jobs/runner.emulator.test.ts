import { beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "@/emulator/server";
import type { GenerationSettings } from "@/lib/gemini/types";
import type { SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { JOBS_OWNER, withEmulatorJobs } from "@/test/support/emulator-jobs";
import type { Turn, TurnRequest } from "@/lib/storage/types";
import { type JobEvent } from "@/lib/studio/job-events";

// The whole job path for real: SQLite storage with model turns in files, the real gateway and SDK,
// and the Gemini emulator, which (like Gemini 3) rejects a replayed image part whose thought
// signature is missing or doesn't match its image. Later turns only succeed if storage handed
// back each model turn exactly as received.

const OWNER = JOBS_OWNER;
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
let storage: SqliteStorage;
const harness = withEmulatorJobs({ tmpPrefix: "nb-jobs-emulator-" });
beforeEach(() => {
  ({ emulator, storage } = harness());
});

function run(parentId: string | null, prompt: string, sessionId: string): Promise<{ turn: Turn; events: JobEvent[] }> {
  return harness().run({ parentId, prompt, sessionId, settings });
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
