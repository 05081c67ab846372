import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { MAX_PIXELS, PASS_THROUGH_MAX_BYTES, TARGET_LONG_EDGE } from "./limits";
import { fitWithin, orientedSize, planPreparation, readImageHeader, type ImageHeader } from "./prepare-client";
import { heicContainer, pngClaimingSize, solidImage } from "./test-images";

const header = (overrides: Partial<ImageHeader>): ImageHeader => ({
  mimeType: "image/jpeg",
  width: 1000,
  height: 800,
  orientation: 1,
  ...overrides,
});

describe("fitWithin", () => {
  it("scales the long edge down to the limit and keeps the aspect ratio", () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: TARGET_LONG_EDGE, height: 2304 });
    expect(fitWithin(3000, 4000)).toEqual({ width: 2304, height: TARGET_LONG_EDGE });
    expect(fitWithin(12288, 1536, 3072)).toEqual({ width: 3072, height: 384 });
  });

  it("never scales up and never reaches zero", () => {
    expect(fitWithin(640, 480)).toEqual({ width: 640, height: 480 });
    expect(fitWithin(100_000, 1, 3072)).toEqual({ width: 3072, height: 1 });
  });
});

describe("orientedSize", () => {
  it("swaps width and height for the quarter-turn orientations only", () => {
    expect(orientedSize(40, 30, 1)).toEqual({ width: 40, height: 30 });
    expect(orientedSize(40, 30, 3)).toEqual({ width: 40, height: 30 });
    for (const orientation of [5, 6, 7, 8]) expect(orientedSize(40, 30, orientation)).toEqual({ width: 30, height: 40 });
  });
});

describe("readImageHeader", () => {
  it("reads PNG, JPEG and WebP (lossy and lossless) sizes without decoding", async () => {
    expect(readImageHeader(await solidImage(321, 123, "png"))).toEqual({ mimeType: "image/png", width: 321, height: 123, orientation: 1 });
    expect(readImageHeader(await solidImage(321, 123, "jpeg"))).toEqual({ mimeType: "image/jpeg", width: 321, height: 123, orientation: 1 });
    expect(readImageHeader(await solidImage(321, 123, "webp"))).toMatchObject({ width: 321, height: 123 });
    const lossless = await sharp({ create: { width: 321, height: 123, channels: 4, background: "#0000" } }).webp({ lossless: true }).toBuffer();
    expect(readImageHeader(lossless)).toMatchObject({ mimeType: "image/webp", width: 321, height: 123 });
    const extended = await sharp({ create: { width: 321, height: 123, channels: 4, background: "#f008" } })
      .webp()
      .withMetadata({ orientation: 1 })
      .toBuffer();
    expect(readImageHeader(extended)).toMatchObject({ width: 321, height: 123 });
  });

  it("reads the EXIF orientation of a phone JPEG", async () => {
    for (const orientation of [3, 6, 8]) {
      const bytes = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#000" } })
        .jpeg()
        .withMetadata({ orientation })
        .toBuffer();
      expect(readImageHeader(bytes)).toEqual({ mimeType: "image/jpeg", width: 40, height: 30, orientation });
    }
  });

  it("reads the size a bomb claims, so the tab never decodes it", () => {
    expect(readImageHeader(pngClaimingSize(100_000, 100_000))).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it("gives no size for HEIC, text and cut-off headers", async () => {
    expect(readImageHeader(heicContainer(4032, 3024))).toEqual({ mimeType: "image/heic", width: null, height: null, orientation: 1 });
    expect(readImageHeader(Buffer.from("hello"))).toEqual({ mimeType: null, width: null, height: null, orientation: 1 });
    const jpeg = await solidImage(64, 64, "jpeg");
    expect(readImageHeader(jpeg.subarray(0, 20))).toMatchObject({ mimeType: "image/jpeg", width: null });
  });
});

describe("planPreparation", () => {
  it("keeps small images of an accepted type untouched", () => {
    expect(planPreparation(header({}), 200_000)).toEqual({ kind: "keep" });
    expect(planPreparation(header({ mimeType: "image/png", width: TARGET_LONG_EDGE, height: 10 }), 200_000)).toEqual({ kind: "keep" });
  });

  it("downscales a 4000 x 3000 photo to the long-edge target", () => {
    expect(planPreparation(header({ width: 4000, height: 3000 }), 6_000_000)).toEqual({
      kind: "reencode",
      target: { width: 3072, height: 2304 },
      reason: "long-edge",
    });
  });

  it("re-encodes a heavy image that is already small enough in pixels", () => {
    expect(planPreparation(header({ mimeType: "image/png" }), PASS_THROUGH_MAX_BYTES + 1)).toMatchObject({ kind: "reencode", reason: "bytes" });
  });

  it("draws rotated JPEGs upright, with the displayed size", () => {
    expect(planPreparation(header({ width: 4000, height: 3000, orientation: 6 }), 1_000)).toMatchObject({
      target: { width: 2304, height: 3072 },
    });
    expect(planPreparation(header({ orientation: 8 }), 1_000)).toMatchObject({ kind: "reencode", reason: "orientation" });
  });

  it("sends HEIC, unknown and hostile files as they are, for the server to judge", () => {
    expect(planPreparation(header({ mimeType: "image/heic", width: null, height: null }), 3_000_000)).toEqual({
      kind: "as-is",
      reason: "not-decodable-here",
    });
    expect(planPreparation(header({ mimeType: null }), 10)).toMatchObject({ kind: "as-is" });
    expect(planPreparation(header({ mimeType: "image/svg+xml" }), 10)).toMatchObject({ kind: "as-is" });
    expect(planPreparation(header({ width: null }), 10)).toEqual({ kind: "as-is", reason: "unknown-size" });
    expect(planPreparation(header({ width: MAX_PIXELS, height: 2 }), 10)).toEqual({ kind: "as-is", reason: "too-many-pixels" });
  });
});
