import "server-only";

import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import busboy from "busboy";
import pLimit from "p-limit";

/**
 * Streams a one-file multipart body straight to a temp file, never holding the body in memory.
 * busboy parses the multipart stream; the whole body and the file are both capped while they
 * stream in.
 *
 * At most RECEIVE_SLOTS bodies stream in at once. Each one in flight costs its socket's, stream's,
 * parser's and file writer's buffers and event-loop turns per chunk; 200 at once (the storm in
 * bench/scenarios/upload-storm.ts) left the server's memory 1.4x its start after they were done and
 * /api/health waiting behind their chunks. The rest wait with their bodies unread: nothing pulls
 * from the request stream, so the bytes stay in the client's socket (TCP backpressure), not here.
 */
export const RECEIVE_SLOTS = 16;
const receiveSlots = pLimit(RECEIVE_SLOTS);

/** Bodies streaming in now and requests waiting for a slot, for diagnostics and tests. */
export function receiveLoad(): { active: number; waiting: number } {
  return { active: receiveSlots.activeCount, waiting: receiveSlots.pendingCount };
}

export type Received =
  | { ok: true; file: string; name: string | undefined; fileBytes: number; bodyBytes: number; sha256: string }
  | { ok: false; reason: "too_large" | "too_many_files" | "no_file" | "bad_request"; bodyBytes: number };

export interface ReceiveOptions {
  contentType: string;
  /** The whole request body, boundaries and all. */
  maxBodyBytes: number;
  maxFileBytes: number;
  tmpDir: string;
}

class BodyTooLarge extends Error {}

/**
 * Resolves with the temp file (and the SHA-256 of its bytes, taken as they streamed by, so the store
 * need not read the file again), or why the body was refused; either way nothing is left behind but
 * that file. Throws, leaving nothing, when the temp file could not be written (a full or read-only
 * disk): the body is not read further then.
 */
export async function receiveUpload(body: ReadableStream<Uint8Array> | null, options: ReceiveOptions): Promise<Received> {
  if (!body) return { ok: false, reason: "no_file", bodyBytes: 0 };
  return receiveSlots(() => receiveBody(body, options));
}

async function receiveBody(body: ReadableStream<Uint8Array>, options: ReceiveOptions): Promise<Received> {
  await fs.mkdir(options.tmpDir, { recursive: true });
  const file = path.join(options.tmpDir, `upload-${randomUUID()}.part`);
  let bodyBytes = 0;
  let fileBytes = 0;
  let files = 0;
  let name: string | undefined;
  let fileTooLarge = false;
  let tooManyFiles = false;
  let writeError: unknown = null;
  const digest = createHash("sha256");
  const writes: Promise<void>[] = [];

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": options.contentType },
      limits: { files: 1, fileSize: options.maxFileBytes, fields: 16, fieldSize: 1024, parts: 32 },
    });
  } catch {
    return { ok: false, reason: "bad_request", bodyBytes };
  }
  // Destroying the source ends the pipeline below: nothing more is read from the client.
  const source = Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
  parser.on("file", (field, stream, info) => {
    files += 1;
    if (field !== "file") {
      tooManyFiles ||= files > 1;
      stream.resume();
      return;
    }
    name = info.filename;
    stream.on("limit", () => {
      fileTooLarge = true;
      source.destroy(new BodyTooLarge());
    });
    stream.on("data", (chunk: Buffer) => {
      fileBytes += chunk.byteLength;
      digest.update(chunk);
    });
    // Piped by hand rather than with pipeline(): the writer's "error" must mean the disk failed,
    // not that the body was cut off (a failing body only closes the writer).
    const writer = createWriteStream(file, { flags: "wx" });
    let cutOff = false;
    writer.on("error", (error) => {
      if (cutOff) return;
      writeError ??= error;
      source.destroy(error);
    });
    stream.on("error", () => {
      cutOff = true;
      stream.unpipe(writer);
      writer.destroy();
    });
    stream.pipe(writer);
    writes.push(finished(writer));
  });
  parser.on("filesLimit", () => {
    tooManyFiles = true;
  });

  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bodyBytes += chunk.byteLength;
      if (bodyBytes > options.maxBodyBytes) done(new BodyTooLarge());
      else done(null, chunk);
    },
  });

  const discard = () => fs.rm(file, { force: true });
  try {
    await pipeline(source, counter, parser);
    await Promise.all(writes);
  } catch (error) {
    await Promise.allSettled(writes);
    await discard();
    if (writeError) throw writeError;
    return { ok: false, reason: error instanceof BodyTooLarge || fileTooLarge ? "too_large" : "bad_request", bodyBytes };
  }
  // The limit can be passed in the body's last chunk, after the source has ended and can no longer fail.
  const reason = fileTooLarge ? "too_large" : tooManyFiles ? "too_many_files" : writes.length === 0 ? "no_file" : null;
  if (reason) {
    await discard();
    return { ok: false, reason, bodyBytes };
  }
  return { ok: true, file, name, fileBytes, bodyBytes, sha256: digest.digest("hex") };
}
