import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCollectable } from "./garbage";
import { ImageStoreError, contentHash, type ImageStore } from "./image-store";

/**
 * What every ImageStore must do, as a vitest suite: the files under the data directory and an
 * S3-compatible bucket both run it. Backend-specific behaviour (temp files, error wording for a
 * full disk or a refused key) stays in each backend's own test file.
 */

export interface ImageStoreUnderTest {
  store: ImageStore;
  /** The bytes of a named copy, by what exportAs returned; null when there is none. */
  readExport(location: string): Promise<Buffer | null>;
  dispose?: () => Promise<void>;
}

const image = (background: string, width = 3) => sharp({ create: { width, height: 2, channels: 3, background } }).png().toBuffer();

export function describeImageStoreContract(name: string, factory: () => Promise<ImageStoreUnderTest>): void {
  describe(`image store contract: ${name}`, () => {
    let subject: ImageStoreUnderTest;
    let store: ImageStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.dispose?.();
    });

    it("stores by content hash, once per content, and reads back the same bytes and type", async () => {
      const bytes = await image("#123456");
      const [stored, again] = await Promise.all([store.put(bytes), store.put(bytes)]);
      expect(stored).toEqual({ hash: expect.stringMatching(/^[a-f0-9]{64}$/), mimeType: "image/png", byteLength: bytes.byteLength });
      expect(again).toEqual(stored);
      const read = await store.get(stored.hash);
      expect(read?.image).toEqual(stored);
      expect(read?.bytes.equals(bytes)).toBe(true);
      const jpeg = await sharp(bytes).jpeg().toBuffer();
      expect((await store.put(jpeg)).mimeType).toBe("image/jpeg");
    });

    it("stores under the hash the caller took, and refuses one that is not a content hash", async () => {
      const bytes = await image("#345612");
      const stored = await store.put(bytes, { sha256: contentHash(bytes) });
      expect(stored).toEqual({ hash: createHash("sha256").update(bytes).digest("hex"), mimeType: "image/png", byteLength: bytes.byteLength });
      expect((await store.get(stored.hash))?.bytes.equals(bytes)).toBe(true);
      const other = await image("#563412");
      await expect(store.put(other, { sha256: "not-a-hash" })).rejects.toBeInstanceOf(TypeError);
      expect(await store.get(contentHash(other))).toBeNull();
    });

    it("refuses bytes that are not an image, storing nothing", async () => {
      await expect(store.put(Buffer.from("not an image"))).rejects.toSatisfy(
        (error: unknown) => error instanceof ImageStoreError && error.code === "not_an_image",
      );
      await expect(store.put(new Uint8Array())).rejects.toBeInstanceOf(ImageStoreError);
    });

    it("stores a file from disk as put stores its bytes, and refuses a file that is not an image", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "nb-put-file-"));
      try {
        const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 60 } } }).jpeg().toBuffer();
        const file = path.join(dir, "upload.part");
        await writeFile(file, bytes);
        const stored = await store.putFile(file);
        expect(stored).toEqual({ hash: createHash("sha256").update(bytes).digest("hex"), mimeType: "image/jpeg", byteLength: bytes.byteLength });
        expect((await store.get(stored.hash))?.bytes.equals(bytes)).toBe(true);
        // Again, with the hash the caller took while writing it: the same object.
        await writeFile(file, bytes);
        expect(await store.putFile(file, { sha256: stored.hash })).toEqual(stored);
        expect(await store.put(bytes)).toEqual(stored);

        const text = path.join(dir, "notes.part");
        await writeFile(text, "not an image");
        await expect(store.putFile(text)).rejects.toSatisfy((error: unknown) => error instanceof ImageStoreError && error.code === "not_an_image");
        await expect(store.putFile(path.join(dir, "missing.part"))).rejects.toBeInstanceOf(Error);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("answers null for unknown or malformed hashes, including path tricks", async () => {
      for (const hash of ["0".repeat(64), "../../etc/passwd", "ABCDEF", "", `../objects/${"a".repeat(62)}`]) {
        expect(await store.get(hash)).toBeNull();
        expect(await store.stream(hash)).toBeNull();
      }
    });

    it("streams the same bytes as it reads, with the stored type and size", async () => {
      const bytes = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 60 } } }).jpeg().toBuffer();
      const stored = await store.put(bytes);
      const streamed = await store.stream(stored.hash);
      expect(streamed?.image).toEqual(stored);
      const chunks: Buffer[] = [];
      for await (const chunk of streamed?.body ?? []) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    });

    it("exports a named copy under the base name only; the same bytes reuse it, other bytes get -2, -3", async () => {
      const first = await store.put(await image("#123456"));
      const second = await store.put(await image("#ff0000"));
      const third = await store.put(await image("#00ff00"));
      const name = "gen-cat-20261122-101500.png";
      const location = await store.exportAs(first.hash, `../../${name}`);
      expect(path.basename(location)).toBe(name);
      expect(await store.exportAs(first.hash, name)).toBe(location);
      const secondLocation = await store.exportAs(second.hash, name);
      expect(path.basename(secondLocation)).toBe("gen-cat-20261122-101500-2.png");
      expect(path.basename(await store.exportAs(third.hash, name))).toBe("gen-cat-20261122-101500-3.png");
      expect(await store.exportAs(second.hash, name)).toBe(secondLocation);
      expect((await subject.readExport(location))?.equals((await store.get(first.hash))?.bytes ?? Buffer.alloc(0))).toBe(true);
      expect((await subject.readExport(secondLocation))?.byteLength).toBe(second.byteLength);
    });

    it("exports an image whose put is still under way, and no copy when that put fails", async () => {
      const bytes = await image("#abcdef", 4);
      const hash = contentHash(bytes);
      const stored = store.put(bytes, { sha256: hash });
      const location = await store.exportAs(hash, "gen-pending-20261122-101500.png", { bytes, stored });
      expect((await stored).hash).toBe(hash);
      expect((await subject.readExport(location))?.equals(bytes)).toBe(true);
      expect((await store.get(hash))?.bytes.equals(bytes)).toBe(true);

      const other = await image("#fedcba", 4);
      const otherHash = contentHash(other);
      const failed = Promise.reject(new ImageStoreError("write_failed", "Could not save the image: the disk is full."));
      await expect(store.exportAs(otherHash, "gen-failed-20261122-101500.png", { bytes: other, stored: failed })).rejects.toMatchObject({
        code: "write_failed",
        message: expect.stringContaining("disk is full"),
      });
      expect(await store.get(otherHash)).toBeNull();
      expect(await subject.readExport(location.replace("gen-pending-", "gen-failed-"))).toBeNull();
      // The name is free for the next image that is stored.
      const next = await store.put(other);
      expect(path.basename(await store.exportAs(next.hash, "gen-failed-20261122-101500.png"))).toBe("gen-failed-20261122-101500.png");
    });

    it("refuses to export a malformed hash", async () => {
      await expect(store.exportAs("../etc/passwd", "x.png")).rejects.toBeInstanceOf(ImageStoreError);
    });

    // What garbage collection (lib/storage/garbage.ts) needs from a store.
    it("lists stored images with size and time, and removes one by hash, never a named copy", async () => {
      if (!isCollectable(store)) throw new Error(`${name}: list() and remove() are missing`);
      const before = Date.now();
      const kept = await store.put(await image("#123456"));
      const doomed = await store.put(await image("#654321", 5));
      const location = await store.exportAs(doomed.hash, "kept-by-the-designer.png");
      const listed = await store.list();
      expect(listed.map((entry) => entry.hash).sort()).toEqual([kept.hash, doomed.hash].sort());
      const entry = listed.find((candidate) => candidate.hash === doomed.hash);
      expect(entry?.byteLength).toBe(doomed.byteLength);
      // S3's LastModified has whole seconds.
      expect(entry?.storedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(entry?.storedAt).toBeLessThanOrEqual(Date.now() + 1000);

      expect(await store.remove(doomed.hash)).toBe(true);
      expect(await store.remove(doomed.hash)).toBe(false);
      expect(await store.remove("../etc/passwd")).toBe(false);
      expect(await store.get(doomed.hash)).toBeNull();
      expect((await store.list()).map((candidate) => candidate.hash)).toEqual([kept.hash]);
      expect((await subject.readExport(location))?.byteLength).toBe(doomed.byteLength);
    });

    it("counts the same bytes stored again as stored now", async () => {
      if (!isCollectable(store)) throw new Error(`${name}: list() and remove() are missing`);
      const bytes = await image("#abcdef");
      await store.put(bytes);
      const first = (await store.list())[0]?.storedAt ?? Number.NaN;
      // More than S3's one-second resolution.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await store.put(bytes);
      const second = (await store.list())[0]?.storedAt ?? Number.NaN;
      expect(second).toBeGreaterThan(first);
      expect((await store.get((await store.put(bytes)).hash))?.bytes.equals(bytes)).toBe(true);
    });
  });
}
