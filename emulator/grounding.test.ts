import type { GenerateContentResponse, GroundingMetadata, Part } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSearchEntryPoint } from "./grounding";
import { startEmulator, type RunningEmulator } from "./server";
import { createClient, parts, readFixture, readFixtureJson, sortedKeys } from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

function answerText(partList: Part[]): string {
  return partList
    .filter((part) => !part.thought && typeof part.text === "string")
    .map((part) => part.text)
    .join("");
}

function metadataOf(response: GenerateContentResponse): GroundingMetadata {
  const metadata = response.candidates?.[0]?.groundingMetadata;
  if (!metadata) throw new Error("no groundingMetadata");
  return metadata;
}

function withoutHrefs(html: string): string {
  return html.replace(/href="[^"]*"/g, 'href=""');
}

describe("web search grounding", () => {
  it("points supports at UTF-8 byte offsets of the returned text", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3-pro-image",
      contents: "the Eiffel Tower at night",
      config: { tools: [{ googleSearch: {} }] },
    });
    const text = answerText(parts(response));
    const metadata = metadataOf(response);
    const supports = metadata.groundingSupports ?? [];
    expect(supports.length).toBeGreaterThan(0);
    const bytes = Buffer.from(text, "utf8");
    expect(bytes.length).toBeGreaterThan(text.length);
    for (const support of supports) {
      const { startIndex = 0, endIndex = 0, text: cited } = support.segment ?? {};
      expect(bytes.subarray(startIndex, endIndex).toString("utf8")).toBe(cited);
      // Slicing the JS string with byte offsets lands elsewhere, which is the bug these offsets catch.
      expect(text.slice(startIndex, endIndex)).not.toBe(cited);
      for (const index of support.groundingChunkIndices ?? []) expect(metadata.groundingChunks?.[index]?.web).toBeDefined();
    }
  });

  it("has the recorded structure: redirect uris, queries and the real suggestions widget", async () => {
    const recorded = (readFixtureJson("grounding/grounding-metadata.json") as { groundingMetadata: Record<string, unknown> })
      .groundingMetadata;
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "tallest waterfalls in Venezuela",
      config: { tools: [{ googleSearch: {} }] },
    });
    const metadata = metadataOf(response);
    for (const key of sortedKeys(recorded)) expect(metadata).toHaveProperty(key);
    expect(metadata.webSearchQueries?.length).toBeGreaterThan(0);
    for (const chunk of metadata.groundingChunks ?? []) {
      expect(chunk.web?.uri).toMatch(/^https:\/\/vertexaisearch\.cloud\.google\.com\/grounding-api-redirect\/[A-Za-z0-9_-]+/);
      expect(chunk.web?.title).toEqual(expect.any(String));
      expect(chunk.web?.domain).toEqual(expect.any(String));
    }
    const recordedSupport = (recorded.groundingSupports as unknown[])[0];
    const support = metadata.groundingSupports?.[0];
    expect(sortedKeys(support)).toEqual(sortedKeys(recordedSupport));
    expect(sortedKeys(support?.segment)).toEqual(sortedKeys((recordedSupport as { segment: unknown }).segment));

    const widget = metadata.searchEntryPoint?.renderedContent ?? "";
    for (const query of metadata.webSearchQueries ?? []) expect(widget).toContain(`>${query}</a>`);
    expect(widget.match(/class="chip"/g)).toHaveLength(metadata.webSearchQueries?.length ?? 0);
  });

  it("renders the widget from the recorded template, changing only the chips", () => {
    const fixture = readFixture("grounding/search-entry-point.html");
    const rendered = renderSearchEntryPoint(["Gemini tool use documentation", "Google AI Gemini API tool use guide"]);
    expect(withoutHrefs(rendered)).toBe(withoutHrefs(fixture));
    expect(renderSearchEntryPoint(["a <b> & c"])).toContain(">a &#60;b&#62; &#38; c</a>");
  });

  it("sends grounding metadata on the last streamed chunk, offsets spanning the split text", async () => {
    const stream = await createClient(emulator).models.generateContentStream({
      model: "gemini-3-pro-image",
      contents: "Kyoto temples in autumn — café view",
      config: { tools: [{ googleSearch: {} }], thinkingConfig: { includeThoughts: true } },
    });
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.slice(0, -1).every((chunk) => chunk.candidates?.[0]?.groundingMetadata === undefined)).toBe(true);
    const lastChunk = chunks.at(-1);
    if (!lastChunk) throw new Error("empty stream");
    const metadata = metadataOf(lastChunk);
    const bytes = Buffer.from(answerText(chunks.flatMap(parts)), "utf8");
    for (const support of metadata.groundingSupports ?? []) {
      expect(bytes.subarray(support.segment?.startIndex ?? 0, support.segment?.endIndex).toString("utf8")).toBe(support.segment?.text);
    }
  });

  it("omits supports when no text was returned", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3-pro-image",
      contents: "a map of Lisbon",
      config: { tools: [{ googleSearch: {} }], responseModalities: ["IMAGE"] },
    });
    const metadata = metadataOf(response);
    expect(metadata.groundingSupports).toBeUndefined();
    expect(metadata.webSearchQueries?.length).toBeGreaterThan(0);
  });
});

describe("image search grounding", () => {
  it("adds imageSearchQueries and image chunks for the SDK's searchTypes object", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "a Bengal cat on a sofa",
      config: { tools: [{ googleSearch: { searchTypes: { webSearch: {}, imageSearch: {} } } }] },
    });
    const metadata = metadataOf(response);
    expect(metadata.webSearchQueries?.length).toBeGreaterThan(0);
    expect(metadata.imageSearchQueries?.length).toBeGreaterThan(0);
    const images = (metadata.groundingChunks ?? []).filter((chunk) => chunk.image);
    expect(images.length).toBeGreaterThan(0);
    for (const chunk of images) {
      expect(sortedKeys(chunk.image)).toEqual(["domain", "imageUri", "sourceUri", "title"]);
      expect(chunk.image?.imageUri).toMatch(/^https:\/\//);
    }
  });

  it("searches images only when only imageSearch is set", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "a vintage tram",
      config: { tools: [{ googleSearch: { searchTypes: { imageSearch: {} } } }] },
    });
    const metadata = metadataOf(response);
    expect(metadata.webSearchQueries).toBeUndefined();
    expect(metadata.imageSearchQueries?.length).toBeGreaterThan(0);
    expect((metadata.groundingChunks ?? []).every((chunk) => chunk.image)).toBe(true);
    const bytes = Buffer.from(answerText(parts(response)), "utf8");
    for (const support of metadata.groundingSupports ?? []) {
      expect(bytes.subarray(support.segment?.startIndex ?? 0, support.segment?.endIndex).toString("utf8")).toBe(support.segment?.text);
      for (const index of support.groundingChunkIndices ?? []) expect(metadata.groundingChunks?.[index]?.image).toBeDefined();
    }
  });
});
