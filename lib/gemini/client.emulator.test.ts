import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiGatewayOptions, type GenerateResult } from "./client";
import type { GenerationEvent, GenerationOutcome, GenerationRequest, GenerationSettings, HistoryTurn, ModelTurn, StoredPart } from "./types";

// The gateway end to end against the Gemini API emulator (a real HTTP server that enforces thought
// signatures like Gemini 3 does), through the real SDK.

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
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${await response.text()}`);
  return response.json();
}

function queueFaults(...faults: Array<Record<string, unknown>>) {
  return control("POST", "/_emulator/faults", { faults });
}

interface LoggedRequest {
  path: string;
  status: number | null;
  fault: string | null;
  body: { contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }> } | null;
}

async function generateRequests(): Promise<LoggedRequest[]> {
  const all = (await control("GET", "/_emulator/requests")) as LoggedRequest[];
  return all.filter((entry) => entry.path.includes(":streamGenerateContent"));
}

function gateway(options: Partial<GeminiGatewayOptions> = {}) {
  return createGeminiGateway({
    apiKey: "studio-test-key",
    baseUrl: emulator.url,
    retryPolicy: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, totalBudgetMs: 10_000 },
    ...options,
  });
}

const flashSettings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

function request(prompt: string, history: HistoryTurn[] = [], settings: Partial<GenerationSettings> = {}): GenerationRequest {
  return { history, prompt, references: [], settings: { ...flashSettings, ...settings } };
}

function expectOutcome(result: GenerateResult): GenerationOutcome {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.detail ?? result.error.message}`);
  return result.outcome;
}

function finalImagePartIndex(turn: ModelTurn): number {
  return turn.parts.findIndex((part) => part.inlineData !== undefined && part.thought !== true);
}

async function collect(run: (onEvent: (event: GenerationEvent) => void) => Promise<GenerateResult>) {
  const events: GenerationEvent[] = [];
  const result = await run((event) => events.push(event));
  return { result, events };
}

