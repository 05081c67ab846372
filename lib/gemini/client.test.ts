import { createHash, randomBytes } from "node:crypto";
import { GoogleGenAI } from "@google/genai";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readFixtureText, readSseFixture } from "./__fixtures__/load";
import { resolveModel } from "./catalog";
import { EARLY_END_RESENT, createGeminiGateway, type GeminiGatewayOptions } from "./client";
import { planGeneration } from "./request";
import type { GenerationEvent, GenerationRequest, GenerationSettings, ModelTurn } from "./types";

// The gateway over the real SDK with a fake fetch: checks the exact request body the SDK sends
// and how recorded responses come back, without a network or the emulator.

interface Captured {
  url: string;
  method: string;
  headers: Headers;
  body: Record<string, unknown> | null;
  /** The body as it went out: a long request's comes as a stream of pieces (request-stash.ts). */
  raw: Buffer | null;
  /** Set when the body was a stream: its declared Content-Length and undici's duplex option. */
  streamed: { contentLength: string | null; duplex: unknown } | null;
}

type Responder = (captured: Captured, signal: AbortSignal | undefined) => Response | Promise<Response>;

function fakeFetch(responders: Responder[]) {
  const calls: Captured[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const body = init?.body;
    const streamed = body instanceof ReadableStream;
    const raw =
      typeof body === "string" ? Buffer.from(body) : body instanceof Uint8Array ? Buffer.from(body) : streamed ? Buffer.from(await new Response(body).arrayBuffer()) : null;
    const headers = new Headers(init?.headers);
    const captured: Captured = {
      url: String(input),
      method: init?.method ?? "GET",
      headers,
      body: raw ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : null,
      raw,
      streamed: streamed ? { contentLength: headers.get("content-length"), duplex: (init as RequestInit & { duplex?: unknown }).duplex } : null,
    };
    calls.push(captured);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw new DOMException("This operation was aborted", "AbortError");
    const responder = responders.shift();
    if (!responder) throw new Error("unexpected request");
    return responder(captured, signal);
  }) as typeof fetch;
  return { fetchImpl, calls };
}

function sse(body: string): Response {
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

function sseOf(...chunks: object[]): Response {
  return sse(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join(""));
}

function jsonError(status: number, fixture: string): Response {
  return new Response(readFixtureText(fixture), { status, headers: { "content-type": "application/json" } });
}

/** A body that sends `first` and then never ends, unless the request is aborted. */
function hanging(signal: AbortSignal | undefined, first?: string): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first) controller.enqueue(new TextEncoder().encode(first));
      signal?.addEventListener("abort", () => controller.error(new DOMException("This operation was aborted", "AbortError")));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

/** A body that sends `first` and then the connection drops. */
function cut(first: string): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode(first));
      } else {
        controller.error(new TypeError("terminated"));
      }
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

/** An SSE body that arrives in reads of the given sizes (cycled), one read per pull. */
function pieces(body: Uint8Array, sizes: readonly number[]): Response {
  let offset = 0;
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      const size = sizes[index % sizes.length] ?? 1;
      index += 1;
      controller.enqueue(body.slice(offset, offset + size));
      offset += size;
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
}

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: true,
  imageOnly: false,
};

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return { history: [], prompt: "A banana", references: [], settings, ...overrides };
}

function gateway(fetchImpl: typeof fetch, options: Partial<GeminiGatewayOptions> = {}) {
  return createGeminiGateway({
    apiKey: "test-key",
    baseUrl: "http://gemini.test",
    fetch: fetchImpl,
    retryPolicy: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

let image1376: string;

beforeAll(async () => {
  image1376 = (await sharp({ create: { width: 1376, height: 768, channels: 3, background: "#fc0" } }).png().toBuffer()).toString("base64");
});

function imageChunk(data: string, signature = "sig-1") {
  return {
    candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data }, thoughtSignature: signature }] }, finishReason: "STOP" }],
    modelVersion: "gemini-3.1-flash-image",
    responseId: "r1",
  };
}

