import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileImageStore } from "@/lib/storage/image-store";
import { getThumbnail, parseThumbnailWidth } from "./thumbnails";

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-thumbs-"));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("thumbnails", () => {
  it("makes a small WebP once, keeps the shape, and serves it from disk afterwards", async () => {
    const images = createFileImageStore(dataDir);
    const original = await sharp({ create: { width: 2752, height: 1536, channels: 3, background: "#336699" } }).jpeg().toBuffer();
    const { hash } = await images.put(original);
    const first = await getThumbnail({ images, dataDir, hash, width: 192 });
    expect(first).not.toBeNull();
    const meta = await sharp(first!).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.width).toBe(192);
    expect(meta.height).toBe(107);
    expect(first!.byteLength).toBeLessThan(original.byteLength / 10);
    const cachedFile = path.join(dataDir, "thumbnails", "192", hash.slice(0, 2), `${hash}.webp`);
    expect((await fs.readFile(cachedFile)).equals(first!)).toBe(true);
    expect((await getThumbnail({ images, dataDir, hash, width: 192 }))!.equals(first!)).toBe(true);
  });

  it("answers null for unknown or malformed hashes and only accepts the listed widths", async () => {
    const images = createFileImageStore(dataDir);
    expect(await getThumbnail({ images, dataDir, hash: "0".repeat(64), width: 96 })).toBeNull();
    expect(await getThumbnail({ images, dataDir, hash: "../../etc/passwd", width: 96 })).toBeNull();
    expect(parseThumbnailWidth("192")).toBe(192);
    expect(parseThumbnailWidth(null)).toBe(192);
    expect(parseThumbnailWidth("5000")).toBeNull();
    expect(parseThumbnailWidth("abc")).toBeNull();
  });
});
