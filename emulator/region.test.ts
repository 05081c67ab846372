import sharp from "sharp";
import type { Content, GenerateContentResponse } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureFidelity } from "../scripts/region-fidelity";
import { findMask, maskBoundingBox, scaleBox, understoodRegion } from "./region";
import type { RequestLogEntry } from "./request-log";
import type { RequestPart } from "./request-schema";
import { startEmulator, type RunningEmulator } from "./server";
import { createClient, finalImagePart, imageBytes, inlinePart, parts, solidImage } from "./test-support";
import type { InputImage } from "./validation";

/** A black mask of `width` x `height` with a white box, as the studio draws it. */
async function boxMask(width: number, height: number, box: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  const white = await sharp({ create: { width: box.width, height: box.height, channels: 3, background: "#ffffff" } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 3, background: "#000000" } })
    .composite([{ input: white, left: box.left, top: box.top }])
    .png()
    .toBuffer();
}

describe("maskBoundingBox", () => {
  it("finds the box of the white pixels of a black-and-white mask", async () => {
    expect(await maskBoundingBox(await boxMask(200, 100, { left: 40, top: 10, width: 60, height: 30 }))).toEqual({
      left: 40,
      top: 10,
      width: 60,
      height: 30,
      maskWidth: 200,
      maskHeight: 100,
    });
  });

  it("reads white paint on a transparent overlay, and spans every stroke of a brushed mask", async () => {
    const stroke = (left: number, top: number) =>
      sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } }).png().toBuffer().then((input) => ({ input, left, top }));
    const overlay = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } })
      .composite([await stroke(5, 50), await stroke(70, 20)])
      .png()
      .toBuffer();
    expect(await maskBoundingBox(overlay)).toMatchObject({ left: 5, top: 20, width: 75, height: 40 });
  });

  it("answers null for a mask with nothing marked and for bytes that are no image", async () => {
    expect(await maskBoundingBox(await solidImage(50, 50, "#000000"))).toBeNull();
    expect(await maskBoundingBox(await solidImage(50, 50, "#606060", "jpeg"))).toBeNull();
    expect(await maskBoundingBox(Buffer.from("not an image"))).toBeNull();
  });
});

describe("scaleBox and understoodRegion", () => {
  it("carries a box from the mask's size to the answer's, covering every marked pixel", () => {
    const box = { left: 10, top: 5, width: 20, height: 10, maskWidth: 100, maskHeight: 50 };
    expect(scaleBox(box, 1000, 500)).toEqual({ left: 100, top: 50, width: 200, height: 100 });
    expect(scaleBox(box, 33, 17)).toEqual({ left: 3, top: 1, width: 7, height: 5 });
    expect(understoodRegion(box, { width: 1000, height: 500 }, 1, true)).toMatchObject({
      percent: { x: 10, y: 10, width: 20, height: 20 },
      maskSize: { width: 100, height: 50 },
      marked: true,
      edited: true,
    });
    expect(understoodRegion(null, { width: 10, height: 10 }, 2, true)).toMatchObject({ marked: false, edited: false, width: 0, maskSize: null });
  });
});

describe("findMask", () => {
  const image = (name: string): InputImage => ({ bytes: Buffer.from(name), mimeType: "image/png", info: { width: 1, height: 1, format: "png" } });
  it("takes the image after a mask label, not the ones before or the other labels", () => {
    const style: RequestPart = { inlineData: { mimeType: "image/png", data: "AA==" } };
    const mask: RequestPart = { inlineData: { mimeType: "image/png", data: "AQ==" } };
    const images = new Map([
      [style, image("style")],
      [mask, image("mask")],
    ]);
    const found = findMask([{ text: "Change only…" }, { text: "Image 1 (style reference):" }, style, { text: "Image 2 (mask):" }, mask], images);
    expect(found?.number).toBe(2);
    expect(found?.image.bytes.toString()).toBe("mask");
    expect(findMask([{ text: "Image 1 (style reference):" }, style], images)).toBeUndefined();
  });
});

