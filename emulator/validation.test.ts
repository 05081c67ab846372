import { ThinkingLevel, type ContentListUnion, type GenerateContentConfig } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, inlinePart, parts, rawRequest, solidImage } from "./test-support";

let emulator: RunningEmulator;
let png: Buffer;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  png = await solidImage(64, 48, "#336699");
});

afterAll(async () => {
  await emulator.close();
});

interface RejectionCase {
  name: string;
  model: string;
  config?: GenerateContentConfig;
  contents?: () => ContentListUnion;
  message: string | RegExp;
}

const rejections: RejectionCase[] = [
  {
    name: "a lowercase imageSize",
    model: "gemini-3.1-flash-image",
    config: { imageConfig: { imageSize: "2k" } },
    message: 'Unsupported image size: "2k". Supported image sizes for models/gemini-3.1-flash-image are: "512", "1K", "2K", "4K".',
  },
  {
    name: "512 on 3 Pro",
    model: "gemini-3-pro-image",
    config: { imageConfig: { imageSize: "512" } },
    message: /^Unsupported image size: "512"\. Supported image sizes for models\/gemini-3-pro-image are: "1K", "2K", "4K"\.$/,
  },
  {
    name: "anything but 1K on 2.5 Flash",
    model: "gemini-2.5-flash-image",
    config: { imageConfig: { imageSize: "2K" } },
    message: /^Unsupported image size: "2K"/,
  },
  {
    name: "an aspect ratio no model has",
    model: "gemini-3.1-flash-image",
    config: { imageConfig: { aspectRatio: "7:3" } },
    message: /^Unsupported aspect ratio: "7:3"\. Supported aspect ratios for models\/gemini-3\.1-flash-image are: 1:1, 1:4, 1:8,/,
  },
  {
    name: "a Flash-only aspect ratio on 3 Pro",
    model: "gemini-3-pro-image",
    config: { imageConfig: { aspectRatio: "8:1" } },
    message: /^Unsupported aspect ratio: "8:1"/,
  },
  {
    name: "more reference images than 3.1 Flash takes in one turn",
    model: "gemini-3.1-flash-image",
    contents: () => [{ role: "user", parts: [{ text: "collage" }, ...Array.from({ length: 15 }, () => inlinePart(png))] }],
    message:
      "Too many images in the request: 15 were provided, but models/gemini-3.1-flash-image supports at most 14 images per turn.",
  },
  {
    name: "more than 3 reference images on 2.5 Flash",
    model: "gemini-2.5-flash-image",
    contents: () => [{ role: "user", parts: [{ text: "collage" }, ...Array.from({ length: 4 }, () => inlinePart(png))] }],
    message: /^Too many images in the request: 4 were provided, but models\/gemini-2\.5-flash-image supports at most 3/,
  },
  {
    name: "an unsupported input mime type",
    model: "gemini-3-pro-image",
    contents: () => [{ role: "user", parts: [{ text: "animate" }, { inlineData: { mimeType: "image/gif", data: png.toString("base64") } }] }],
    message: "Unsupported MIME type: image/gif",
  },
  {
    name: "bytes that are not an image",
    model: "gemini-3-pro-image",
    contents: () => [{ role: "user", parts: [{ text: "edit" }, { inlineData: { mimeType: "image/png", data: "AA==" } }] }],
    message: "Provided image is not valid.",
  },
  {
    name: "both thinkingLevel and thinkingBudget",
    model: "gemini-3.1-flash-image",
    config: { thinkingConfig: { thinkingLevel: ThinkingLevel.HIGH, thinkingBudget: 1024 } },
    message: "You can only set only one of thinking budget and thinking level.",
  },
  {
    name: "a thinking level 3.1 Flash lacks",
    model: "gemini-3.1-flash-image",
    config: { thinkingConfig: { thinkingLevel: ThinkingLevel.LOW } },
    message: "Thinking level LOW is not supported for models/gemini-3.1-flash-image. Supported levels: MINIMAL, HIGH.",
  },
  {
    name: "MINIMAL on 3 Pro, which always thinks",
    model: "gemini-3-pro-image",
    config: { thinkingConfig: { thinkingLevel: ThinkingLevel.MINIMAL } },
    message: "Thinking level MINIMAL is not supported for models/gemini-3-pro-image. Supported levels: HIGH.",
  },
  {
    name: "a zero thinking budget on 3 Pro",
    model: "gemini-3-pro-image",
    config: { thinkingConfig: { thinkingBudget: 0 } },
    message: "Budget 0 is invalid. This model only works in thinking mode.",
  },
  {
    name: "a thinking level that does not exist",
    model: "gemini-3.1-flash-image",
    config: { thinkingConfig: { thinkingLevel: "EXTREME" as ThinkingLevel } },
    message: /^Invalid value at 'generation_config\.thinking_config\.thinking_level' \(type\.googleapis\.com\/google\.ai\.generativelanguage\.v1\.ThinkingConfig\.ThinkingLevel\), "EXTREME"$/,
  },
  {
    name: "any thinking config on 2.5 Flash Image",
    model: "gemini-2.5-flash-image",
    config: { thinkingConfig: { includeThoughts: true } },
    message: "Thinking is not enabled for models/gemini-2.5-flash-image",
  },
  {
    name: "googleSearch on 2.5 Flash Image",
    model: "gemini-2.5-flash-image",
    config: { tools: [{ googleSearch: {} }] },
    message: "Search Grounding is not supported.",
  },
  {
    name: "image search on 3 Pro",
    model: "gemini-3-pro-image",
    config: { tools: [{ googleSearch: { searchTypes: { webSearch: {}, imageSearch: {} } } }] },
    message: "Image Search is not supported for models/gemini-3-pro-image.",
  },
  {
    name: "function calling on an image model",
    model: "gemini-3-pro-image",
    config: { tools: [{ functionDeclarations: [{ name: "lookup" }] }] },
    message: "Function calling is not enabled for models/gemini-3-pro-image",
  },
  {
    name: "an audio response",
    model: "gemini-3-pro-image",
    config: { responseModalities: ["AUDIO"] },
    message: "Model does not support the requested response modalities: audio",
  },
  {
    name: "an image from a text model",
    model: "gemini-2.5-flash",
    config: { responseModalities: ["TEXT", "IMAGE"] },
    message: "Model does not support the requested response modalities: image",
  },
  {
    name: "several candidates",
    model: "gemini-3.1-flash-image",
    config: { candidateCount: 2 },
    message: "Multiple candidates is not enabled for models/gemini-3.1-flash-image",
  },
  {
    name: "an unknown role",
    model: "gemini-3.1-flash-image",
    contents: () => [{ role: "assistant", parts: [{ text: "hi" }] }],
    message: "Please use a valid role: user, model.",
  },
];