describe("what the SDK sends", () => {
  it("streams from v1 with the key in a header and the config in the documented wire form", async () => {
    const history: ModelTurn = {
      parts: [
        { text: "thinking", thought: true },
        { inlineData: { mimeType: "image/jpeg", data: "AA==" }, thoughtSignature: "sig-A" },
        { text: "", thoughtSignature: "sig-B" },
      ],
    };
    const { fetchImpl, calls } = fakeFetch([() => sseOf(imageChunk(image1376))]);
    const result = await gateway(fetchImpl).generate(
      request({ history: [{ prompt: "first", references: [], modelTurn: history }], prompt: "second" }),
    );
    expect(result.ok).toBe(true);
    const call = calls[0];
    expect(call?.url).toBe("http://gemini.test/v1/models/gemini-3.1-flash-image:streamGenerateContent?alt=sse");
    expect(call?.headers.get("x-goog-api-key")).toBe("test-key");
    expect(call?.body?.generationConfig).toEqual({
      responseModalities: ["TEXT", "IMAGE"],
      imageConfig: { aspectRatio: "16:9", imageSize: "1K" },
      thinkingConfig: { thinkingLevel: "HIGH", includeThoughts: true },
    });
    expect(JSON.stringify(call?.body?.tools)).toBe('[{"googleSearch":{"searchTypes":{"webSearch":{},"imageSearch":{}}}}]');
    expect(call?.body?.contents).toEqual([
      { role: "user", parts: [{ text: "first" }] },
      { role: "model", parts: history.parts },
      { role: "user", parts: [{ text: "second" }] },
    ]);
  });
});

describe("a long conversation's body", () => {
  it("goes out byte for byte as the SDK alone writes it, streamed with the images and signatures put in as bytes", async () => {
    const big = (bytes: number) => randomBytes(bytes).toString("base64");
    const modelTurn: ModelTurn = {
      parts: [
        { text: "**Plating** the banana", thought: true },
        { text: "Here it is.", thoughtSignature: big(5_000) },
        { inlineData: { mimeType: "image/jpeg", data: big(60_000) }, thoughtSignature: big(30_000), futureField: { kept: true } },
        { text: "", thoughtSignature: "c2lnLUI=" },
      ],
    };
    const generation = request({
      history: [{ prompt: 'A "golden" banana — 金色 🍌', references: [{ mimeType: "image/png", data: randomBytes(20_000), role: "object" }], modelTurn: Object.freeze(modelTurn) }],
      prompt: "Add a logo",
      references: [{ mimeType: "image/png", data: randomBytes(10_000) }],
    });
    const { fetchImpl, calls } = fakeFetch([() => sseOf(imageChunk(image1376))]);
    expect((await gateway(fetchImpl).generate(generation)).ok).toBe(true);
    const sent = calls[0]?.raw;

    // The same call straight through the SDK, which encodes the whole body itself.
    const profile = resolveModel(settings.model).profile;
    if (!profile) throw new Error("no profile");
    let direct: string | null = null;
    const sdk = new GoogleGenAI({
      apiKey: "test-key",
      httpOptions: {
        baseUrl: "http://gemini.test",
        fetch: (async (_input: RequestInfo | URL, init?: RequestInit) => {
          direct = typeof init?.body === "string" ? init.body : null;
          return sseOf(imageChunk(image1376));
        }) as typeof fetch,
      },
    });
    const stream = await sdk.models.generateContentStream(planGeneration(generation, profile).call);
    for await (const chunk of stream) void chunk;

    expect(calls[0]?.streamed).toEqual({ contentLength: String(sent?.length), duplex: "half" });
    expect(direct).not.toBeNull();
    expect(sent?.length).toBeGreaterThan(150_000);
    const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
    expect(sha256(sent ?? Buffer.alloc(0))).toBe(sha256(Buffer.from(direct ?? "", "utf8")));
    expect(sent?.equals(Buffer.from(direct ?? "", "utf8"))).toBe(true);
  });
});

