import "server-only";

import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { sniffImageType } from "@/lib/images/sniff";
import type { CollectableImageStore, StoredImageEntry } from "../garbage";
import { ImageStoreError, describeImageFile, isContentHash, putHash, type ImageStore, type StoredImage } from "../image-store";
import { StorageError } from "../types";

/**
 * Images in an S3-compatible bucket (AWS S3, Cloudflare R2, Garage, SeaweedFS, RustFS, MinIO), so
 * every studio instance sees the same images. Same contract as the file store
 * (lib/storage/image-store.ts): content-addressed keys `objects/<first two hex>/<sha256>`, the same
 * layout as the data directory's `objects/`, so a bucket can be seeded with a plain copy; named
 * copies under `exports/`.
 *
 * Each object carries its SHA-256 as metadata (`x-amz-meta-sha256`): ETags are not content hashes
 * for multipart uploads or on several of the servers above, and the named-copy check and
 * `npm run migrate-data`'s verification need one they can trust without downloading.
 */

export interface S3ImageStoreOptions {
  bucket: string;
  /** Omit for AWS; e.g. https://<account>.r2.cloudflarestorage.com or http://127.0.0.1:3900 (Garage). */
  endpoint?: string;
  /** Default "us-east-1"; R2 takes "auto". */
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Bucket in the path (http://host/bucket/key) rather than the host name: most self-hosted servers need it. */
  forcePathStyle?: boolean;
  /** For tests: a client built elsewhere. */
  client?: S3Client;
}

export interface S3ImageStore extends ImageStore, CollectableImageStore {
  readonly bucket: string;
  /** The object's bytes as a stream, for responses and archives that must not buffer whole images. */
  stream(hash: string): Promise<{ image: StoredImage; body: Readable } | null>;
  /** The SHA-256 the object was stored under, from its metadata, without reading it; null when absent. */
  storedHash(hash: string): Promise<string | null>;
}

export function objectKey(hash: string): string {
  return `objects/${hash.slice(0, 2)}/${hash}`;
}

const HASH_META = "sha256";

export function createS3Client(options: Omit<S3ImageStoreOptions, "bucket" | "client">): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? "us-east-1",
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? false,
    // Several S3-compatible servers reject the newer default checksum headers; AWS accepts both.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.accessKeyId && options.secretAccessKey) {
    config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  }
  return new S3Client(config);
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404;
  }
  return false;
}

/** What went wrong talking to the bucket, in words an operator can act on. */
function describeS3Failure(error: unknown, bucket: string): string {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    if (error.name === "NoSuchBucket") return `the bucket ${bucket} does not exist`;
    if (status === 403 || error.name === "AccessDenied" || error.name === "InvalidAccessKeyId" || error.name === "SignatureDoesNotMatch") {
      return `the object store refused the credentials for bucket ${bucket} (${error.name})`;
    }
    if (error.name === "EntityTooLarge" || error.name === "QuotaExceeded") return `the bucket ${bucket} is full or over its quota (${error.name})`;
    return `the object store answered ${status ?? "?"} ${error.name}`;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return `the object store can't be reached (${code})`;
  return error instanceof Error ? error.message : String(error);
}

