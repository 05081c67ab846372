import type { GenerateContentResponse } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IMAGE_SAFETY_FINISH_MESSAGE } from "./response";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, rawRequest } from "./test-support";

/**
 * The shapes docs/gemini-facts.md ("Shapes seen in real recordings") describes. NO RECORDING of
 * any of these is in test/fixtures/gemini: the recordings it describes are not in the repo, so
 * these tests check field names, casing and placement against that description, not a fixture.
 */

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
});

async function queue(...faults: Array<Record<string, unknown>>): Promise<void> {
  const response = await rawRequest(emulator, "POST", "/_emulator/faults", { faults }, {});
  expect(response.status).toBe(200);
}

type Config = NonNullable<Parameters<ReturnType<typeof createClient>["models"]["generateContentStream"]>[0]["config"]>;

async function stream(prompt: string, config: Config = {}, model = "gemini-3.1-flash-image") {
  const chunks: GenerateContentResponse[] = [];
  const response = await createClient(emulator).models.generateContentStream({ model, contents: prompt, config });
  for await (const chunk of response) chunks.push(chunk);
  return chunks;
}

/** The raw SSE events, so fields the SDK might fill in (index, usage) are seen as sent. */
async function rawEvents(body: unknown, model = "gemini-3.1-flash-image"): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${emulator.url}/v1/models/${model}:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": "test-key" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return text
    .split(/\r?\n\r?\n/)
    .filter((event) => event.startsWith("data: "))
    .map((event) => JSON.parse(event.slice(6)) as Record<string, unknown>);
}

describe("403s as Google sends them", () => {
  it("leaked key: PERMISSION_DENIED with Google's sentence", async () => {
    await queue({ kind: "leaked_key" });
    const error = await captureApiError(stream("a cat"));
    expect(error.status).toBe(403);
    expect(error.body.error).toEqual({
      code: 403,
      status: "PERMISSION_DENIED",
      message: "Your API key was reported as leaked. Please use another API key.",
    });
  });

  it("service blocked: ErrorInfo API_KEY_SERVICE_BLOCKED with metadata, then a LocalizedMessage", async () => {
    await queue({ kind: "service_blocked" });
    const error = await captureApiError(stream("a cat"));
    expect(error.status).toBe(403);
    expect(error.body.error.status).toBe("PERMISSION_DENIED");
    const [info, localized] = error.body.error.details ?? [];
    expect(info).toMatchObject({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_SERVICE_BLOCKED",
      domain: "googleapis.com",
    });
    expect(Object.keys((info as { metadata: object }).metadata).sort()).toEqual(["apiName", "consumer", "methodName", "service"]);
    expect(localized).toMatchObject({ "@type": "type.googleapis.com/google.rpc.LocalizedMessage", message: error.body.error.message });
  });
});

describe("400s worded about the concept, not the field", () => {
  it.each([
    ["thinking_level_unsupported", /is not supported for this model\. Please retry with other thinking level\./],
    ["thinking_budget_and_level", /only one of thinking budget and thinking level/],
  ])("%s", async (kind, wording) => {
    const error = await captureApiError(stream(`a cat [[fault:${kind}]]`));
    expect(error.status).toBe(400);
    expect(error.body.error.status).toBe("INVALID_ARGUMENT");
    expect(error.body.error.message).toMatch(wording);
    expect(error.body.error.message).not.toMatch(/thinking_?level|thinkingConfig/);
  });
});