describe("multi-turn editing with thought signatures", () => {
  it("three turns succeed with each earlier model turn replayed verbatim", async () => {
    const studio = gateway();
    const first = expectOutcome(await studio.generate(request("A nano banana dish in a fancy restaurant")));
    expect(first.images).toHaveLength(1);
    expect(first.images[0]).toMatchObject({ width: 1376, height: 768, requested: { width: 1376, height: 768 }, sizeMismatch: false });
    const signed = first.modelTurn.parts[finalImagePartIndex(first.modelTurn)];
    expect(signed?.thoughtSignature).toEqual(expect.any(String));

    const turn1: HistoryTurn = { prompt: "A nano banana dish in a fancy restaurant", references: [], modelTurn: first.modelTurn };
    const second = expectOutcome(await studio.generate(request("Make the plate gold", [turn1], { aspectRatio: "match-input" })));
    const turn2: HistoryTurn = { prompt: "Make the plate gold", references: [], modelTurn: second.modelTurn };
    const third = expectOutcome(await studio.generate(request("Add a Gemini logo on the wall", [turn1, turn2])));
    expect(third.images).toHaveLength(1);

    // The third request carried both model turns, part for part, each signature still valid on its part.
    const logged = await generateRequests();
    expect(logged.map((entry) => entry.status)).toEqual([200, 200, 200]);
    const contents = logged[2]?.body?.contents ?? [];
    expect(contents.map((content) => content.role)).toEqual(["user", "model", "user", "model", "user"]);
    for (const [index, turn] of [
      [1, first.modelTurn],
      [3, second.modelTurn],
    ] as const) {
      const sent = contents[index]?.parts ?? [];
      expect(sent).toHaveLength(turn.parts.length);
      turn.parts.forEach((part, partIndex) => {
        const wire = sent[partIndex] ?? {};
        expect(wire.text).toEqual(part.text);
        expect(wire.thought).toEqual(part.thought);
        if (part.thoughtSignature) expect(wire.thoughtSignature).toMatch(/^<signature \d+ chars valid>$/);
        else expect(wire.thoughtSignature).toBeUndefined();
      });
    }
  });

  it("a turn whose signature was stripped fails with the service's reason, without retrying", async () => {
    const studio = gateway();
    const first = expectOutcome(await studio.generate(request("A banana")));
    const index = finalImagePartIndex(first.modelTurn);
    const stripped: ModelTurn = {
      parts: first.modelTurn.parts.map((part, partIndex) => {
        if (partIndex !== index) return part;
        const { thoughtSignature: _dropped, ...rest } = part;
        return rest as StoredPart;
      }),
    };
    const { result, events } = await collect((onEvent) =>
      studio.generate(request("Make it gold", [{ prompt: "A banana", references: [], modelTurn: stripped }]), { onEvent }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({
      code: "invalid_request",
      retryable: false,
      httpStatus: 400,
      detail: `Image part is missing a thought_signature in content position 2, part position ${index + 1}.`,
    });
    // The service's words stay in detail; the message is the studio's own.
    expect(result.error.message).toBe("Google rejected the request.");
    expect(events.filter((event) => event.type === "retry")).toEqual([]);
    expect(await generateRequests()).toHaveLength(2);
  });

  it("a signature that was altered or moved to another part is rejected too", async () => {
    const studio = gateway();
    const first = expectOutcome(await studio.generate(request("A banana")));
    const index = finalImagePartIndex(first.modelTurn);
    const original = first.modelTurn.parts[index]?.thoughtSignature ?? "";
    const altered: ModelTurn = {
      parts: first.modelTurn.parts.map((part, partIndex) =>
        partIndex === index ? { ...part, thoughtSignature: `${original.slice(0, 40)}${original[40] === "A" ? "B" : "A"}${original.slice(41)}` } : part,
      ),
    };
    const result = await studio.generate(request("Make it gold", [{ prompt: "A banana", references: [], modelTurn: altered }]));
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_request", detail: "Corrupted thought signature." } });
  });

  it("Pro keeps its signatures across turns too, and is never sent a thinking level", async () => {
    const studio = gateway();
    const pro = { model: "gemini-3-pro-image", imageSize: "2K" as const };
    const first = expectOutcome(await studio.generate(request("A poster that says NANO BANANA", [], pro)));
    expect(first.images[0]).toMatchObject({ width: 2752, height: 1536, sizeMismatch: false });
    expect(first.warnings).toContain('Nano Banana Pro sets its own thinking level; the "high" setting was not sent.');
    const second = await studio.generate(
      request("Make the letters red", [{ prompt: "A poster that says NANO BANANA", references: [], modelTurn: first.modelTurn }], pro),
    );
    expect(expectOutcome(second).images).toHaveLength(1);
  });
});

describe("streaming, thoughts and grounding", () => {
  it("streams thoughts live and keeps thought images out of the results", async () => {
    const { result, events } = await collect((onEvent) => gateway().generate(request("A glass bottle city"), { onEvent }));
    const outcome = expectOutcome(result);
    const kinds = events.map((event) => (event.type === "phase" ? `phase:${event.phase}` : event.type));
    expect(kinds[0]).toBe("attempt");
    expect(kinds[1]).toBe("phase:sending");
    expect(kinds).toContain("phase:thinking");
    expect(kinds.indexOf("phase:thinking")).toBeLessThan(kinds.indexOf("image"));
    expect(outcome.thoughts.length).toBeGreaterThan(0);
    expect(outcome.images).toHaveLength(1);
    const thoughtImages = outcome.modelTurn.parts.filter((part) => part.thought && part.inlineData);
    expect(outcome.thoughts.filter((thought) => thought.kind === "image")).toHaveLength(thoughtImages.length);
    expect(outcome.usage?.imageTokens).toBeGreaterThan(0);
    expect(outcome.finishReason).toBe("STOP");
  });

  it("returns normalized grounding with the search widget when web and image search are on", async () => {
    const outcome = expectOutcome(await gateway().generate(request("Tomorrow's weather in Paris as a chart", [], { webSearch: true, imageSearch: true })));
    expect(outcome.grounding).not.toBeNull();
    expect(outcome.grounding?.searchEntryPointHtml).toEqual(expect.stringContaining("<style>"));
    expect((outcome.grounding?.webQueries.length ?? 0) + (outcome.grounding?.imageQueries.length ?? 0)).toBeGreaterThan(0);
  });

  it("2.5 Flash gets no thinking, size or search options, so the request is accepted", async () => {
    const outcome = expectOutcome(
      await gateway().generate(request("A banana", [], { model: "gemini-2.5-flash-image", imageSize: "4K", webSearch: true, imageSearch: true })),
    );
    expect(outcome.images[0]).toMatchObject({ width: 1344, height: 768, sizeMismatch: false });
    expect(outcome.warnings.length).toBeGreaterThanOrEqual(4);
  });
});

describe("retries", () => {
  it("retries 429 (honouring retryDelay) and 503, reporting each attempt", async () => {
    await queueFaults({ kind: "429", retryDelay: "0.05s" }, { kind: "503" });
    const { result, events } = await collect((onEvent) => gateway().generate(request("A banana"), { onEvent }));
    expectOutcome(result);
    const retries = events.filter((event) => event.type === "retry");
    expect(retries).toMatchObject([
      { attempt: 2, maxAttempts: 4, error: { code: "quota_exhausted", retryAfterMs: 50 } },
      { attempt: 3, maxAttempts: 4, error: { code: "service_unavailable" } },
    ]);
    expect(retries[0]?.type === "retry" && retries[0].delayMs).toBeGreaterThanOrEqual(50);
    expect(events.filter((event) => event.type === "attempt").map((event) => event.type === "attempt" && event.attempt)).toEqual([1, 2, 3]);
    expect((await generateRequests()).map((entry) => entry.fault)).toEqual(["429", "503", null]);
  });

  it("retries a 500, an error event mid-stream and a dropped connection", async () => {
    await queueFaults({ kind: "500" }, { kind: "error_chunk", afterChunks: 1, code: 503 }, { kind: "cut", afterChunks: 1 });
    const { result, events } = await collect((onEvent) => gateway().generate(request("A banana"), { onEvent }));
    expectOutcome(result);
    expect(events.flatMap((event) => (event.type === "retry" ? [event.error.code] : []))).toEqual([
      "service_unavailable",
      "service_unavailable",
      "network",
    ]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    await queueFaults({ kind: "503" }, { kind: "503" }, { kind: "503" });
    const result = await gateway({ retryPolicy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }).generate(request("A banana"));
    expect(result).toMatchObject({ ok: false, error: { code: "service_unavailable", retryable: true } });
    expect(await generateRequests()).toHaveLength(3);
  });

  it("fails at once when the quota comes back later than the retry budget allows", async () => {
    await queueFaults({ kind: "429", retryDelay: "30s" });
    const started = Date.now();
    const result = await gateway().generate(request("A banana"));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ ok: false, error: { code: "quota_exhausted", retryAfterMs: 30_000 } });
    expect(await generateRequests()).toHaveLength(1);
  });

  it("an invalid key fails with invalid_key and is never retried", async () => {
    const { result, events } = await collect((onEvent) => gateway({ apiKey: "invalid-key" }).generate(request("A banana"), { onEvent }));
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_key", retryable: false, httpStatus: 400 } });
    expect(events.filter((event) => event.type === "retry")).toEqual([]);
    expect(await generateRequests()).toHaveLength(1);
  });

  it("a body over the 100 MB inline limit fails with request_too_large and Google's words, and is never retried", async () => {
    // 76 MiB of image bytes are 101.3 MiB of base64: just over the limit.
    const huge = Buffer.alloc(76 * 1024 * 1024, 7);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(huge);
    const { result, events } = await collect((onEvent) =>
      gateway().generate({ ...request("A banana"), references: [{ mimeType: "image/png", data: huge }] }, { onEvent }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "request_too_large",
        retryable: false,
        httpStatus: 400,
        detail: "Request payload size exceeds the limit: 104857600 bytes.",
        action: "Continue in a new session from this image.",
      },
    });
    // One answered request: the 400 is not retried. A retry after a dropped connection is allowed:
    // serializing 100 MB can block this process (the emulator's too) past the emulator's keep-alive
    // timeout, and it then drops the idle socket the SDK had just started sending on.
    expect(events.flatMap((event) => (event.type === "retry" ? [event.error.code] : [])).filter((code) => code !== "network")).toEqual([]);
    const logged = await generateRequests();
    expect(logged.map((entry) => entry.status)).toEqual([400]);
  }, 60_000);
});