describe("generate", () => {
  it("returns the folded outcome of the recorded Pro stream and emits live events", async () => {
    // The recording separates events with LF CR LF. That is a blank line by the SSE spec, but the
    // SDK's reader only splits on LF LF, CR CR or CRLF CRLF, so the chunks are re-framed here.
    const { fetchImpl } = fakeFetch([() => sseOf(...readSseFixture("streams/image-3-pro-signed.sse"))]);
    const events: GenerationEvent[] = [];
    const result = await gateway(fetchImpl).generate(request({ settings: { ...settings, model: "gemini-3-pro-image" } }), {
      onEvent: (event) => events.push(event),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.outcome.modelTurn.parts).toEqual([
      { inlineData: { mimeType: "image/jpeg", data: "AA==" }, thoughtSignature: "live-image-thought-signature" },
      { text: "" },
    ]);
    expect(result.outcome.warnings).toContain("Nano Banana Pro sets its own thinking level; the \"high\" setting was not sent.");
    expect(events.map((event) => event.type)).toEqual(["attempt", "phase", "phase", "image"]);
  });

  it("pins the SDK quirk: the recording's LF CR LF framing, sent verbatim, reads as a cut stream", async () => {
    const { fetchImpl } = fakeFetch([() => sse(readFixtureText("streams/image-3-pro-signed.sse"))]);
    const result = await gateway(fetchImpl, { retryPolicy: { maxAttempts: 1 } }).generate(request());
    expect(result).toMatchObject({ ok: false, error: { code: "network", retryable: true, detail: "Incomplete JSON segment at the end" } });
  });

  it("turns a retired id into model_retired without calling the API", async () => {
    const { fetchImpl, calls } = fakeFetch([]);
    const result = await gateway(fetchImpl).generate(request({ settings: { ...settings, model: "gemini-3.1-flash-image-preview" } }));
    expect(result).toMatchObject({ ok: false, error: { code: "model_retired", replacementModel: "gemini-3.1-flash-image" } });
    expect(calls).toHaveLength(0);
  });

  it("refuses what the service would reject before sending it", async () => {
    const { fetchImpl, calls } = fakeFetch([]);
    const references = Array.from({ length: 15 }, () => ({ mimeType: "image/png", data: new Uint8Array([1]) }));
    const result = await gateway(fetchImpl).generate(request({ references }));
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(calls).toHaveLength(0);
    const invalid = await gateway(fetchImpl).generate(request({ settings: { ...settings, imageSize: "2k" as "2K" } }));
    expect(invalid).toMatchObject({ ok: false, error: { code: "invalid_request" } });
  });

  it("retries 429 (honouring retryDelay) and 503, visibly, then succeeds", async () => {
    const { fetchImpl, calls } = fakeFetch([
      () =>
        new Response(
          JSON.stringify({ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "0.02s" }] } }),
          { status: 429, headers: { "content-type": "application/json" } },
        ),
      () => jsonError(503, "errors/503-unavailable.json"),
      () => sseOf(imageChunk(image1376)),
    ]);
    const events: GenerationEvent[] = [];
    const result = await gateway(fetchImpl).generate(request(), { onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    expect(calls).toHaveLength(3);
    const retries = events.filter((event) => event.type === "retry");
    expect(retries).toMatchObject([
      { attempt: 2, maxAttempts: 4, delayMs: 20, error: { code: "quota_exhausted", retryAfterMs: 20 } },
      { attempt: 3, maxAttempts: 4, error: { code: "service_unavailable" } },
    ]);
  });

  it("never retries an invalid key", async () => {
    const { fetchImpl, calls } = fakeFetch([() => jsonError(400, "errors/400-api-key-invalid.json")]);
    const result = await gateway(fetchImpl).generate(request());
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_key", retryable: false } });
    expect(calls).toHaveLength(1);
  });

  it("maps a 404 on a deprecated model to model_retired", async () => {
    const { fetchImpl } = fakeFetch([() => jsonError(404, "errors/404-model-not-found.json")]);
    const result = await gateway(fetchImpl).generate(request({ settings: { ...settings, model: "gemini-2.5-flash-image" } }));
    expect(result).toMatchObject({ ok: false, error: { code: "model_retired", replacementModel: "gemini-nano-banana-2.1" } });
  });

  it("retries an error event mid-stream and a dropped connection", async () => {
    const first = `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Sketching", thought: true }] } }] })}\n\n`;
    const { fetchImpl, calls } = fakeFetch([
      () => sse(`${first}data: ${readFixtureText("errors/500-internal.json").replace(/\s+/g, " ")}\n\n`),
      () => cut(first),
      () => sseOf(imageChunk(image1376)),
    ]);
    const events: GenerationEvent[] = [];
    const result = await gateway(fetchImpl).generate(request(), { onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    expect(calls).toHaveLength(3);
    expect(events.filter((event) => event.type === "retry").map((event) => event.type === "retry" && event.error.code)).toEqual([
      "service_unavailable",
      "network",
    ]);
  });

  it("keeps a whole image from a stream that ends without a finish reason, with a note (Vertex-style proxies send none)", async () => {
    const partial = { candidates: [{ content: { parts: [{ inlineData: { mimeType: "image/png", data: image1376 } }] } }] };
    const { fetchImpl, calls } = fakeFetch([() => sseOf(partial)]);
    const result = await gateway(fetchImpl, { retryPolicy: { maxAttempts: 4 } }).generate(request());
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.outcome.warnings.join(" ")).toMatch(/without saying it was finished/);
    expect(calls).toHaveLength(1);
  });

  it("resends once, and only once, a stream that ended after its first chunk with nothing costly in it", async () => {
    const first = { candidates: [{ content: { parts: [{ text: "Here is" }] } }] };
    const { fetchImpl, calls } = fakeFetch([() => sseOf(first), () => sseOf(first), () => sseOf(first)]);
    const events: string[] = [];
    const result = await gateway(fetchImpl, { retryPolicy: { maxAttempts: 4 } }).generate(request(), {
      onEvent: (event) => event.type === "retry" && events.push(event.error.message),
    });
    expect(result).toMatchObject({ ok: false, error: { code: "incomplete", retryable: false } });
    expect(calls).toHaveLength(2);
    expect(events).toEqual([expect.stringMatching(/resending once/)]);
  });

  it("says in the result that an early end was resent", async () => {
    const first = { candidates: [{ content: { parts: [{ text: "Here is" }] } }] };
    const { fetchImpl, calls } = fakeFetch([() => sseOf(first), () => sseOf(imageChunk(image1376))]);
    const result = await gateway(fetchImpl).generate(request());
    expect(calls).toHaveLength(2);
    expect(result.ok && result.outcome.warnings).toContain(EARLY_END_RESENT);
  });

  it("never resends an early end once thoughts had arrived, and keeps them", async () => {
    const thought = { candidates: [{ content: { parts: [{ text: "Planning the layout", thought: true }] } }] };
    const more = { candidates: [{ content: { parts: [{ text: "Still planning", thought: true }] } }] };
    const { fetchImpl, calls } = fakeFetch([() => sseOf(thought, more)]);
    const result = await gateway(fetchImpl, { retryPolicy: { maxAttempts: 4 } }).generate(request());
    expect(result).toMatchObject({ ok: false, error: { code: "incomplete", retryable: false } });
    expect(result.ok ? [] : result.outcome?.thoughts.map((entry) => entry.kind === "text" && entry.text)).toEqual([
      "Planning the layout",
      "Still planning",
    ]);
    expect(calls).toHaveLength(1);
  });

  it("returns no_image and safety_block with the outcome, without retrying", async () => {
    const { fetchImpl, calls } = fakeFetch([
      () => sse(`data: ${readFixtureText("responses/no-image.json").replace(/\s+/g, " ")}\n\n`),
      () => sse(`data: ${readFixtureText("responses/prompt-blocked.json").replace(/\s+/g, " ")}\n\n`),
    ]);
    const noImage = await gateway(fetchImpl).generate(request());
    expect(noImage).toMatchObject({ ok: false, error: { code: "no_image" }, outcome: { finishReason: "NO_IMAGE" } });
    const blocked = await gateway(fetchImpl).generate(request());
    expect(blocked).toMatchObject({ ok: false, error: { code: "safety_block", blockReason: "PROHIBITED_CONTENT" } });
    expect(calls).toHaveLength(2);
  });

  it("folds the same outcome whatever sizes the network reads have", async () => {
    // Whole events reach the SDK through the gateway's re-chunking fetch; the reads here split
    // events, delimiters and multi-byte characters anywhere.
    const thoughtImage = (await sharp({ create: { width: 64, height: 36, channels: 3, background: "#0af" } }).png().toBuffer()).toString("base64");
    const chunks = [
      { candidates: [{ content: { role: "model", parts: [{ text: "Skizze für 🍌, 日本語", thought: true }] } }] },
      { candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: thoughtImage }, thought: true }] } }] },
      imageChunk(image1376, "s".repeat(600_000)),
      {
        candidates: [{ content: { role: "model", parts: [{ text: "Voilà: 🍌" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1120, totalTokenCount: 1125 },
      },
    ];
    const run = async (body: Uint8Array, sizes: readonly number[]) => {
      const { fetchImpl } = fakeFetch([() => pieces(body, sizes)]);
      const events: GenerationEvent[] = [];
      const result = await gateway(fetchImpl, { now: () => 0 }).generate(request(), { onEvent: (event) => events.push(event) });
      return { result, events };
    };
    for (const delimiter of ["\n\n", "\r\n\r\n"]) {
      const body = new TextEncoder().encode(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}${delimiter}`).join(""));
      const whole = await run(body, [body.length]);
      expect(whole.result.ok).toBe(true);
      expect(whole.result.ok && whole.result.outcome.text).toBe("Voilà: 🍌");
      // The image and the signature went round the SDK's parser (sse-stash.ts) and are back as sent.
      const sent = chunks.flatMap((chunk): object[] => chunk.candidates[0]?.content.parts ?? []);
      expect(whole.result.ok && JSON.stringify(whole.result.outcome.modelTurn.parts)).toBe(JSON.stringify(sent));
      for (const sizes of [[1, 2, 3, 4093], [7, 13, 4099], [65_536], [100_003, 1]]) {
        const split = await run(body, sizes);
        expect(split.result).toEqual(whole.result);
        expect(split.events).toEqual(whole.events);
      }
    }
  });

  it("flags a returned image whose size the service did not honour", async () => {
    const { fetchImpl } = fakeFetch([() => sseOf(imageChunk(image1376))]);
    const result = await gateway(fetchImpl).generate(request({ settings: { ...settings, imageSize: "2K" } }));
    expect(result.ok && result.outcome.images[0]).toMatchObject({ requested: { width: 2752, height: 1536 }, width: 1376, sizeMismatch: true });
  });

  it("cancels at once, mid-stream, without retrying", async () => {
    const controller = new AbortController();
    const first = `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Planning", thought: true }] } }] })}\n\n`;
    const { fetchImpl, calls } = fakeFetch([(_captured, signal) => hanging(signal, first)]);
    const started = Date.now();
    const result = await gateway(fetchImpl).generate(request(), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "thought") controller.abort();
      },
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, error: { code: "cancelled" } });
    expect(calls).toHaveLength(1);
  });

  it("times out a hung attempt and retries it", async () => {
    const { fetchImpl, calls } = fakeFetch([(_captured, signal) => hanging(signal), () => sseOf(imageChunk(image1376))]);
    const events: GenerationEvent[] = [];
    const result = await gateway(fetchImpl, { timeoutMs: 50 }).generate(request(), { onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    expect(calls).toHaveLength(2);
    expect(events.find((event) => event.type === "retry")).toMatchObject({ error: { code: "timeout" } });
  });
});