describe("text streams of Gemini 3", () => {
  it("end with an empty text part carrying the signature and finishReason; output grows, thinking stays", async () => {
    await queue({ kind: "text_signed_tail" });
    const chunks = await stream("describe a lighthouse", { thinkingConfig: { thinkingLevel: "HIGH" as never } });
    const last = chunks.at(-1)?.candidates?.[0];
    expect(last?.content?.parts).toEqual([{ text: "", thoughtSignature: expect.any(String) }]);
    expect(last?.finishReason).toBe("STOP");
    expect(chunks.slice(0, -1).every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(true);
    expect(chunks.some((chunk) => chunk.candidates?.[0]?.content?.parts?.some((part) => part.inlineData))).toBe(false);

    const usage = chunks.map((chunk) => chunk.usageMetadata);
    const outputs = usage.map((entry) => entry?.candidatesTokenCount ?? 0);
    expect(outputs.length).toBeGreaterThan(2);
    for (let index = 1; index < outputs.length; index += 1) expect(outputs[index]!).toBeGreaterThanOrEqual(outputs[index - 1]!);
    expect(outputs.at(-1)!).toBeGreaterThan(outputs[0]!);
    expect(new Set(usage.map((entry) => entry?.thoughtsTokenCount)).size).toBe(1);
    expect(usage.every((entry) => entry?.candidatesTokensDetails === undefined)).toBe(true);
  });
});

describe("grounded answers", () => {
  const search = { tools: [{ googleSearch: {} }] };

  it("count the search tool's prompt tokens, by modality, inside the total", async () => {
    const chunks = await stream("the Eiffel tower at dusk", search);
    const usage = chunks.at(-1)?.usageMetadata;
    expect(usage?.toolUsePromptTokenCount).toBeGreaterThan(0);
    expect(usage?.toolUsePromptTokensDetails).toEqual([{ modality: "TEXT", tokenCount: usage?.toolUsePromptTokenCount }]);
    expect(usage?.totalTokenCount).toBe(
      (usage?.promptTokenCount ?? 0) + (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0),
    );
    expect(chunks.at(-1)?.candidates?.[0]?.groundingMetadata).toBeDefined();
  });

  it("may come back with no groundingMetadata at all", async () => {
    await queue({ kind: "no_grounding" });
    const chunks = await stream("the Eiffel tower at dusk", search);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(chunks.some((chunk) => chunk.candidates?.[0]?.groundingMetadata)).toBe(false);
  });

  it("may carry web chunks with only uri and title", async () => {
    await queue({ kind: "bare_web_chunks" });
    const chunks = await stream("the Eiffel tower at dusk", search);
    const web = chunks.at(-1)?.candidates?.[0]?.groundingMetadata?.groundingChunks?.map((chunk) => chunk.web);
    expect(web?.length).toBeGreaterThan(0);
    for (const entry of web ?? []) expect(Object.keys(entry ?? {}).sort()).toEqual(["title", "uri"]);
  });
});

describe("a safety-blocked image", () => {
  // Raw events: @google/genai 3.1 drops finishMessage from Developer-API candidates.
  it("has content {}, IMAGE_SAFETY, a finishMessage with markdown links, and usage of prompt + thoughts", async () => {
    await queue({ kind: "image_safety" });
    const events = await rawEvents({
      contents: [{ role: "user", parts: [{ text: "a cat" }] }],
      generationConfig: { thinkingConfig: { thinkingLevel: "HIGH" } },
    });
    expect(events).toHaveLength(1);
    const candidate = (events[0]?.candidates as Array<{ content: unknown; finishReason: string; finishMessage?: string }>)[0];
    expect(candidate?.content).toEqual({});
    expect(candidate?.finishReason).toBe("IMAGE_SAFETY");
    expect(candidate?.finishMessage).toBe(IMAGE_SAFETY_FINISH_MESSAGE);
    expect(candidate?.finishMessage?.match(/\[[^\]]+\]\(https:\/\/[^)]+\)/g)?.length).toBeGreaterThanOrEqual(2);
    expect(candidate?.finishMessage?.split(". ").length).toBeGreaterThan(2);
    const usage = events[0]?.usageMetadata as { candidatesTokenCount?: number; thoughtsTokenCount?: number; totalTokenCount?: number; promptTokenCount?: number };
    expect(usage?.candidatesTokenCount).toBe(0);
    expect(usage?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(usage?.totalTokenCount).toBe((usage?.promptTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0));
  });
});

describe("streams that do not say they finished", () => {
  it("no_finish: every chunk arrives, none carries a finishReason, the stream ends cleanly", async () => {
    await queue({ kind: "no_finish" });
    const chunks = await stream("a cat");
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.some((chunk) => chunk.candidates?.[0]?.finishReason)).toBe(false);
    expect(chunks.some((chunk) => chunk.candidates?.[0]?.content?.parts?.some((part) => part.inlineData))).toBe(true);
  });

  it("no_finish afterChunks=1: only the first chunk, then a clean end", async () => {
    await queue({ kind: "no_finish", afterChunks: 1 });
    const chunks = await stream("a cat");
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.candidates?.[0]?.finishReason).toBeUndefined();
  });

  it("vertex_chunks: no index, usage holding only trafficType, a createTime", async () => {
    await queue({ kind: "vertex_chunks" });
    const events = await rawEvents({ contents: [{ role: "user", parts: [{ text: "a cat" }] }] });
    expect(events.length).toBeGreaterThan(1);
    for (const event of events) {
      const candidates = event.candidates as Array<Record<string, unknown>>;
      expect(candidates[0]).not.toHaveProperty("index");
      expect(event.usageMetadata).toEqual({ trafficType: "ON_DEMAND" });
      expect(event.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
  });
});

describe("the models of December 2026", () => {
  it("lists Nano Banana 2.1 and Nano Banana 2 Lite", async () => {
    const response = await rawRequest(emulator, "GET", "/v1/models?pageSize=100", undefined, { "x-goog-api-key": "test-key" });
    const names = (response.json() as { models: Array<{ name: string }> }).models.map((model) => model.name);
    expect(names).toEqual(expect.arrayContaining(["models/gemini-nano-banana-2.1", "models/gemini-3.1-flash-lite-image"]));
  });

  it("Nano Banana 2.1 draws 1K/2K/4K with thinking minimal, medium or high, and no 512", async () => {
    const chunks = await stream("a cat", { imageConfig: { imageSize: "4K", aspectRatio: "8:1" }, thinkingConfig: { thinkingLevel: "MEDIUM" as never } }, "gemini-nano-banana-2.1");
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    const error = await captureApiError(stream("a cat", { imageConfig: { imageSize: "512" } }, "gemini-nano-banana-2.1"));
    expect(error.status).toBe(400);
  });

  it("Nano Banana 2 Lite draws 1K only", async () => {
    const chunks = await stream("a cat", { imageConfig: { aspectRatio: "1:4" } }, "gemini-3.1-flash-lite-image");
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    const error = await captureApiError(stream("a cat", { imageConfig: { imageSize: "2K" } }, "gemini-3.1-flash-lite-image"));
    expect(error.status).toBe(400);
  });
});
