import { ThinkingLevel, type GenerateContentConfig, type GenerateContentResponse } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "./server";
import {
  createClient,
  imageBytes,
  imageSize,
  inlinePart,
  parseSse,
  parts,
  rawRequest,
  readFixture,
  readFixtureJson,
  solidImage,
  sortedKeys,
} from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

async function streamChunks(model: string, prompt: string, config: GenerateContentConfig = {}): Promise<GenerateContentResponse[]> {
  const stream = await createClient(emulator).models.generateContentStream({ model, contents: prompt, config });
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

type Json = Record<string, unknown>;

function at(value: unknown, ...path: Array<string | number>): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

describe("unary responses", () => {
  it("have the recorded shape (responses/image-3.1-flash-signed-jpeg.json)", async () => {
    const recorded = readFixtureJson("responses/image-3.1-flash-signed-jpeg.json");
    const response = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", {
      contents: [{ role: "user", parts: [{ text: "a signed jpeg" }] }],
      generationConfig: { responseModalities: ["IMAGE"], imageConfig: { imageSize: "1K" } },
    });
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const body = response.json();
    for (const path of [[], ["candidates", 0], ["candidates", 0, "content"], ["candidates", 0, "content", "parts", 0], ["usageMetadata"]]) {
      expect(sortedKeys(at(body, ...path)), path.join(".")).toEqual(sortedKeys(at(recorded, ...path)));
    }
    expect(at(body, "candidates", 0, "content", "role")).toBe("model");
    expect(at(body, "candidates", 0, "content", "parts", 0, "inlineData", "mimeType")).toBe("image/jpeg");
    expect(at(body, "candidates", 0, "finishReason")).toBe("STOP");
    expect(at(body, "candidates", 0, "index")).toBe(0);
    expect(at(body, "usageMetadata", "candidatesTokensDetails")).toEqual([{ modality: "IMAGE", tokenCount: 1120 }]);
    expect(at(body, "usageMetadata", "serviceTier")).toBe("standard");
    expect(at(body, "modelVersion")).toBe("gemini-3.1-flash-image");
    expect(at(body, "responseId")).toMatch(/^[A-Za-z0-9_-]{22,23}$/);
    const usage = at(body, "usageMetadata") as Json;
    expect(usage.totalTokenCount).toBe(Number(usage.promptTokenCount) + Number(usage.candidatesTokenCount));
  });

  it("adds a short model text before the image unless only IMAGE was asked for", async () => {
    const response = await createClient(emulator).models.generateContent({ model: "gemini-3.1-flash-image", contents: "a fox" });
    const answer = parts(response);
    expect(answer.map((part) => (part.inlineData ? "image" : "text"))).toEqual(["text", "image"]);
    expect(answer[0]?.thought).toBeUndefined();
    expect(response.usageMetadata?.candidatesTokensDetails).toEqual([
      { modality: "IMAGE", tokenCount: 1120 },
      { modality: "TEXT", tokenCount: expect.any(Number) },
    ]);
  });

  it.each([
    ["gemini-3.1-flash-image", "512", 747],
    ["gemini-3.1-flash-image", "2K", 1120],
    ["gemini-3-pro-image", "4K", 2000],
    ["gemini-2.5-flash-image", "1K", 1290],
  ])("bills %s at %s as %i image tokens", async (model, imageSizeValue, tokens) => {
    const response = await createClient(emulator).models.generateContent({
      model,
      contents: "token count",
      config: { responseModalities: ["IMAGE"], imageConfig: { imageSize: imageSizeValue } },
    });
    expect(response.usageMetadata?.candidatesTokensDetails).toEqual([{ modality: "IMAGE", tokenCount: tokens }]);
    expect(response.usageMetadata?.candidatesTokenCount).toBeGreaterThanOrEqual(tokens);
  });

  it("itemises reference images in promptTokensDetails", async () => {
    const reference = await solidImage(100, 100, "#00ff00");
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3-pro-image",
      contents: [{ role: "user", parts: [{ text: "use this" }, inlinePart(reference)] }],
    });
    expect(response.usageMetadata?.promptTokensDetails).toEqual([
      { modality: "TEXT", tokenCount: expect.any(Number) },
      { modality: "IMAGE", tokenCount: 560 },
    ]);
  });
});

