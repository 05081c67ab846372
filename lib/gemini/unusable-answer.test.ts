import { describe, expect, it } from "vitest";
import { createGeminiGateway } from "./client";
import type { GenerationSettings } from "./types";
import { unusableImageError } from "./unusable-answer";

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

function answering(body: string) {
  let calls = 0;
  const gateway = createGeminiGateway({
    apiKey: "test-key",
    baseUrl: "http://gemini.test",
    retryPolicy: { baseDelayMs: 1, maxDelayMs: 5 },
    fetch: async () => {
      calls += 1;
      return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
    },
  });
  return { gateway, calls: () => calls };
}

describe("a malformed streamed answer", () => {
  it("is a retryable error from the closed set, retried, without the parser's words", async () => {
    const { gateway, calls } = answering('data: {"candidates": [{"content": {"parts": [{"text": "hi"\n\n');
    const result = await gateway.generate({ history: [], prompt: "A banana", references: [], settings });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "service_unavailable", retryable: true, message: expect.stringContaining("garbled") });
    expect(JSON.stringify(result.error)).not.toMatch(/position|column|Expected|Unexpected/);
    expect(calls()).toBeGreaterThan(1);
  });
});

describe("unusableImageError", () => {
  it("accepts PNG, JPEG and WebP by content, and refuses SVG and junk with Retry", () => {
    expect(unusableImageError(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), "image/png")).toBeNull();
    const svg = unusableImageError(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), "image/png");
    expect(svg).toMatchObject({ code: "no_image", retryable: true, message: expect.stringContaining("SVG drawing") });
    const junk = unusableImageError(Buffer.from("!!!not*base64***", "base64"), "image/png");
    expect(junk).toMatchObject({ code: "no_image", retryable: true, message: expect.stringContaining("can't be decoded") });
    expect(JSON.stringify(junk)).not.toMatch(/data directory/);
  });
});
