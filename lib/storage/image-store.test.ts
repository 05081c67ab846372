import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileImageStore, describeWriteFailure, ImageStoreError } from "./image-store";

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

  it("makes a directory that went missing while it ran (temp and shard), and leaves no temp file", async () => {
    const store = createFileImageStore(dataDir);
    const first = await store.put(await png());
    // An operator's clean-up between two writes: the store's directories are not asked for before each one.
    await fs.rm(path.join(dataDir, "tmp"), { recursive: true });
    await fs.rm(path.join(dataDir, "objects"), { recursive: true });
    expect(await store.get(first.hash)).toBeNull();
    const bytes = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#abcdef" } }).png().toBuffer();
    const second = await store.put(bytes);
    expect((await store.get(second.hash))?.bytes.equals(bytes)).toBe(true);
    // The same bytes again are written in place of themselves.
    await store.put(bytes);
    expect((await store.get(second.hash))?.bytes.equals(bytes)).toBe(true);
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

  it("streams a large image in chunks rather than reading it whole, and refuses a stored file that is not an image", async () => {
    const store = createFileImageStore(dataDir);
    // The store only sniffs on put: a JPEG signature and 3 MB behind it is an image to it.
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(3 * 1024 * 1024)]);
    const stored = await store.put(bytes);
    const streamed = await store.stream(stored.hash);
    expect(streamed?.image).toEqual({ hash: stored.hash, mimeType: "image/jpeg", byteLength: bytes.byteLength });
    const chunks: Buffer[] = [];
    for await (const chunk of streamed?.body ?? []) chunks.push(chunk as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThan(bytes.byteLength);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Something else dropped under an object's name is answered like a missing image.
    const file = path.join(dataDir, "objects", stored.hash.slice(0, 2), stored.hash);
    await fs.writeFile(file, "<html>not an image</html>");
    expect(await store.stream(stored.hash)).toBeNull();
    expect(await store.get(stored.hash)).toBeNull();
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

  it("keeps both files when an export name is taken by other bytes, and reuses it for the same bytes", async () => {
    const store = createFileImageStore(dataDir);
    const first = await store.put(await png());
    const other = await store.put(await sharp({ create: { width: 2, height: 2, channels: 3, background: "#ff0000" } }).png().toBuffer());
    const name = "gen-cat-20261122-101500.png";
    expect(await store.exportAs(first.hash, name)).toBe(path.join(dataDir, name));
    expect(await store.exportAs(first.hash, name)).toBe(path.join(dataDir, name));
    expect(await store.exportAs(other.hash, name)).toBe(path.join(dataDir, "gen-cat-20261122-101500-2.png"));
    expect((await fs.readFile(path.join(dataDir, name))).byteLength).toBe(first.byteLength);
    expect((await fs.readFile(path.join(dataDir, "gen-cat-20261122-101500-2.png"))).byteLength).toBe(other.byteLength);
  });

  it("sweeps temp files a crash left behind, sparing recent ones", async () => {
    const store = createFileImageStore(dataDir);
    await fs.mkdir(path.join(dataDir, "tmp"));
    const stale = path.join(dataDir, "tmp", "stale.part");
    await fs.writeFile(stale, "half an image");
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(stale, old, old);
    await fs.writeFile(path.join(dataDir, "tmp", "fresh.part"), "in flight");
    expect(await store.sweepTemp?.(60_000)).toBe(1);
    expect(await fs.readdir(path.join(dataDir, "tmp"))).toEqual(["fresh.part"]);
  });

  it("names the cause of a failed write in words an operator can act on", () => {
    const failure = (code: string) => Object.assign(new Error(code), { code });
    expect(describeWriteFailure(failure("ENOSPC"), "/data")).toBe("the disk holding /data is full");
    expect(describeWriteFailure(failure("EACCES"), "/data")).toBe("the studio may not write to /data");
    expect(describeWriteFailure(failure("EROFS"), "/data")).toBe("/data is on a read-only file system");
    expect(describeWriteFailure(failure("EIO"), "/data")).toBe("writing to /data failed (EIO)");
  });
});

describe("error identity across bundled copies", () => {
  it("an ImageStoreError or StorageError from another copy of the module is still one to instanceof", async () => {
    const { StorageError } = await import("./types");
    // What another bundle's class produces: same name, different constructor.
    const fromOtherCopy = Object.assign(new Error("Could not save the image: the disk holding /data is full."), { name: "ImageStoreError", code: "write_failed" });
    expect(fromOtherCopy instanceof ImageStoreError).toBe(true);
    expect(Object.assign(new Error("gone"), { name: "StorageError", code: "not_found" }) instanceof StorageError).toBe(true);
    expect(new Error("plain") instanceof ImageStoreError).toBe(false);
    expect(new ImageStoreError("write_failed", "x") instanceof StorageError).toBe(false);
  });
});
