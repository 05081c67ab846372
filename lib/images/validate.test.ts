import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { MAX_PIXELS, MAX_UPLOAD_BYTES } from "./limits";
import { SVG_DRAWING, heicContainer, noisyImage, pngClaimingSize, solidImage, truncate } from "./test-images";
import { validateUpload, validateUploadFile } from "./validate";

async function expectRefused(bytes: Uint8Array, code: string, declaredName?: string) {
  const result = await validateUpload(bytes, { declaredName });
  if (result.ok) throw new Error(`expected ${code}, got ${JSON.stringify(result.image)}`);
  expect(result.error.code).toBe(code);
  if (declaredName) expect(result.error.message).toContain(`"${declaredName}"`);
  return result.error.message;
}

describe("validateUpload", () => {
  it.each([
    ["png", "image/png"],
    ["jpeg", "image/jpeg"],
    ["webp", "image/webp"],
  ] as const)("accepts a real %s and reports its type and size", async (format, mimeType) => {
    const bytes = await noisyImage(64, 48, format);
    const result = await validateUpload(bytes, { declaredName: "photo.bin" });
    expect(result).toEqual({
      ok: true,
      image: { mimeType, width: 64, height: 48, byteLength: bytes.byteLength, pixelsVerified: true },
    });
  });

  it("decides the type by content, not by name", async () => {
    const result = await validateUpload(await solidImage(8, 8, "png"), { declaredName: "looks-like.jpg" });
    expect(result.ok && result.image.mimeType).toBe("image/png");
  });

  it("reports the displayed size of a rotated phone JPEG", async () => {
    const bytes = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#000" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await validateUpload(bytes);
    expect(result.ok && [result.image.width, result.image.height]).toEqual([30, 40]);
  });

  it("refuses a text file named .jpg", async () => {
    const message = await expectRefused(Buffer.from("shopping list: bananas\n"), "not_an_image", "notes.jpg");
    expect(message).toMatch(/named like an image/);
  });

  it("refuses an SVG, even one named .png", async () => {
    const message = await expectRefused(SVG_DRAWING, "unsupported_type", "logo.png");
    expect(message).toMatch(/SVG/);
    await expectRefused(Buffer.from('<!-- exported --><svg xmlns="http://www.w3.org/2000/svg"/>'), "unsupported_type");
  });

  it("refuses GIF and AVIF by name of format", async () => {
    expect(await expectRefused(await solidImage(8, 8, "gif"), "unsupported_type", "anim.gif")).toMatch(/GIF/);
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } }).avif().toBuffer();
    expect(await expectRefused(avif, "unsupported_type")).toMatch(/AVIF/);
  });

  it("refuses truncated JPEG, PNG and WebP files", async () => {
    for (const format of ["jpeg", "png", "webp"] as const) {
      const message = await expectRefused(truncate(await noisyImage(320, 240, format)), "truncated", `cut.${format}`);
      expect(message).toMatch(/damaged or incomplete/);
    }
  });

  it("refuses a decompression bomb from its header, without decoding it", async () => {
    const bomb = pngClaimingSize(100_000, 100_000);
    expect(bomb.byteLength).toBeLessThan(1_000);
    const started = performance.now();
    const message = await expectRefused(bomb, "too_many_pixels", "bomb.png");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(message).toContain("100,000 × 100,000 px");
  });

  it("allows exactly the pixel limit's worth of header and refuses one row more", async () => {
    const side = Math.floor(Math.sqrt(MAX_PIXELS));
    await expectRefused(pngClaimingSize(side, side + Math.ceil(MAX_PIXELS / side)), "too_many_pixels");
  });

  it("refuses a file over the byte limit before looking inside", async () => {
    const oversized = Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0xff);
    oversized.set([0xff, 0xd8, 0xff]);
    expect(await expectRefused(oversized, "too_large", "huge.jpg")).toMatch(/20 MB/);
  });

  it("does not mistake text that starts with BM for a bitmap", async () => {
    expect(await expectRefused(Buffer.from("BMW service notes"), "not_an_image", "car.txt")).toMatch(/isn't an image/);
  });

  it("refuses an empty file", async () => {
    await expectRefused(new Uint8Array(), "empty", "zero.png");
  });

  it("accepts a HEIC it can read but not decode, with pixels marked unverified", async () => {
    const heic = heicContainer(4032, 3024);
    const result = await validateUpload(heic, { declaredName: "IMG_0001.HEIC" });
    expect(result).toEqual({
      ok: true,
      image: { mimeType: "image/heic", width: 4032, height: 3024, byteLength: heic.byteLength, pixelsVerified: false },
    });
  });

  it("still applies the pixel limit to HEIC", async () => {
    await expectRefused(heicContainer(20_000, 20_000), "too_many_pixels", "huge.heic");
  });

  it("refuses a HEIC whose container is cut short", async () => {
    await expectRefused(truncate(heicContainer(4032, 3024), 0.5), "truncated", "cut.heic");
  });
});

describe("validateUploadFile", () => {
  it("decides from a file on disk exactly as from its bytes, for good and bad files alike", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "nb-validate-"));
    try {
      const cases: Array<[string, Uint8Array]> = [
        ["photo.jpg", await noisyImage(120, 80, "jpeg")],
        ["photo.webp", await noisyImage(50, 40, "webp")],
        ["notes.jpg", Buffer.from("not an image")],
        ["logo.png", SVG_DRAWING],
        ["cut.jpg", truncate(await noisyImage(200, 200, "jpeg"))],
        ["bomb.png", pngClaimingSize(100_000, 100_000)],
        ["IMG_0001.HEIC", heicContainer(4032, 3024)],
        ["empty.png", new Uint8Array()],
      ];
      for (const [name, bytes] of cases) {
        const file = path.join(dir, name);
        await writeFile(file, bytes);
        expect(await validateUploadFile(file, { declaredName: name }), name).toEqual(await validateUpload(bytes, { declaredName: name }));
      }
      await expect(validateUploadFile(path.join(dir, "missing.jpg"))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
