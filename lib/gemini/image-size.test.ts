import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { readImageInfo, sniffImageType } from "./image-size";

function canvas(width: number, height: number, channels: 3 | 4 = 3) {
  return sharp({ create: { width, height, channels, background: { r: 200, g: 180, b: 40, alpha: 0.5 } } });
}

async function bytes(image: Sharp): Promise<Uint8Array> {
  return new Uint8Array(await image.toBuffer());
}

describe("readImageInfo", () => {
  it("reads PNG sizes from IHDR, including sizes past 16 bits of area", async () => {
    expect(readImageInfo(await bytes(canvas(1376, 768).png()))).toEqual({ mimeType: "image/png", width: 1376, height: 768 });
    expect(readImageInfo(await bytes(canvas(192, 1536).png()))).toEqual({ mimeType: "image/png", width: 192, height: 1536 });
  });

  it("reads baseline and progressive JPEG frames, skipping EXIF and ICC segments", async () => {
    expect(readImageInfo(await bytes(canvas(848, 1264).jpeg()))).toMatchObject({ width: 848, height: 1264 });
    expect(readImageInfo(await bytes(canvas(1584, 672).jpeg({ progressive: true })))).toMatchObject({
      mimeType: "image/jpeg",
      width: 1584,
      height: 672,
    });
    const withMetadata = await bytes(canvas(600, 448).withMetadata({ orientation: 1 }).jpeg());
    expect(readImageInfo(withMetadata)).toEqual({ mimeType: "image/jpeg", width: 600, height: 448 });
  });

  it("reads all three WebP layouts: lossy VP8, lossless VP8L and extended VP8X", async () => {
    expect(readImageInfo(await bytes(canvas(688, 384).webp({ lossless: false })))).toMatchObject({ width: 688, height: 384 });
    expect(readImageInfo(await bytes(canvas(1000, 333).webp({ lossless: true })))).toMatchObject({ width: 1000, height: 333 });
    const extended = await bytes(canvas(5504 / 8, 3072 / 8, 4).webp({ lossless: false, alphaQuality: 50 }));
    expect(new TextDecoder().decode(extended.subarray(12, 16))).toBe("VP8X");
    expect(readImageInfo(extended)).toEqual({ mimeType: "image/webp", width: 688, height: 384 });
  });

  it("reads GIF logical screen sizes", async () => {
    expect(readImageInfo(await bytes(canvas(31, 17).gif()))).toEqual({ mimeType: "image/gif", width: 31, height: 17 });
  });

  it("returns null for redacted, truncated or unknown bytes instead of guessing", async () => {
    // The recordings replace image data with "AA==" (a single zero byte).
    expect(readImageInfo(new Uint8Array([0]))).toBeNull();
    expect(readImageInfo(new Uint8Array(0))).toBeNull();
    const png = await bytes(canvas(64, 64).png());
    expect(readImageInfo(png.subarray(0, 20))).toBeNull();
    const jpeg = await bytes(canvas(64, 64).jpeg());
    expect(readImageInfo(jpeg.subarray(0, 30))).toBeNull();
    expect(readImageInfo(new TextEncoder().encode("<html>not an image</html>"))).toBeNull();
  });
});

describe("sniffImageType", () => {
  it("recognises formats by magic bytes, whatever the declared type says", async () => {
    expect(sniffImageType(await bytes(canvas(8, 8).png()))).toBe("image/png");
    expect(sniffImageType(await bytes(canvas(8, 8).jpeg()))).toBe("image/jpeg");
    expect(sniffImageType(await bytes(canvas(8, 8).webp()))).toBe("image/webp");
    expect(sniffImageType(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});
