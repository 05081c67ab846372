import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readFixtureJson, readFixtureText, readSseFixture } from "./__fixtures__/load";
import { createResponseFolder, foldChunks, normalizeGrounding, type WireChunk, type WireGroundingMetadata } from "./response";

async function pngBase64(width: number, height: number): Promise<string> {
  const buffer = await sharp({ create: { width, height, channels: 3, background: "#fc0" } }).png().toBuffer();
  return buffer.toString("base64");
}

let finalPng = "";
let thoughtPng = "";
let squarePng = "";

beforeAll(async () => {
  finalPng = await pngBase64(1376, 768);
  thoughtPng = await pngBase64(688, 384);
  squarePng = await pngBase64(1024, 1024);
});

describe("recorded responses", () => {
  it("folds the signed 3.1 Flash JPEG response: one part with image and signature", () => {
    const chunk = readFixtureJson<WireChunk>("responses/image-3.1-flash-signed-jpeg.json");
    const { outcome, complete } = foldChunks([chunk], { requested: { width: 1024, height: 1024 } });
    expect(complete).toBe(true);
    expect(outcome.images).toHaveLength(1);
    expect(outcome.images[0]).toMatchObject({ mimeType: "image/jpeg", width: null, height: null, sizeMismatch: false });
    expect(outcome.finishReason).toBe("STOP");
    expect(outcome.blockReason).toBeNull();
    expect(outcome.modelVersion).toBe("gemini-3.1-flash-image");
    expect(outcome.responseId).toBe("dTOras2iGqLc-sAPiO2BiAw");
    expect(outcome.usage).toEqual({
      promptTokens: 10,
      outputTokens: 1392,
      imageTokens: 1120,
      thoughtsTokens: 0,
      totalTokens: 1402,
      // The recording itemises only IMAGE; the rest of the 1392 is not broken down.
      textTokens: 0,
    });
    expect(outcome.modelTurn.parts).toEqual(chunk.candidates?.[0]?.content?.parts);
    expect(outcome.modelTurn.parts[0]?.thoughtSignature).toBe("<redacted thought signature; length=597616>");
    // Redacted bytes cannot be measured; say so rather than report a mismatch.
    expect(outcome.warnings).toEqual(["Couldn't read the pixel size of the returned image/jpeg image."]);
  });

  it("folds the recorded Pro stream: signed image first, finishReason and an empty text part last", () => {
    const chunks = readSseFixture("streams/image-3-pro-signed.sse");
    expect(chunks).toHaveLength(2);
    expect(chunks[0]?.candidates?.[0]?.finishReason).toBeUndefined();

    const folder = createResponseFolder(null, () => 5);
    const firstEvents = folder.push(chunks[0] as WireChunk);
    expect(folder.complete).toBe(false);
    expect(firstEvents.map((event) => event.type)).toEqual(["phase", "image"]);
    const lastEvents = folder.push(chunks[1] as WireChunk);
    expect(lastEvents).toEqual([]);
    expect(folder.complete).toBe(true);

    const outcome = folder.finish();
    expect(outcome.modelTurn.parts).toEqual([
      { inlineData: { mimeType: "image/jpeg", data: "AA==" }, thoughtSignature: "live-image-thought-signature" },
      { text: "" },
    ]);
    expect(outcome.images).toHaveLength(1);
    expect(outcome.text).toBe("");
    expect(outcome.finishReason).toBe("STOP");
    // Usage is a running total per chunk: the last one counts.
    expect(outcome.usage).toMatchObject({ thoughtsTokens: 167, totalTokens: 1394, imageTokens: 1120 });
    expect(outcome.modelVersion).toBe("gemini-3-pro-image-preview");
  });

  it("folds NO_IMAGE with content: {} into an outcome with no images and no parts", () => {
    const { outcome, complete } = foldChunks([readFixtureJson<WireChunk>("responses/no-image.json")]);
    expect(complete).toBe(true);
    expect(outcome).toMatchObject({ images: [], thoughts: [], text: "", finishReason: "NO_IMAGE", blockReason: null, modelTurn: { parts: [] } });
    expect(outcome.usage).toEqual({
      promptTokens: 9,
      outputTokens: 0,
      imageTokens: 0,
      thoughtsTokens: 0,
      totalTokens: 9,
      textTokens: 0,
    });
  });

  it("folds a blocked prompt with no candidates at all", () => {
    const { outcome, complete } = foldChunks([readFixtureJson<WireChunk>("responses/prompt-blocked.json")]);
    expect(complete).toBe(true);
    expect(outcome).toMatchObject({ images: [], finishReason: null, blockReason: "PROHIBITED_CONTENT", responseId: "FHGPatmJMfqI1MkP28uN-Qg" });
  });
});

