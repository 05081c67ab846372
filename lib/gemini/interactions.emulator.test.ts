import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiBackend, type GenerateResult } from "./client";
import type { GenerationEvent, GenerationOutcome, GenerationRequest, GenerationSettings, HistoryTurn } from "./types";

// The gateway's Interactions backend end to end against the emulator (signatures enforced),
// through the real SDK, next to the generateContent backend for the same requests.

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, enforceSignatures: true });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await control("POST", "/_emulator/reset");
});

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}`);
  return response.json();
}

interface LoggedRequest {
  path: string;
  status: number | null;
  body: { previousInteractionId?: string; contents?: Array<{ role?: string; parts?: unknown[] }> } | null;
}

async function interactionRequests(): Promise<LoggedRequest[]> {
  return ((await control("GET", "/_emulator/requests")) as LoggedRequest[]).filter((entry) => entry.path.endsWith("/interactions"));
}

function gateway(backend: GeminiBackend = "interactions") {
  return createGeminiGateway({
    apiKey: "studio-test-key",
    baseUrl: emulator.url,
    backend,
    retryPolicy: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, totalBudgetMs: 10_000 },
  });
}

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

function request(prompt: string, history: HistoryTurn[] = [], overrides: Partial<GenerationSettings> = {}): GenerationRequest {
  return { history, prompt, references: [], settings: { ...settings, ...overrides } };
}

function expectOutcome(result: GenerateResult): GenerationOutcome {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.detail ?? result.error.message}`);
  return result.outcome;
}

function turn(prompt: string, outcome: GenerationOutcome): HistoryTurn {
  return { prompt, references: [], modelTurn: outcome.modelTurn };
}

/** What the UI is shown, in order, without the bytes and ids that differ between two answers. */
function shape(events: GenerationEvent[]) {
  return events.map((event) =>
    event.type === "thought" ? `thought:${event.thought.kind}` : event.type === "image" ? `image:${event.image.width}x${event.image.height}` : event.type === "phase" ? `phase:${event.phase}` : event.type,
  );
}

