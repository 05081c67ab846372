import { beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "@/emulator/server";
import type { GeminiBackend, GeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import type { SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { JOBS_OWNER, withEmulatorJobs } from "@/test/support/emulator-jobs";
import type { Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";

// The job path with STUDIO_GEMINI_BACKEND=interactions: SQLite storage, the real gateway and SDK,
// and the emulator with real-sized payloads and signatures enforced. Each answer's interaction id
// must survive storage, a follow-up must send only its own message, and a conversation Google no
// longer has (or a turn made by generateContent) must still continue.

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

let emulator: RunningEmulator;
let storage: SqliteStorage;
let gateways: Record<GeminiBackend, GeminiGateway>;
let backend: GeminiBackend;
const harness = withEmulatorJobs({ tmpPrefix: "nb-jobs-interactions-", gateway: (make) => {
    gateways = { generateContent: make({ backend: "generateContent" }), interactions: make({ backend: "interactions" }) };
    backend = "interactions";
    return () => gateways[backend];
  } });
beforeEach(() => {
  ({ emulator, storage } = harness());
});

function run(parentId: string | null, prompt: string, sessionId: string): Promise<{ turn: Turn; events: JobEvent[] }> {
  return harness().run({ parentId, prompt, sessionId, settings });
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