describe("grounding", () => {
  const { groundingMetadata } = readFixtureJson<{ groundingMetadata: WireGroundingMetadata }>("grounding/grounding-metadata.json");

  it("normalizes the recorded metadata: queries, sources, byte-offset supports and the widget", () => {
    const grounding = normalizeGrounding(groundingMetadata);
    expect(grounding.webQueries).toEqual(["Gemini tool use documentation", "Google AI Gemini API tool use guide"]);
    expect(grounding.imageQueries).toEqual([]);
    expect(grounding.sources).toHaveLength(2);
    expect(grounding.sources[0]).toMatchObject({ index: 0, kind: "web", title: "google.dev", domain: null });
    expect(grounding.sources[0]?.uri).toMatch(/^https:\/\/vertexaisearch\.cloud\.google\.com\/grounding-api-redirect\//);
    expect(grounding.supports[0]).toEqual({
      startByte: 240,
      endByte: 323,
      text: "The main page for the Gemini API documentation is:\nhttps://ai.google.dev/gemini-api",
      sourceIndices: [0],
    });
    expect(grounding.searchEntryPointHtml).toBe(readFixtureText("grounding/search-entry-point.html"));
  });

  it("normalizes image search sources and a support starting at byte 0", () => {
    const grounding = normalizeGrounding({
      imageSearchQueries: ["timareta butterfly"],
      groundingChunks: [
        { image: { sourceUri: "https://example.org/page", imageUri: "https://example.org/b.jpg", title: "Butterfly", domain: "example.org" } },
      ],
      groundingSupports: [{ segment: { endIndex: 12, text: "A butterfly." }, groundingChunkIndices: [0] }],
    });
    expect(grounding).toEqual({
      webQueries: [],
      imageQueries: ["timareta butterfly"],
      sources: [
        { index: 0, kind: "image", uri: "https://example.org/page", imageUri: "https://example.org/b.jpg", title: "Butterfly", domain: "example.org" },
      ],
      supports: [{ startByte: 0, endByte: 12, text: "A butterfly.", sourceIndices: [0] }],
      searchEntryPointHtml: null,
    });
  });

  it("takes grounding from whichever chunk carries it", () => {
    const { outcome } = foldChunks([
      { candidates: [{ content: { parts: [{ text: "Here is the weather" }] } }] },
      { candidates: [{ content: { parts: [] }, finishReason: "STOP", groundingMetadata }] },
    ]);
    expect(outcome.grounding?.webQueries).toHaveLength(2);
  });
});

describe("synthetic streams", () => {
  it("keeps thoughts (text and interim images) apart from results, in arrival order with timestamps", () => {
    let now = 0;
    const folder = createResponseFolder({ width: 1376, height: 768 }, () => (now += 100));
    const chunks: WireChunk[] = [
      { candidates: [{ content: { role: "model", parts: [{ text: "**Planning the layout**", thought: true }] } }] },
      { candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: thoughtPng }, thought: true }] } }] },
      { candidates: [{ content: { role: "model", parts: [{ text: "**Refining**", thought: true }] } }] },
      { candidates: [{ content: { role: "model", parts: [{ text: "Here is your dish." }] } }] },
      {
        candidates: [
          { content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: finalPng }, thoughtSignature: "sig-final" }] } },
        ],
      },
      { candidates: [{ content: { role: "model", parts: [{ text: "", thoughtSignature: "sig-text" }] }, finishReason: "STOP" }] },
    ];
    const events = chunks.flatMap((chunk) => folder.push(chunk));
    expect(events.map((event) => (event.type === "phase" ? `phase:${event.phase}` : event.type))).toEqual([
      "phase:thinking",
      "thought",
      "thought",
      "thought",
      "phase:rendering",
      "text",
      "image",
    ]);
    const outcome = folder.finish();
    expect(outcome.thoughts.map((thought) => [thought.kind, thought.at])).toEqual([
      ["text", 100],
      ["image", 200],
      ["text", 300],
    ]);
    expect(outcome.thoughts[1]).toMatchObject({ kind: "image", mimeType: "image/png", width: 688, height: 384 });
    expect(outcome.images).toHaveLength(1);
    expect(outcome.images[0]).toMatchObject({ width: 1376, height: 768, requested: { width: 1376, height: 768 }, sizeMismatch: false });
    expect(outcome.text).toBe("Here is your dish.");
    expect(outcome.warnings).toEqual([]);
    // Every part, thoughts included, in order, for replay; the signature stays on its own part.
    expect(outcome.modelTurn.parts).toEqual(chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []));
    expect(outcome.modelTurn.parts.at(-1)).toEqual({ text: "", thoughtSignature: "sig-text" });
  });

  it("names the model turn part each image came from", () => {
    const { outcome } = foldChunks([
      { candidates: [{ content: { parts: [{ text: "Sketching", thought: true }, { inlineData: { mimeType: "image/png", data: thoughtPng }, thought: true }] } }] },
      { candidates: [{ content: { parts: [{ text: "Here:" }, { inlineData: { mimeType: "image/png", data: finalPng } }] }, finishReason: "STOP" }] },
    ]);
    expect(outcome.thoughts.map((thought) => (thought.kind === "image" ? thought.partIndex : null))).toEqual([null, 1]);
    expect(outcome.images.map((image) => image.partIndex)).toEqual([3]);
    expect(outcome.modelTurn.parts[3]?.inlineData?.data).toBe(finalPng);
  });

  it("keeps each image once, as bytes, and gives the model turn back as sent", () => {
    const sent = [
      { inlineData: { mimeType: "image/png", data: thoughtPng }, thought: true },
      { inlineData: { mimeType: "image/png", data: finalPng, unknown: 1 }, thoughtSignature: "sig" },
      // Not canonical (URL-safe alphabet): kept as the string it was.
      { inlineData: { mimeType: "image/png", data: finalPng.replaceAll("/", "_") } },
    ];
    const { outcome } = foldChunks([{ candidates: [{ content: { parts: sent }, finishReason: "STOP" }] }]);
    expect(JSON.stringify(outcome.modelTurn)).toBe(JSON.stringify({ parts: sent }));
    const [thought, image, odd] = outcome.modelTurn.parts;
    expect(Object.getOwnPropertyDescriptor(thought?.inlineData, "data")?.get).toBeTypeOf("function");
    expect(Object.getOwnPropertyDescriptor(image?.inlineData, "data")?.get).toBeTypeOf("function");
    expect(Object.getOwnPropertyDescriptor(odd?.inlineData, "data")?.value).toBe(sent[2]?.inlineData.data);
  });

  it("flags an image whose pixel size is not what was asked", () => {
    const { outcome } = foldChunks(
      [{ candidates: [{ content: { parts: [{ inlineData: { mimeType: "image/png", data: squarePng } }] }, finishReason: "STOP" }] }],
      { requested: { width: 2752, height: 1536 }, warnings: ["Earlier note."] },
    );
    expect(outcome.images[0]).toMatchObject({ width: 1024, height: 1024, sizeMismatch: true });
    expect(outcome.warnings).toEqual([
      "Earlier note.",
      "Asked for 2752×1536 but got 1024×1024: the service ignored the size or aspect ratio setting.",
    ]);
  });

  it("does not flag a size when nothing specific was asked", () => {
    const { outcome } = foldChunks([{ candidates: [{ content: { parts: [{ inlineData: { mimeType: "image/png", data: squarePng } }] }, finishReason: "STOP" }] }]);
    expect(outcome.images[0]).toMatchObject({ requested: null, sizeMismatch: false });
  });

  it("a response with only thought images has no result images", () => {
    const { outcome } = foldChunks([
      { candidates: [{ content: { parts: [{ inlineData: { mimeType: "image/png", data: thoughtPng }, thought: true }] }, finishReason: "IMAGE_OTHER" }] },
    ]);
    expect(outcome.images).toEqual([]);
    expect(outcome.thoughts).toHaveLength(1);
  });

  it("is incomplete when the stream stops before a finish reason", () => {
    const [first] = readSseFixture("streams/image-3-pro-signed.sse");
    const result = foldChunks([first as WireChunk]);
    expect(result.complete).toBe(false);
    expect(result.outcome.images).toHaveLength(1);
  });

  it("turns an error event mid-stream into a retryable error and ignores what follows", () => {
    const [first] = readSseFixture("streams/image-3-pro-signed.sse");
    const result = foldChunks([
      first as WireChunk,
      { error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } },
      { candidates: [{ content: { parts: [{ text: "late" }] }, finishReason: "STOP" }] },
    ]);
    expect(result.streamError).toMatchObject({ code: "service_unavailable", retryable: true, httpStatus: 503 });
    expect(result.complete).toBe(false);
    expect(result.outcome.text).toBe("");
  });
});