describe("validation", () => {
  it.each(rejections)("rejects $name with 400 INVALID_ARGUMENT", async ({ model, config, contents, message }) => {
    const error = await captureApiError(
      createClient(emulator).models.generateContent({ model, contents: contents ? contents() : "a red bicycle", config }),
    );
    expect(error.status).toBe(400);
    expect(error.body.error.status).toBe("INVALID_ARGUMENT");
    expect(error.body.error.code).toBe(400);
    if (typeof message === "string") expect(error.body.error.message).toBe(message);
    else expect(error.body.error.message).toMatch(message);
  });

  it("rejects structurally broken contents the SDK would not send", async () => {
    const cases: Array<[unknown, string]> = [
      [{}, "* GenerateContentRequest.contents: contents is not specified\n"],
      [{ contents: [{ role: "user", parts: [] }] }, "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"],
      [
        { contents: [{ role: "user", parts: [{ thought: true }] }] },
        "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must have one initialized field\n",
      ],
      [
        { contents: [{ parts: [{ inlineData: { mimeType: "image/png", data: "not base64!" } }] }] },
        `Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed for "not base64!"`,
      ],
      [
        { contents: [{ parts: [{ text: 5 }] }] },
        "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5",
      ],
      [
        { contents: [{ parts: [{ text: "x" }] }], tools: [{ googleSearchRetrieval: {} }] },
        "google_search_retrieval is not supported; please use google_search field instead.",
      ],
    ];
    for (const [body, message] of cases) {
      const response = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((response.json() as { error: { message: string } }).error.message).toBe(message);
    }
  });

  it("rejects the same errors before a stream starts, as a plain JSON error", async () => {
    const error = await captureApiError(
      createClient(emulator).models.generateContentStream({
        model: "gemini-3-pro-image",
        contents: "x",
        config: { imageConfig: { imageSize: "512" } },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.body.error.message).toMatch(/^Unsupported image size/);
  });

  it("accepts what each model supports", async () => {
    const ai = createClient(emulator);
    const accepted: Array<{ model: string; config: GenerateContentConfig; images?: number }> = [
      { model: "gemini-3.1-flash-image", config: { imageConfig: { imageSize: "512", aspectRatio: "8:1" } } },
      { model: "gemini-3.1-flash-image", config: { thinkingConfig: { thinkingLevel: ThinkingLevel.HIGH } }, images: 14 },
      { model: "gemini-3.1-flash-image", config: { tools: [{ googleSearch: { searchTypes: { webSearch: {}, imageSearch: {} } } }] } },
      { model: "gemini-3-pro-image", config: { thinkingConfig: { thinkingLevel: ThinkingLevel.HIGH }, tools: [{ googleSearch: {} }] } },
      { model: "gemini-3-pro-image", config: { imageConfig: { imageSize: "4K", aspectRatio: "21:9" } }, images: 14 },
      { model: "gemini-2.5-flash-image", config: { imageConfig: { imageSize: "1K", aspectRatio: "21:9" } }, images: 3 },
    ];
    for (const { model, config, images = 0 } of accepted) {
      const response = await ai.models.generateContent({
        model,
        config,
        contents: [{ role: "user", parts: [{ text: "ok" }, ...Array.from({ length: images }, () => inlinePart(png))] }],
      });
      expect(response.candidates?.[0]?.finishReason, `${model} ${JSON.stringify(config)}`).toBe("STOP");
    }
  });

  it("counts only the last user turn's images against the limit", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [
        { role: "user", parts: [{ text: "first" }, inlinePart(png), inlinePart(png), inlinePart(png)] },
        { role: "model", parts: [{ text: "done" }] },
        { role: "user", parts: [{ text: "again" }, inlinePart(png), inlinePart(png), inlinePart(png)] },
      ],
    });
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("accepts every documented input mime type", async () => {
    const webp = await solidImage(32, 32, "#aa3300", "webp");
    const jpeg = await solidImage(32, 32, "#00aa33", "jpeg");
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: [
        {
          role: "user",
          parts: [
            { text: "mix" },
            inlinePart(png, "image/png"),
            inlinePart(jpeg, "image/jpeg"),
            inlinePart(webp, "image/webp"),
            // HEVC-coded HEIC cannot be decoded here; it is accepted rather than rejected.
            { inlineData: { mimeType: "image/heic", data: Buffer.from("ftypheic-not-really").toString("base64") } },
            { inlineData: { mimeType: "image/heif", data: Buffer.from("ftypheif-not-really").toString("base64") } },
          ],
        },
      ],
    });
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("answers with text only when IMAGE is not among the response modalities", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-3-pro-image",
      contents: "describe a sunset",
      config: { responseModalities: ["TEXT"] },
    });
    const answer = parts(response);
    expect(answer.some((part) => part.inlineData)).toBe(false);
    expect(response.text).toEqual(expect.any(String));
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    // Text-only answers carry no candidatesTokensDetails (gemini-facts.md, "Shapes seen in real recordings").
    expect(response.usageMetadata?.candidatesTokensDetails).toBeUndefined();
    expect(response.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
  });

  it("answers text models with text", async () => {
    const response = await createClient(emulator).models.generateContent({ model: "gemini-2.5-flash", contents: "hello" });
    expect(response.text).toContain("hello");
    expect(parts(response).some((part) => part.inlineData)).toBe(false);
  });
});
