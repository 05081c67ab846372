import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImageStoreError, type ImageStore } from "./image-store";

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

    it("refuses bytes that are not an image, storing nothing", async () => {
      await expect(store.put(Buffer.from("not an image"))).rejects.toSatisfy(
        (error: unknown) => error instanceof ImageStoreError && error.code === "not_an_image",
      );
      await expect(store.put(new Uint8Array())).rejects.toBeInstanceOf(ImageStoreError);
    });

    it("answers null for unknown or malformed hashes, including path tricks", async () => {
      for (const hash of ["0".repeat(64), "../../etc/passwd", "ABCDEF", "", `../objects/${"a".repeat(62)}`]) {
        expect(await store.get(hash)).toBeNull();
      }
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

    it("refuses to export a malformed hash", async () => {
      await expect(store.exportAs("../etc/passwd", "x.png")).rejects.toBeInstanceOf(ImageStoreError);
    });
  });
}