describe("streams", () => {
  it("are SSE events ending in the recorded empty-text STOP chunk (streams/image-3-pro-signed.sse)", async () => {
    const recorded = parseSse(readFixture("streams/image-3-pro-signed.sse"));
    const response = await fetch(`${emulator.url}/v1beta/models/gemini-3-pro-image:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "x-goog-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "a signed stream" }] }], generationConfig: { responseModalities: ["IMAGE"] } }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.startsWith("data: {")).toBe(true);
    expect(text.endsWith("}\r\n\r\n")).toBe(true);
    const chunks = parseSse(text);
    expect(chunks).toHaveLength(recorded.length);
    chunks.forEach((chunk, index) => {
      const expected = recorded[index];
      for (const path of [[], ["candidates", 0], ["candidates", 0, "content"], ["candidates", 0, "content", "parts", 0], ["usageMetadata"]]) {
        expect(sortedKeys(at(chunk, ...path)), `chunk ${index} ${path.join(".")}`).toEqual(sortedKeys(at(expected, ...path)));
      }
    });
    expect(at(chunks[1], "candidates", 0, "content")).toEqual({ parts: [{ text: "" }], role: "model" });
    expect(at(chunks[1], "candidates", 0, "finishReason")).toBe("STOP");
    expect(at(chunks[0], "candidates", 0, "finishReason")).toBeUndefined();
    expect(at(chunks[0], "responseId")).toBe(at(chunks[1], "responseId"));
    // thoughtsTokenCount changes between chunks, as recorded (244 then 167).
    expect(Number(at(chunks[0], "usageMetadata", "thoughtsTokenCount"))).toBeGreaterThan(Number(at(chunks[1], "usageMetadata", "thoughtsTokenCount")));
  });

  it("put role model and index 0 on every chunk, finishReason and grounding only on the last", async () => {
    const chunks = await streamChunks("gemini-3.1-flash-image", "a grounded stream", { tools: [{ googleSearch: {} }] });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    chunks.forEach((chunk, index) => {
      const candidate = chunk.candidates?.[0];
      expect(candidate?.content?.role).toBe("model");
      expect(candidate?.index).toBe(0);
      expect(chunk.usageMetadata).toHaveProperty("serviceTier", "standard");
      const last = index === chunks.length - 1;
      expect(candidate?.finishReason, `chunk ${index}`).toBe(last ? "STOP" : undefined);
      expect(candidate?.groundingMetadata !== undefined, `chunk ${index}`).toBe(last);
    });
    expect(chunks.at(-1)?.candidates?.[0]?.content?.parts).toEqual([{ text: "" }]);
  });

  it("paces chunks by latencyMs", async () => {
    const slow = await startEmulator({ latencyMs: 120 });
    try {
      const started = Date.now();
      const stream = await createClient(slow).models.generateContentStream({
        model: "gemini-2.5-flash-image",
        contents: "slowly",
        config: { responseModalities: ["IMAGE"] },
      });
      let count = 0;
      for await (const _chunk of stream) count += 1;
      expect(count).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 120 - 10);
    } finally {
      await slow.close();
    }
  });
});

describe("thinking", () => {
  it("streams 3 Pro's thoughts, thought images and then the signed answer, each in its own chunk", async () => {
    const chunks = await streamChunks("gemini-3-pro-image", "a lighthouse at dusk", { thinkingConfig: { includeThoughts: true } });
    const kinds = chunks.map((chunk) => {
      const partList = parts(chunk);
      expect(partList).toHaveLength(1);
      const part = partList[0];
      if (!part) return "none";
      if (part.thought) return part.inlineData ? "thought-image" : "thought-text";
      if (part.inlineData) return "image";
      return part.text === "" ? "end" : "text";
    });
    expect(kinds).toEqual(["thought-text", "thought-image", "thought-text", "thought-image", "text", "text", "image", "end"]);

    const all = chunks.flatMap(parts);
    const thoughtTexts = all.filter((part) => part.thought && part.text);
    expect(thoughtTexts[0]?.text).toMatch(/^\*\*Composing the scene\*\*\n\n/);
    const thoughtImages = all.filter((part) => part.thought && part.inlineData);
    const finalImage = all.find((part) => !part.thought && part.inlineData);
    expect(thoughtImages.every((part) => part.thoughtSignature === undefined)).toBe(true);
    expect(finalImage?.thoughtSignature).toEqual(expect.any(String));
    const final = await imageSize(imageBytes(finalImage ?? {}));
    for (const thoughtImage of thoughtImages) {
      const preview = await imageSize(imageBytes(thoughtImage));
      expect(preview.width).toBeLessThan(final.width);
      expect(imageBytes(thoughtImage).length).toBeLessThan(imageBytes(finalImage ?? {}).length);
    }
    expect(chunks.every((chunk) => typeof chunk.usageMetadata?.thoughtsTokenCount === "number")).toBe(true);
  });

  it("bills 3 Pro's thinking without sending thoughts unless asked", async () => {
    const response = await createClient(emulator).models.generateContent({ model: "gemini-3-pro-image", contents: "a quiet pond" });
    expect(parts(response).some((part) => part.thought)).toBe(false);
    const usage = response.usageMetadata;
    expect(usage?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(usage?.totalTokenCount).toBe(
      (usage?.promptTokenCount ?? 0) + (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    );
  });

  it("lets 3.1 Flash think minimally by default and fully at HIGH", async () => {
    const ai = createClient(emulator);
    const minimal = await ai.models.generateContent({ model: "gemini-3.1-flash-image", contents: "a cactus" });
    expect(minimal.usageMetadata?.thoughtsTokenCount).toBeUndefined();

    const high = await ai.models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "a cactus",
      config: { thinkingConfig: { thinkingLevel: ThinkingLevel.HIGH, includeThoughts: true } },
    });
    expect(high.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(parts(high).filter((part) => part.thought && part.inlineData)).toHaveLength(1);

    const minimalThoughts = await ai.models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "a cactus",
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const thoughtParts = parts(minimalThoughts).filter((part) => part.thought);
    expect(thoughtParts).toHaveLength(1);
    expect(thoughtParts[0]?.inlineData).toBeUndefined();
  });

  it("keeps thought parts in the unary body, in order, before the answer", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3-pro-image",
      contents: "a bridge",
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const flags = parts(response).map((part) => Boolean(part.thought));
    expect(flags).toEqual([true, true, true, true, false, false]);
    // The SDK's response.data concatenates every inline image, thought images included.
    expect(response.data).toEqual(expect.any(String));
  });
});