describe("outcomes without an image", () => {
  it.each([
    ["image_safety", { code: "safety_block", finishReason: "IMAGE_SAFETY" }],
    ["prompt_blocked", { code: "safety_block", blockReason: "PROHIBITED_CONTENT" }],
    ["no_image", { code: "no_image", finishReason: "NO_IMAGE" }],
    ["text_only", { code: "no_image", modelText: expect.any(String) }],
  ] as const)("%s becomes a designer-facing error, not an empty success, and is not retried", async (kind, expected) => {
    await queueFaults({ kind });
    const result = await gateway().generate(request("A banana"));
    expect(result).toMatchObject({ ok: false, error: expected });
    expect(result.ok ? null : result.outcome?.images).toEqual([]);
    expect(await generateRequests()).toHaveLength(1);
  });
});

describe("cancel and timeout", () => {
  it("cancel stops a hung request at once, without retrying", async () => {
    await queueFaults({ kind: "hang" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const result = await gateway().generate(request("A banana"), { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, error: { code: "cancelled", retryable: false } });
    expect(await generateRequests()).toHaveLength(1);
  });

  it("cancel stops a slow stream mid-way", async () => {
    await queueFaults({ kind: "slow", delayMs: 300 });
    const controller = new AbortController();
    const started = Date.now();
    const result = await gateway().generate(request("A banana"), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "thought") controller.abort();
      },
    });
    expect(result).toMatchObject({ ok: false, error: { code: "cancelled" } });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("a hung attempt times out and the retry succeeds", async () => {
    await queueFaults({ kind: "hang" });
    const { result, events } = await collect((onEvent) => gateway({ timeoutMs: 300 }).generate(request("A banana"), { onEvent }));
    expectOutcome(result);
    expect(events.find((event) => event.type === "retry")).toMatchObject({ error: { code: "timeout" } });
  });
});

describe("models", () => {
  it("discovers the image models the key can use and picks the default", async () => {
    const result = await gateway().listModels();
    expect(result.ok).toBe(true);
    const ids = result.models.map((model) => model.id);
    expect(ids).toEqual([
      "gemini-3.1-flash-image",
      "gemini-3-pro-image",
      "gemini-2.5-flash-image",
      "gemini-nano-banana-2.1",
      "gemini-3.1-flash-lite-image",
    ]);
    expect(result.models.every((model) => model.verified)).toBe(true);
    expect(result.defaultModel).toBe("gemini-nano-banana-2.1");
    const withDefault = await gateway({ defaultModel: "gemini-3-pro-image" }).listModels();
    expect(withDefault.defaultModel).toBe("gemini-3-pro-image");
  });

  it("reports an invalid key from discovery, with the static catalog as a fallback", async () => {
    const result = await gateway({ apiKey: "invalid-key" }).listModels();
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_key" }, source: "catalog" });
  });

  it("a retired id is refused before any request, naming the replacement", async () => {
    const result = await gateway().generate(request("A banana", [], { model: "gemini-3-pro-image-preview" }));
    expect(result).toMatchObject({ ok: false, error: { code: "model_retired", replacementModel: "gemini-3-pro-image" } });
    expect(await generateRequests()).toHaveLength(0);
  });

  it("an unknown model the service does not serve maps to model_access", async () => {
    const result = await gateway().generate(request("A banana", [], { model: "gemini-9-image" }));
    expect(result).toMatchObject({ ok: false, error: { code: "model_access", httpStatus: 404 } });
  });
});