describe("the Interactions backend", () => {
  it("shows the same events, thoughts, usage and image as generateContent", async () => {
    const seen: Record<GeminiBackend, GenerationEvent[]> = { generateContent: [], interactions: [] };
    const outcomes: Partial<Record<GeminiBackend, GenerationOutcome>> = {};
    for (const backend of ["generateContent", "interactions"] as const) {
      outcomes[backend] = expectOutcome(await gateway(backend).generate(request("A red bicycle"), { onEvent: (event) => seen[backend].push(event) }));
    }
    expect(shape(seen.interactions)).toEqual(shape(seen.generateContent));
    const plain = outcomes.generateContent as GenerationOutcome;
    const interaction = outcomes.interactions as GenerationOutcome;
    expect(interaction.images.map((image) => [image.width, image.height, image.sizeMismatch])).toEqual(plain.images.map((image) => [image.width, image.height, image.sizeMismatch]));
    expect(interaction.thoughts.map((thought) => thought.kind)).toEqual(plain.thoughts.map((thought) => thought.kind));
    expect(interaction.finishReason).toBe("STOP");
    // Thinking and text lengths are drawn per answer; which counts are reported, and the prompt and image counts, match.
    expect(Object.keys(interaction.usage ?? {}).sort()).toEqual(Object.keys(plain.usage ?? {}).sort());
    expect([interaction.usage?.promptTokens, interaction.usage?.imageTokens]).toEqual([plain.usage?.promptTokens, plain.usage?.imageTokens]);
    expect(interaction.usage?.totalTokens).toBe((interaction.usage?.promptTokens ?? 0) + (interaction.usage?.outputTokens ?? 0) + (interaction.usage?.thoughtsTokens ?? 0));
    // The stored turn replays like a generateContent one, and names its interaction.
    const kinds = (outcome: GenerationOutcome) => outcome.modelTurn.parts.map((part) => [Boolean(part.thought), Boolean(part.inlineData), Boolean(part.thoughtSignature)]);
    expect(kinds(interaction)).toEqual(kinds(plain));
    expect(interaction.modelTurn.interactionId).toMatch(/^v1_/);
    expect(plain.modelTurn.interactionId).toBeUndefined();
  });

  it("maps grounding back to the same sources, queries and search suggestions", async () => {
    const prompt = "The Eiffel Tower at dusk, with today's weather";
    const plain = expectOutcome(await gateway("generateContent").generate(request(prompt, [], { webSearch: true })));
    const interaction = expectOutcome(await gateway().generate(request(prompt, [], { webSearch: true })));
    expect(interaction.grounding?.searchEntryPointHtml).toBeTruthy();
    expect(interaction.grounding?.webQueries).toEqual(plain.grounding?.webQueries);
    expect(interaction.grounding?.sources.map((source) => source.uri)).toEqual(plain.grounding?.sources.map((source) => source.uri));
    expect(interaction.grounding?.sources.map((source) => source.domain ?? source.title)).toEqual(plain.grounding?.sources.map((source) => source.domain ?? source.title));
    expect(interaction.grounding?.supports.map((support) => [support.startByte, support.endByte, support.sourceIndices])).toEqual(
      plain.grounding?.supports.map((support) => [support.startByte, support.endByte, support.sourceIndices]),
    );
  });

  it("runs three turns sending only each new message, then falls back when Google forgot the conversation", async () => {
    const studio = gateway();
    const first = expectOutcome(await studio.generate(request("A red bicycle")));
    const second = expectOutcome(await studio.generate(request("Make it blue", [turn("A red bicycle", first)])));
    const third = expectOutcome(await studio.generate(request("Now at night", [turn("A red bicycle", first), turn("Make it blue", second)])));
    let logged = await interactionRequests();
    expect(logged.map((entry) => entry.body?.previousInteractionId)).toEqual([undefined, first.modelTurn.interactionId, second.modelTurn.interactionId]);
    expect(logged.map((entry) => entry.body?.contents?.length)).toEqual([1, 1, 1]);

    // Expired at Google: the 404 is answered by sending the conversation whole, once.
    await control("DELETE", "/_emulator/interactions");
    await control("DELETE", "/_emulator/requests");
    const history = [turn("A red bicycle", first), turn("Make it blue", second), turn("Now at night", third)];
    const fourth = expectOutcome(await studio.generate(request("Add rain", history)));
    logged = await interactionRequests();
    expect(logged.map((entry) => entry.status)).toEqual([404, 200]);
    expect(logged[1]?.body?.previousInteractionId).toBeUndefined();
    expect(logged[1]?.body?.contents?.map((content) => content.role)).toEqual(["user", "model", "user", "model", "user", "model", "user"]);
    expect(fourth.images).toHaveLength(1);
    expect(fourth.modelTurn.interactionId).toMatch(/^v1_/);

    // And the next follow-up is small again.
    await control("DELETE", "/_emulator/requests");
    expectOutcome(await studio.generate(request("Add a rainbow", [...history, turn("Add rain", fourth)])));
    logged = await interactionRequests();
    expect(logged.map((entry) => [entry.status, entry.body?.previousInteractionId, entry.body?.contents?.length])).toEqual([[200, fourth.modelTurn.interactionId, 1]]);
  });

  it("branches from a turn made by generateContent by sending its conversation as steps", async () => {
    const plain = expectOutcome(await gateway("generateContent").generate(request("A red bicycle")));
    const followUp = expectOutcome(await gateway().generate(request("Make it blue", [turn("A red bicycle", plain)])));
    expect(followUp.images).toHaveLength(1);
    const [logged] = await interactionRequests();
    expect(logged?.body?.previousInteractionId).toBeUndefined();
    expect(logged?.body?.contents?.map((content) => content.role)).toEqual(["user", "model", "user"]);
  });

  it("stops on cancel, and reports a stream cut after the first step as incomplete with what arrived", async () => {
    await control("POST", "/_emulator/faults", { faults: [{ kind: "slow", delayMs: 2_000 }] });
    const controller = new AbortController();
    const pending = gateway().generate(request("A red bicycle"), { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const cancelled = await pending;
    expect(cancelled.ok ? null : cancelled.error.code).toBe("cancelled");

    await control("POST", "/_emulator/faults", { faults: [{ kind: "cut", afterChunks: 2 }, { kind: "cut", afterChunks: 2 }, { kind: "cut", afterChunks: 2 }] });
    const cut = await gateway().generate(request("A red bicycle"));
    expect(cut.ok).toBe(false);
    if (cut.ok) return;
    expect(["incomplete", "network"]).toContain(cut.error.code);
    expect(cut.outcome?.thoughts.length).toBeGreaterThan(0);
  });

  it("reports errors from the same closed set as generateContent", async () => {
    await control("POST", "/_emulator/faults", { faults: [{ kind: "leaked_key" }] });
    const leaked = await gateway().generate(request("A red bicycle"));
    expect(leaked.ok ? null : leaked.error.code).toBe("key_blocked");

    await control("POST", "/_emulator/faults", { faults: [{ kind: "image_safety" }] });
    const blocked = await gateway().generate(request("A red bicycle"));
    expect(blocked.ok ? null : [blocked.error.code, blocked.error.finishReason]).toEqual(["safety_block", "IMAGE_SAFETY"]);

    await control("POST", "/_emulator/faults", { faults: [{ kind: "429", retryDelay: "0.01s" }] });
    const retried = await gateway().generate(request("A red bicycle"));
    expect(retried.ok).toBe(true);
  });
});
