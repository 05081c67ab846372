import "server-only";

import { createHash, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { sniffImageType, type ImageMimeType } from "@/lib/images/sniff";
import type { CollectableImageStore } from "./garbage";

/** A stored image is addressed only by the SHA-256 of its bytes. */
export interface StoredImage {
  hash: string;
  mimeType: ImageMimeType;
  byteLength: number;
}

/** An image being stored, for ImageStore.exportAs to name before its put has ended. */
export interface PendingImage {
  /** Exactly the bytes stored under the hash given with it. */
  bytes: Uint8Array;
  /** The put of those bytes. */
  stored: Promise<unknown>;
}

export interface ImageStore {
  /**
   * Stores bytes once per content; storing the same bytes again is a no-op. `sha256`, when given,
   * is the hash of exactly these bytes (contentHash), taken by a caller that needed it before the
   * write, so the bytes are not hashed twice.
   */
  put(bytes: Uint8Array, options?: { sha256?: string }): Promise<StoredImage>;
  /**
   * Stores the file at `file` without reading it into memory (an upload streamed to the data
   * directory's tmp): the file store moves it into place, a bucket is sent it as a stream. The file
   * may be gone afterwards; what is left of it on any outcome is the caller's to remove.
   * `sha256`, when given, is the hash of exactly these bytes, taken as they were written, so the
   * file is not read once more to hash it.
   */
  putFile(file: string, options?: { sha256?: string }): Promise<StoredImage>;
  get(hash: string): Promise<{ image: StoredImage; bytes: Buffer } | null>;
  /**
   * The same bytes as a stream, for responses that must not hold whole images: a 6 MB image read
   * whole is three 6 MB buffers by the time a Response sends it (the read, the route's view, the
   * copy undici makes of any buffer body), and under load those buffers drive the garbage collector.
   */
  stream(hash: string): Promise<{ image: StoredImage; body: Readable } | null>;
  /**
   * Saves a human-named copy (e.g. `gen-cat-20261122-101500.jpg`) next to the store and returns its
   * path. When the name is taken by other bytes, a `-2`, `-3`, ... suffix keeps both files.
   * `pending` is for a caller whose put of the image may still be under way: the copy is made
   * without waiting for it where the store can (a bucket writes the bytes under the copy's key
   * beside the put, rather than copying the object after it), else once it has ended (the file
   * store links the stored file). Either way the answer comes when both are in place, and a failed
   * put fails the export.
   */
  exportAs(hash: string, fileName: string, pending?: PendingImage): Promise<string>;
  /**
   * Removes temp files left by writes that never finished (a crash between write and rename).
   * Only files older than `olderThanMs` go, so a write in flight in another process is spared.
   */
  sweepTemp?(olderThanMs: number): Promise<number>;
  /** Throws when the store can't be reached (a bucket that is down or refuses the studio's keys); for readiness. */
  ping?(): Promise<void>;
}

export class ImageStoreError extends Error {
  /**
   * Recognised by name, not by class identity: the server bundles this module more than once
   * (instrumentation.ts opens the storage that route handlers and server actions then use), and an
   * error thrown by one copy must still be an ImageStoreError to the others' `instanceof`, or a full
   * disk is reported as "something went wrong". The SDK's ApiError is recognised the same way.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Error && value.name === "ImageStoreError";
  }

  constructor(
    readonly code: "not_an_image" | "write_failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ImageStoreError";
  }
}

const HASH_PATTERN = /^[a-f0-9]{64}$/;
/** How far lib/images/sniff.ts reads into a file at most. */
const SNIFF_BYTES = 512;
const STREAM_CHUNK_BYTES = 1024 * 1024;

export function isContentHash(value: string): boolean {
  return HASH_PATTERN.test(value);
}

/** The content hash (SHA-256, lowercase hex) by which the image stores address `bytes`. */
export function contentHash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The hash a put() stores under: the caller's, checked for shape, or taken here. */
export function putHash(bytes: Uint8Array, given: string | undefined): string {
  if (given === undefined) return contentHash(bytes);
  if (!isContentHash(given)) throw new TypeError("put: sha256 must be 64 lowercase hex digits");
  return given;
}

/** Why a write failed, in words an operator can act on: "the disk holding <place> is full". */
export function describeWriteFailure(error: unknown, place: string): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return `the disk holding ${place} is full`;
  if (code === "EACCES" || code === "EPERM") return `the studio may not write to ${place}`;
  if (code === "EROFS") return `${place} is on a read-only file system`;
  if (code === "ENOTDIR" || code === "EEXIST") return `${place} is not a usable directory`;
  return `writing to ${place} failed${code ? ` (${code})` : ""}`;
}

/**
 * Writes a whole file or nothing: readers never see a half-written file, and a crash leaves at
 * most a temp file in `tmpDir` (removed by sweepTemp). The directories are made only when an open
 * or rename finds one missing (ENOENT), not before every write: that was two calls more per file,
 * each a round trip through libuv's thread pool and back to the main thread.
 */
export async function writeFileAtomically(target: string, bytes: Uint8Array | string, tmpDir: string): Promise<void> {
  const temp = path.join(tmpDir, `${randomUUID()}.part`);
  try {
    const handle = await whenMissing(() => fs.open(temp, "wx"), tmpDir);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The temp file is there, so ENOENT here is the target's directory.
    await whenMissing(() => fs.rename(temp, target), path.dirname(target));
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** `step`, and once more after making `dir` if it failed for a missing directory. */
async function whenMissing<T>(step: () => Promise<T>, dir: string): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await fs.mkdir(dir, { recursive: true });
    return step();
  }
}

/** The type (from the first bytes), size and SHA-256 of a file on disk, read in 1 MB pieces when no hash is given. */
export async function describeImageFile(file: string, sha256?: string): Promise<{ mimeType: ImageMimeType | null; byteLength: number; hash: string }> {
  const handle = await fs.open(file, "r");
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const { size } = await handle.stat();
    let hash = sha256;
    if (!hash) {
      const digest = createHash("sha256");
      for await (const chunk of handle.createReadStream({ start: 0, highWaterMark: STREAM_CHUNK_BYTES, autoClose: false })) digest.update(chunk as Buffer);
      hash = digest.digest("hex");
    }
    return { mimeType: sniffImageType(head.subarray(0, bytesRead)), byteLength: size, hash };
  } finally {
    await handle.close();
  }
}