describe("listModels", () => {
  it("merges models.list with the catalog", async () => {
    const { fetchImpl, calls } = fakeFetch([
      () =>
        Response.json({
          models: [
            { name: "models/gemini-3-pro-image", supportedGenerationMethods: ["generateContent"] },
            { name: "models/gemini-3.5-flash-image", displayName: "Gemini 3.5 Flash Image", supportedGenerationMethods: ["generateContent"] },
          ],
        }),
    ]);
    const result = await gateway(fetchImpl, { defaultModel: "gemini-3-pro-image" }).listModels();
    expect(calls[0]?.url).toMatch(/^http:\/\/gemini\.test\/v1\/models\?/);
    expect(result).toMatchObject({ ok: true, source: "live", defaultModel: "gemini-3-pro-image" });
    expect(result.models.map((model) => [model.id, model.verified])).toEqual([
      ["gemini-3-pro-image", true],
      ["gemini-3.5-flash-image", false],
    ]);
  });

  it("reports the error and still returns the static catalog", async () => {
    const { fetchImpl } = fakeFetch([() => jsonError(400, "errors/400-api-key-invalid.json")]);
    const result = await gateway(fetchImpl).listModels();
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_key" }, source: "catalog", defaultModel: "gemini-nano-banana-2.1" });
  });
});

