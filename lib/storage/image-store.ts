import "server-only";

import { createHash, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { sniffImageType, type ImageMimeType } from "@/lib/images/sniff";

/** A stored image is addressed only by the SHA-256 of its bytes. */
export interface StoredImage {
  hash: string;
  mimeType: ImageMimeType;
  byteLength: number;
}

export interface ImageStore {
  /** Stores bytes once per content; storing the same bytes again is a no-op. */
  put(bytes: Uint8Array): Promise<StoredImage>;
  get(hash: string): Promise<{ image: StoredImage; bytes: Buffer } | null>;
  /** Saves a human-named copy (e.g. `gen-cat-20261122-101500.jpg`) next to the store. */
  exportAs(hash: string, fileName: string): Promise<string>;
}

export class ImageStoreError extends Error {
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

export function isContentHash(value: string): boolean {
  return HASH_PATTERN.test(value);
}

async function writeAtomically(target: string, bytes: Uint8Array, tmpDir: string): Promise<void> {
  const temp = path.join(tmpDir, `${randomUUID()}.part`);
  try {
    const handle = await fs.open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export function createFileImageStore(dataDir: string): ImageStore {
  const objectsDir = path.join(dataDir, "objects");
  const tmpDir = path.join(dataDir, "tmp");

  const objectPath = (hash: string) => path.join(objectsDir, hash.slice(0, 2), hash);

  return {
    async put(bytes) {
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = createHash("sha256").update(bytes).digest("hex");
      const target = objectPath(hash);
      try {
        await fs.access(target);
      } catch {
        try {
          await fs.mkdir(path.dirname(target), { recursive: true });
          await fs.mkdir(tmpDir, { recursive: true });
          await writeAtomically(target, bytes, tmpDir);
        } catch (error) {
          throw new ImageStoreError("write_failed", `Could not save the image in the data directory ${dataDir}.`, {
            cause: error,
          });
        }
      }
      return { hash, mimeType, byteLength: bytes.byteLength };
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

    async exportAs(hash, fileName) {
      if (!isContentHash(hash)) throw new ImageStoreError("not_an_image", "Unknown image.");
      const safeName = path.basename(fileName);
      const target = path.join(dataDir, safeName);
      try {
        // A hard link costs no space; copy where the filesystem cannot link.
        await fs.link(objectPath(hash), target).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code === "EEXIST") return;
          await fs.copyFile(objectPath(hash), target);
        });
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save ${safeName} in ${dataDir}.`, { cause: error });
      }
      return target;
    },
  };
}
