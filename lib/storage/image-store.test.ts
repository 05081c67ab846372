import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileImageStore, ImageStoreError } from "./image-store";

let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-store-"));
});

afterEach(async () => {
  await fs.chmod(dataDir, 0o755).catch(() => {});
  await fs.rm(dataDir, { recursive: true, force: true });
});

const png = () => sharp({ create: { width: 3, height: 2, channels: 3, background: "#123456" } }).png().toBuffer();

describe("file image store", () => {
  it("stores by content hash and reads back the same bytes and type", async () => {
    const store = createFileImageStore(dataDir);
    const bytes = await png();
    const stored = await store.put(bytes);
    expect(stored.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(stored.mimeType).toBe("image/png");
    const again = await store.put(bytes);
    expect(again.hash).toBe(stored.hash);
    const read = await store.get(stored.hash);
    expect(read?.bytes.equals(bytes)).toBe(true);
    expect(await fs.readdir(path.join(dataDir, "tmp"))).toEqual([]);
  });

  it("refuses bytes that are not an image and writes nothing", async () => {
    const store = createFileImageStore(dataDir);
    await expect(store.put(Buffer.from("not an image"))).rejects.toBeInstanceOf(ImageStoreError);
    expect(await fs.readdir(dataDir)).toEqual([]);
  });

  it("answers null for unknown or malformed hashes, including path traversal", async () => {
    const store = createFileImageStore(dataDir);
    expect(await store.get("0".repeat(64))).toBeNull();
    expect(await store.get("../../etc/passwd")).toBeNull();
    expect(await store.get("ABCDEF")).toBeNull();
  });

  it("exports a named copy inside the data directory only", async () => {
    const store = createFileImageStore(dataDir);
    const stored = await store.put(await png());
    const target = await store.exportAs(stored.hash, "../gen-cat-20261122-101500.png");
    expect(target).toBe(path.join(dataDir, "gen-cat-20261122-101500.png"));
    expect((await fs.readFile(target)).byteLength).toBe(stored.byteLength);
  });

  it("reports an unwritable data directory as a write failure and leaves no partial file", async () => {
    if (process.getuid?.() === 0) {
      // Root ignores permission bits; make the objects path a file instead so mkdir fails.
      await fs.writeFile(path.join(dataDir, "objects"), "");
    } else {
      await fs.chmod(dataDir, 0o500);
    }
    const store = createFileImageStore(dataDir);
    await expect(store.put(await png())).rejects.toMatchObject({ code: "write_failed" });
    const tmp = await fs.readdir(path.join(dataDir, "tmp")).catch(() => []);
    expect(tmp).toEqual([]);
  });
});