describe("listModels cache", () => {
  it("asks Google once per minute on success and once per 30 s on failure, shared by concurrent callers", async () => {
    let clock = 0;
    const listed = () => Response.json({ models: [{ name: "models/gemini-3-pro-image", supportedGenerationMethods: ["generateContent"] }] });
    const { fetchImpl, calls } = fakeFetch([() => jsonError(400, "errors/400-api-key-invalid.json"), listed, listed]);
    const models = gateway(fetchImpl, { now: () => clock });
    const [first, second] = await Promise.all([models.listModels(), models.listModels()]);
    expect(first).toMatchObject({ ok: false, error: { code: "invalid_key" } });
    expect(second).toBe(first);
    clock = 29_999;
    expect(await models.listModels()).toBe(first);
    expect(calls).toHaveLength(1);
    // Past 30 s: the old answer once more, at once, while the list is asked again...
    clock = 30_000;
    expect(await models.listModels()).toBe(first);
    // ...and the fresh one from then on, for a minute.
    const fixed = await models.listModels();
    expect(fixed.ok).toBe(true);
    expect(calls).toHaveLength(2);
    clock = 30_000 + 59_999;
    expect(await models.listModels()).toBe(fixed);
    expect(calls).toHaveLength(2);
    clock = 30_000 + 60_000;
    expect(await models.listModels()).toBe(fixed);
    // The refresh is in flight: the next caller waits for it instead of starting another.
    await models.listModels();
    expect(calls).toHaveLength(3);
  });
});