describe("region edits through the emulator", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  async function loggedRegion(): Promise<RequestLogEntry["region"]> {
    const log = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as RequestLogEntry[];
    return log.at(-1)?.region;
  }

  it.each([
    ["gemini-3.1-flash-image", "jpeg", 8],
    ["gemini-2.5-flash-image", "png", 0],
  ] as const)("on %s, changes the previous image inside the mask's box only (tolerance %s %d) and reports the box", async (model, _format, tolerance) => {
    const ai = createClient(emulator);
    const first = await ai.models.generateContent({ model, contents: "A quiet harbour at dawn", config: { imageConfig: { aspectRatio: "16:9" } } });
    const before = imageBytes(finalImagePart(first));
    const { width, height } = await sharp(before).metadata();
    expect(width && height).toBeTruthy();
    const box = { left: Math.round((width ?? 0) * 0.2), top: Math.round((height ?? 0) * 0.1), width: Math.round((width ?? 0) * 0.3), height: Math.round((height ?? 0) * 0.3) };

    const history: Content[] = [
      { role: "user", parts: [{ text: "A quiet harbour at dawn" }] },
      { role: "model", parts: parts(first) },
      { role: "user", parts: [{ text: "Change only the marked area: a red kite." }, { text: "Image 1 (mask):" }, inlinePart(await boxMask(width ?? 0, height ?? 0, box))] },
    ];
    const edit: GenerateContentResponse = await ai.models.generateContent({ model, contents: history, config: { imageConfig: { aspectRatio: "16:9" } } });
    const after = imageBytes(finalImagePart(edit));

    const region = await loggedRegion();
    expect(region).toMatchObject({ ...box, imageWidth: width, imageHeight: height, marked: true, edited: true, maskImage: 1 });
    // The box was rounded to whole pixels, so its percentages are within a pixel of what was meant.
    for (const [key, meant] of Object.entries({ x: 20, y: 10, width: 30, height: 30 })) {
      expect(region?.percent[key as keyof typeof region.percent]).toBeCloseTo(meant, 0);
    }
    expect(edit.text).toContain(`x ${box.left}–${box.left + box.width}, y ${box.top}–${box.top + box.height} of ${width}×${height}`);

    const fidelity = await measureFidelity(before, after, box, tolerance);
    // PNG keeps every pixel outside the box; JPEG re-encodes the whole image, which moves pixels by a
    // few levels (up to ~25 at sharp text edges in the placeholder).
    if (tolerance === 0) expect(fidelity.outsideUnchanged).toBe(fidelity.outsidePixels);
    else expect(fidelity.outsideUnchanged / fidelity.outsidePixels).toBeGreaterThan(0.99);
    expect(fidelity.insideChanged / fidelity.insidePixels).toBeGreaterThan(0.5);
  });

  it("draws a plain image, and says so, when the mask marks nothing or there is no earlier image", async () => {
    const ai = createClient(emulator);
    const empty = await ai.models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [{ role: "user", parts: [{ text: "Change only the marked area: a kite." }, { text: "Image 1 (mask):" }, inlinePart(await solidImage(64, 64, "#000000"))] }],
    });
    expect(empty.text).toContain("nothing in it is marked");
    expect(await loggedRegion()).toMatchObject({ marked: false, edited: false });

    const noBase = await ai.models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [{ role: "user", parts: [{ text: "a kite" }, { text: "Image 1 (mask):" }, inlinePart(await boxMask(64, 64, { left: 0, top: 0, width: 8, height: 8 }))] }],
    });
    expect(noBase.text).toContain("no earlier image to change");
    expect(await loggedRegion()).toMatchObject({ marked: true, edited: false, left: 0, top: 0 });
  });

  it("logs no region for a request without a mask", async () => {
    await createClient(emulator).models.generateContent({ model: "gemini-2.5-flash-image", contents: "a kite" });
    expect(await loggedRegion()).toBeUndefined();
  });
});