export function createFileImageStore(dataDir: string): ImageStore & CollectableImageStore {
  const objectsDir = path.join(dataDir, "objects");
  const tmpDir = path.join(dataDir, "tmp");

  const objectPath = (hash: string) => path.join(objectsDir, hash.slice(0, 2), hash);

  return {
    async put(bytes, options = {}) {
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = putHash(bytes, options.sha256);
      const target = objectPath(hash);
      try {
        // Written even when that name is stored already (a result is nearly always new, and asking
        // first was one more call before every write); the rename puts the same bytes in place, as
        // a new file, so it also counts as new for garbage collection (lib/storage/garbage.ts).
        await writeFileAtomically(target, bytes, tmpDir);
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save the image: ${describeWriteFailure(error, `the data directory ${dataDir}`)}.`, {
          cause: error,
        });
      }
      return { hash, mimeType, byteLength: bytes.byteLength };
    },

    async putFile(file, options = {}) {
      if (options.sha256 !== undefined && !isContentHash(options.sha256)) throw new TypeError("putFile: sha256 must be 64 lowercase hex digits");
      const { mimeType, byteLength, hash } = await describeImageFile(file, options.sha256).catch((error: unknown) => {
        throw new ImageStoreError("write_failed", `Could not read the file to store: ${describeWriteFailure(error, file)}.`, { cause: error });
      });
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const target = objectPath(hash);
      try {
        await fs.access(target);
        const at = new Date();
        await fs.utimes(target, at, at).catch(() => undefined);
        return { hash, mimeType, byteLength };
      } catch {
        // Not stored yet: moved into place below.
      }
      try {
        // As writeFileAtomically: on disk before it has its name, so a crash never leaves a stored name with missing bytes.
        const handle = await fs.open(file, "r+");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await whenMissing(() => fs.rename(file, target), path.dirname(target));
        } catch (error) {
          // A file from another filesystem: copied into the store's tmp first, so the rename that names it stays atomic.
          if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
          const temp = path.join(tmpDir, `${randomUUID()}.part`);
          try {
            await whenMissing(() => fs.copyFile(file, temp), tmpDir);
            await fs.rename(temp, target);
          } finally {
            await fs.rm(temp, { force: true });
          }
        }
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save the image: ${describeWriteFailure(error, `the data directory ${dataDir}`)}.`, { cause: error });
      }
      return { hash, mimeType, byteLength };
    },

    async get(hash) {
      if (!isContentHash(hash)) return null;
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(objectPath(hash));
      } catch {
        return null;
      }
      const mimeType = sniffImageType(bytes);
      if (!mimeType) return null;
      return { image: { hash, mimeType, byteLength: bytes.byteLength }, bytes };
    },

    async stream(hash) {
      if (!isContentHash(hash)) return null;
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(objectPath(hash), "r");
      } catch {
        return null;
      }
      try {
        // The type comes from the bytes, as in get(); sniffImageType looks at most this far.
        const head = Buffer.alloc(SNIFF_BYTES);
        const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
        const mimeType = sniffImageType(head.subarray(0, bytesRead));
        if (!mimeType) {
          await handle.close();
          return null;
        }
        const { size } = await handle.stat();
        // An open file stays readable if the garbage collector removes it meanwhile. Reads of 1 MB
        // rather than the default 64 KB: each read is a trip through libuv's thread pool and a wake-up
        // of the event loop, and a 6 MB original took 90 of them.
        return { image: { hash, mimeType, byteLength: size }, body: handle.createReadStream({ start: 0, highWaterMark: STREAM_CHUNK_BYTES }) };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async exportAs(hash, fileName, pending) {
      if (!isContentHash(hash)) throw new ImageStoreError("not_an_image", "Unknown image.");
      // A hard link needs the stored file, and costs no space.
      if (pending) await pending.stored;
      const safeName = path.basename(fileName);
      const extension = path.extname(safeName);
      const stem = safeName.slice(0, safeName.length - extension.length);
      const source = objectPath(hash);
      try {
        for (let copy = 1; ; copy += 1) {
          const target = path.join(dataDir, copy === 1 ? safeName : `${stem}-${copy}${extension}`);
          if (await placeCopy(source, target)) return target;
        }
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save ${safeName}: ${describeWriteFailure(error, dataDir)}.`, {
          cause: error,
        });
      }
    },

    async list() {
      const entries: Array<{ hash: string; storedAt: number; byteLength: number }> = [];
      const shards = await fs.readdir(objectsDir).catch(() => [] as string[]);
      for (const shard of shards) {
        if (!/^[a-f0-9]{2}$/.test(shard)) continue;
        const names = await fs.readdir(path.join(objectsDir, shard)).catch(() => [] as string[]);
        for (const name of names) {
          if (!isContentHash(name) || !name.startsWith(shard)) continue;
          const stat = await fs.stat(path.join(objectsDir, shard, name)).catch(() => null);
          if (stat?.isFile()) entries.push({ hash: name, storedAt: stat.mtimeMs, byteLength: stat.size });
        }
      }
      return entries;
    },

    async remove(hash) {
      if (!isContentHash(hash)) return false;
      try {
        await fs.unlink(objectPath(hash));
        return true;
      } catch {
        return false;
      }
    },

    async sweepTemp(olderThanMs) {
      let names: string[];
      try {
        names = await fs.readdir(tmpDir);
      } catch {
        return 0;
      }
      const cutoff = Date.now() - olderThanMs;
      let removed = 0;
      for (const name of names) {
        if (!name.endsWith(".part")) continue;
        const file = path.join(tmpDir, name);
        const stat = await fs.stat(file).catch(() => null);
        if (stat && stat.mtimeMs <= cutoff) {
          await fs.rm(file, { force: true });
          removed += 1;
        }
      }
      return removed;
    },
  };
}

/**
 * Links (or copies, where the filesystem cannot link) `source` to `target`. False when `target`
 * already holds other bytes; true when it now holds these bytes, including when it already did.
 */
async function placeCopy(source: string, target: string): Promise<boolean> {
  try {
    // A hard link costs no space.
    await fs.link(source, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return sameContent(source, target);
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw error;
  }
  try {
    await fs.copyFile(source, target, fs.constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return sameContent(source, target);
    throw error;
  }
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [statA, statB] = await Promise.all([fs.stat(a), fs.stat(b)]);
  if (statA.ino === statB.ino && statA.dev === statB.dev) return true;
  if (statA.size !== statB.size) return false;
  const [bytesA, bytesB] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return bytesA.equals(bytesB);
}
