import type { GenerateContentConfig, Part } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapText } from "./images";
import { closestAspectRatio, findModel, outputPixels, type ImageModelSpec } from "./models";
import { startEmulator, type RunningEmulator } from "./server";
import { createClient, finalImagePart, imageBytes, imageSize, inlinePart, solidImage } from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

async function generate(model: string, prompt: string | Part[], config: GenerateContentConfig = {}) {
  const contents = typeof prompt === "string" ? prompt : [{ role: "user", parts: prompt }];
  const response = await createClient(emulator).models.generateContent({ model, contents, config: { responseModalities: ["IMAGE"], ...config } });
  const part = finalImagePart(response);
  return { response, part, bytes: imageBytes(part) };
}

describe("model table", () => {
  it("keeps the seed's pixel sizes, with its misprinted 512 21:9 row corrected to half of 1K", () => {
    const flash = findModel("gemini-3.1-flash-image") as ImageModelSpec;
    expect(outputPixels(flash, "512", "21:9")).toEqual({ width: 792, height: 336 });
    for (const ratio of Object.keys(flash.pixels["1K"] ?? {})) {
      const full = outputPixels(flash, "1K", ratio);
      expect(outputPixels(flash, "512", ratio), ratio).toEqual(full && { width: full.width / 2, height: full.height / 2 });
    }
    expect(outputPixels(flash, "4K", "1:8")).toEqual({ width: 1536, height: 12288 });
    expect(closestAspectRatio(flash, 1600, 900)).toBe("16:9");
    expect(closestAspectRatio(flash, 100, 800)).toBe("1:8");
    const pro = findModel("gemini-3-pro-image") as ImageModelSpec;
    expect(closestAspectRatio(pro, 100, 800)).toBe("9:16");
  });
});