export function createS3ImageStore(options: S3ImageStoreOptions): S3ImageStore {
  const { bucket } = options;
  const client = options.client ?? createS3Client(options);

  async function head(key: string): Promise<{ sha256: string | null; size: number } | null> {
    try {
      const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { sha256: answer.Metadata?.[HASH_META] ?? null, size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function open(hash: string): Promise<Readable | null> {
    if (!isContentHash(hash)) return null;
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(hash) }));
      if (!answer.Body) return null;
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new StorageError("storage_failed", `Could not read image ${hash}: ${describeS3Failure(error, bucket)}.`, { cause: error });
    }
  }

  async function readAll(body: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  return {
    bucket,

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw new ImageStoreError("write_failed", `The bucket can't be reached: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
    },

    async put(bytes, options = {}) {
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = putHash(bytes, options.sha256);
      const key = objectKey(hash);
      try {
        // The key is the content, so an existing object already holds these bytes; it is written
        // again all the same, because storing counts as new for garbage collection
        // (lib/storage/garbage.ts) and only a write renews LastModified everywhere (a copy onto
        // itself does on AWS, not on every S3-compatible server). Same bytes again are rare: jobs
        // reuse what they stored, and model turns name their images by hash.
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: mimeType, Metadata: { [HASH_META]: hash } }),
        );
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save the image: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
      return { hash, mimeType, byteLength: bytes.byteLength };
    },

    async putFile(file, options = {}) {
      if (options.sha256 !== undefined && !isContentHash(options.sha256)) throw new TypeError("putFile: sha256 must be 64 lowercase hex digits");
      const { mimeType, byteLength, hash } = await describeImageFile(file, options.sha256).catch((error: unknown) => {
        throw new ImageStoreError("write_failed", `Could not read the file to store: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
      });
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      // Sent from the file in 1 MB reads; the length is known up front, so the SDK needs no buffering.
      const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: objectKey(hash), Body: body, ContentLength: byteLength, ContentType: mimeType, Metadata: { [HASH_META]: hash } }),
        );
      } catch (error) {
        throw new ImageStoreError("write_failed", `Could not save the image: ${describeS3Failure(error, bucket)}.`, { cause: error });
      } finally {
        body.destroy();
      }
      return { hash, mimeType, byteLength };
    },

    async get(hash) {
      const body = await open(hash);
      if (!body) return null;
      const bytes = await readAll(body).catch((error: unknown) => {
        throw new StorageError("storage_failed", `Could not read image ${hash}: ${describeS3Failure(error, bucket)}.`, { cause: error });
      });
      const mimeType = sniffImageType(bytes);
      if (!mimeType) return null;
      return { image: { hash, mimeType, byteLength: bytes.byteLength }, bytes };
    },

    async stream(hash) {
      const body = await open(hash);
      if (!body) return null;
      // The type comes from the bytes, as in get(): peek at the first chunk, then hand on all of it.
      const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      let first = Buffer.alloc(0);
      while (first.byteLength < 64) {
        const next = await iterator.next();
        if (next.done) break;
        first = Buffer.concat([first, next.value]);
      }
      const mimeType = sniffImageType(first);
      if (!mimeType) {
        body.destroy();
        return null;
      }
      const size = (await head(objectKey(hash)))?.size ?? first.byteLength;
      async function* chunks() {
        yield first;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      }
      return { image: { hash, mimeType, byteLength: size }, body: Readable.from(chunks()) };
    },

    async storedHash(hash) {
      if (!isContentHash(hash)) return null;
      try {
        return (await head(objectKey(hash)))?.sha256 ?? null;
      } catch (error) {
        throw new StorageError("storage_failed", `Could not read image ${hash}: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
    },

    async list() {
      const entries: StoredImageEntry[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "objects/", ContinuationToken: token }));
          for (const object of page.Contents ?? []) {
            const hash = object.Key?.split("/").pop() ?? "";
            // Only the content-addressed layout; anything else someone put under objects/ is not ours to judge.
            if (!isContentHash(hash) || object.Key !== objectKey(hash)) continue;
            entries.push({ hash, storedAt: object.LastModified?.getTime() ?? 0, byteLength: object.Size ?? 0 });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw new StorageError("storage_failed", `Could not list the images: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
      return entries;
    },

    async remove(hash) {
      if (!isContentHash(hash)) return false;
      const key = objectKey(hash);
      try {
        // DeleteObject succeeds for a missing key too; the report should only count what went.
        if (!(await head(key))) return false;
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        throw new StorageError("storage_failed", `Could not remove image ${hash}: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
    },

    async exportAs(hash, fileName, pending) {
      if (!isContentHash(hash)) throw new ImageStoreError("not_an_image", "Unknown image.");
      // Same naming as the file store: the base name only, `-2`, `-3`, … when other bytes hold it.
      const safeName = fileName.split(/[\\/]/).pop() ?? "";
      if (safeName === "" || safeName === "." || safeName === "..") throw new ImageStoreError("write_failed", "Could not save the image: no file name.");
      const dot = safeName.lastIndexOf(".");
      const extension = dot > 0 ? safeName.slice(dot) : "";
      const stem = safeName.slice(0, safeName.length - extension.length);
      const exportKey = (copy: number) => `exports/${copy === 1 ? safeName : `${stem}-${copy}${extension}`}`;
      // With the bytes at hand the copy is a PUT of its own, beside the object's: a CopyObject must
      // wait for that PUT to end, and on every generation's way to `done` the two in a row were the
      // longest wait in a bucket (measured with bench/tools/scale-out-phases.ts). Without them, the
      // source is not looked up first: the copy answers NoSuchKey when it is missing.
      const write = (key: string) =>
        pending
          ? client.send(
              new PutObjectCommand({ Bucket: bucket, Key: key, Body: pending.bytes, ContentType: sniffImageType(pending.bytes) ?? undefined, Metadata: { [HASH_META]: hash } }),
            )
          : client.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${objectKey(hash)}`, MetadataDirective: "COPY" }));
      const place = async () => {
        for (let copy = 1; ; copy += 1) {
          const key = exportKey(copy);
          const existing = await head(key);
          if (existing && existing.sha256 !== hash) continue;
          if (!existing) await write(key);
          return { key, written: !existing };
        }
      };
      try {
        const [placed, stored] = await Promise.allSettled([place(), pending?.stored]);
        if (placed.status === "rejected") throw placed.reason;
        if (stored.status === "rejected") {
          // No named copy of an image that was not stored.
          if (placed.value.written) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: placed.value.key })).catch(() => undefined);
          throw stored.reason;
        }
        return `s3://${bucket}/${placed.value.key}`;
      } catch (error) {
        if (error instanceof ImageStoreError) throw error;
        if (error instanceof S3ServiceException && error.name === "NoSuchKey") throw new ImageStoreError("not_an_image", "Unknown image.");
        throw new ImageStoreError("write_failed", `Could not save ${safeName}: ${describeS3Failure(error, bucket)}.`, { cause: error });
      }
    },
  };
}