describe("what the SDK would drop or never send", () => {
  it("keeps the candidate's finishMessage, which @google/genai 3.1 drops on the Developer API", async () => {
    // Described in gemini-facts.md (no recording of it is in test/fixtures/gemini).
    const finishMessage =
      "Unable to show the generated image. See the [policy](https://policies.google.com/terms/generative-ai/use-policy). You will not be charged for blocked images.";
    const blocked = {
      candidates: [{ content: {}, finishReason: "IMAGE_SAFETY", finishMessage, index: 0 }],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 0, thoughtsTokenCount: 230, totalTokenCount: 242 },
    };
    const { fetchImpl } = fakeFetch([() => sseOf(blocked)]);
    const result = await gateway(fetchImpl).generate(request());
    expect(result).toMatchObject({ ok: false, error: { code: "safety_block" }, outcome: { finishMessage, finishReason: "IMAGE_SAFETY" } });
    expect(result.ok ? null : result.outcome?.usage).toMatchObject({ thoughtsTokens: 230, imageTokens: 0, outputTokens: 0 });
  });

  it("sends store: false when the operator opted out of request storage, and nothing otherwise", async () => {
    const { fetchImpl, calls } = fakeFetch([() => sseOf(imageChunk(image1376)), () => sseOf(imageChunk(image1376))]);
    await gateway(fetchImpl, { store: false }).generate(request());
    await gateway(fetchImpl).generate(request());
    expect(calls[0]?.body).toMatchObject({ store: false });
    expect(calls[1]?.body).not.toHaveProperty("store");
  });
});