describe("rendered images", () => {
  it.each([
    ["gemini-3.1-flash-image", "512", "16:9", 688, 384],
    ["gemini-3.1-flash-image", "512", "21:9", 792, 336],
    ["gemini-3.1-flash-image", "1K", "16:9", 1376, 768],
    ["gemini-3.1-flash-image", "2K", "21:9", 3168, 1344],
    ["gemini-3.1-flash-image", "1K", "1:4", 512, 2048],
    ["gemini-3-pro-image", "1K", "3:4", 896, 1200],
    ["gemini-3-pro-image", "2K", "4:5", 1856, 2304],
    ["gemini-2.5-flash-image", "1K", "21:9", 1536, 672],
    ["gemini-2.5-flash-image", "1K", "2:3", 832, 1248],
  ])("%s at %s %s is exactly %ix%i", async (model, size, ratio, width, height) => {
    const { bytes } = await generate(model, `size check ${size} ${ratio}`, { imageConfig: { imageSize: size, aspectRatio: ratio } });
    const decoded = await imageSize(bytes);
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width, height });
  });

  it("renders the largest sizes quickly (4K 8:1 and 4K 1:1)", async () => {
    const started = Date.now();
    const wide = await generate("gemini-3.1-flash-image", "a very wide banner", { imageConfig: { imageSize: "4K", aspectRatio: "8:1" } });
    const square = await generate("gemini-3-pro-image", "a huge square", { imageConfig: { imageSize: "4K", aspectRatio: "1:1" } });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await imageSize(wide.bytes)).toMatchObject({ width: 12288, height: 1536 });
    expect(await imageSize(square.bytes)).toMatchObject({ width: 4096, height: 4096 });
  });

  it("uses JPEG for Gemini 3 models and PNG for 2.5 Flash, and says so in mimeType", async () => {
    for (const [model, mimeType, format] of [
      ["gemini-3.1-flash-image", "image/jpeg", "jpeg"],
      ["gemini-3-pro-image", "image/jpeg", "jpeg"],
      ["gemini-2.5-flash-image", "image/png", "png"],
    ] as const) {
      const { part, bytes } = await generate(model, "mime check");
      expect(part.inlineData?.mimeType).toBe(mimeType);
      expect((await imageSize(bytes)).format).toBe(format);
    }
  });

  it("defaults to a square, or to the shape of the input image", async () => {
    const square = await generate("gemini-3.1-flash-image", "no ratio given");
    expect(await imageSize(square.bytes)).toMatchObject({ width: 1024, height: 1024 });

    const wideInput = await solidImage(1600, 900, "#884422");
    const matched = await generate("gemini-3.1-flash-image", [{ text: "keep the shape" }, inlinePart(wideInput)]);
    expect(await imageSize(matched.bytes)).toMatchObject({ width: 1376, height: 768 });

    const edit = await createClient(emulator).models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [
        { role: "user", parts: [{ text: "a wide landscape" }] },
        { role: "model", parts: [inlinePart(await solidImage(1344, 768, "#224488"))] },
        { role: "user", parts: [{ text: "make it night" }] },
      ],
      config: { responseModalities: ["IMAGE"] },
    });
    expect(await imageSize(imageBytes(finalImagePart(edit)))).toMatchObject({ width: 1344, height: 768 });
  });

  it("is deterministic: the same request gives the same bytes", async () => {
    const first = await generate("gemini-3.1-flash-image", "a deterministic teapot", { imageConfig: { aspectRatio: "3:2" } });
    const second = await generate("gemini-3.1-flash-image", "a deterministic teapot", { imageConfig: { aspectRatio: "3:2" } });
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.response.responseId).toBe(first.response.responseId);
    const other = await generate("gemini-3.1-flash-image", "a different teapot", { imageConfig: { aspectRatio: "3:2" } });
    expect(other.bytes.equals(first.bytes)).toBe(false);
  });

  it("visibly uses the reference images and the turn number", async () => {
    const red = await solidImage(200, 200, "#ff0000");
    const blue = await solidImage(200, 200, "#0000ff");
    const config = { imageConfig: { aspectRatio: "1:1", imageSize: "512" } };
    const none = await generate("gemini-3.1-flash-image", [{ text: "product shot" }], config);
    const withRed = await generate("gemini-3.1-flash-image", [{ text: "product shot" }, inlinePart(red)], config);
    const withBlue = await generate("gemini-3.1-flash-image", [{ text: "product shot" }, inlinePart(blue)], config);
    expect(withRed.bytes.equals(none.bytes)).toBe(false);
    expect(withBlue.bytes.equals(withRed.bytes)).toBe(false);

    const secondTurn = await createClient(emulator).models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [
        { role: "user", parts: [{ text: "product shot" }] },
        { role: "model", parts: [{ text: "ok" }] },
        { role: "user", parts: [{ text: "product shot" }] },
      ],
      config: { responseModalities: ["IMAGE"] },
    });
    const firstTurn = await generate("gemini-2.5-flash-image", "product shot");
    expect(imageBytes(finalImagePart(secondTurn)).equals(firstTurn.bytes)).toBe(false);
  });

  it("wraps and truncates long prompts", () => {
    expect(wrapText("one two three four five six", 9, 2)).toEqual(["one two", "three…"]);
    expect(wrapText("short", 20, 3)).toEqual(["short"]);
    expect(wrapText("abcdefghijklmnop", 6, 5)).toEqual(["abcdef", "ghijkl", "mnop"]);
  });
});

describe("realistic payloads", () => {
  it("makes 1K JPEGs and signatures about as large as the real ones", async () => {
    const realistic = await startEmulator({ realisticPayload: true });
    try {
      const response = await createClient(realistic).models.generateContent({
        model: "gemini-3.1-flash-image",
        contents: "a realistic payload",
        config: { responseModalities: ["IMAGE"], imageConfig: { aspectRatio: "1:1", imageSize: "1K" } },
      });
      const part = finalImagePart(response);
      const bytes = imageBytes(part);
      expect(bytes.length).toBeGreaterThan(300_000);
      expect(bytes.length).toBeLessThan(450_000);
      // The recording's signature was 597,616 base64 characters.
      expect(part.thoughtSignature?.length).toBeGreaterThan(590_000);
      expect(part.thoughtSignature?.length).toBeLessThan(605_000);
    } finally {
      await realistic.close();
    }
  });
});
