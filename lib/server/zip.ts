import "server-only";

import { PassThrough, type Readable } from "node:stream";
import { ZipFile } from "yazl";

/**
 * Zip archives as byte streams, written by yazl. This adapter adds what the export relies on and
 * yazl leaves to its caller:
 * - entries are pulled from their source only when the reader wants more bytes, and an entry's
 *   bytes are released once yazl has written them, so a session streams one image at a time;
 * - names that would extract outside the target directory, or onto each other on a
 *   case-insensitive file system, are refused;
 * - an archive that would need ZIP64 is refused with a ZipLimitError. yazl would switch to ZIP64
 *   silently, and the macOS Archive Utility cannot open ZIP64; exports are far below 4 GB.
 */

export type ZipMethod = "deflate" | "store";

export interface ZipEntry {
  /** Forward slashes, relative, no `.`/`..` segments; any Unicode (written as UTF-8 with the flag set). */
  name: string;
  /** Strings are encoded as UTF-8. */
  data: Uint8Array | string;
  /** Defaults to the time the stream was created. */
  modifiedAt?: Date;
  /** "store" for data that is already compressed (JPEG, PNG, WebP): deflating it costs time and saves nothing. */
  method?: ZipMethod;
}

export type ZipLimitReason = "archive_too_large" | "too_many_entries";

export class ZipLimitError extends Error {
  constructor(
    readonly reason: ZipLimitReason,
    message: string,
  ) {
    super(message);
    this.name = "ZipLimitError";
  }
}

/** A name or entry the format cannot hold as asked; a caller bug, not a runtime condition. */
export class ZipEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipEntryError";
  }
}

export interface ZipStreamOptions {
  /** Largest archive allowed, in bytes; tests lower it to exercise the refusal without writing gigabytes. */
  maxBytes?: number;
  /** Most entries allowed; tests lower it (yazl's time per entry grows with the entries before it). */
  maxEntries?: number;
  /** Default modification time for entries that give none. */
  now?: Date;
}

/** 0xFFFFFFFF in a size or offset field means "look in the ZIP64 record", so the last usable value is one less. */
export const ZIP_MAX_BYTES = 0xffff_fffe;
/** Likewise 0xFFFF in the entry counts. */
export const ZIP_MAX_ENTRIES = 0xfffe;
/** What yazl writes around a streamed entry: local header and data descriptor; its central record carries a 9-byte timestamp field. */
const LOCAL_OVERHEAD = 30 + 16;
const CENTRAL_OVERHEAD = 46 + 9;
const END_RECORD = 22;
/** A regular file, rw-r--r--. */
const FILE_MODE = 0o100644;
/** yazl's largest single buffer, well above any image the studio stores. */
const MAX_ENTRY_BYTES = 0x3fff_ffff;

/** zlib's deflateBound for the default window and memory level: the most a deflated entry can grow to. */
function deflateBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + Math.floor(size / 33554432) + 13;
}

function checkName(name: string): Buffer {
  const segments = name.split("/");
  if (name.includes("\\") || name.includes("\0") || segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    // Extractors resolve these against the target directory; refusing them keeps every entry inside it.
    throw new ZipEntryError(`Not a safe name for a zip entry: ${JSON.stringify(name)}`);
  }
  const bytes = Buffer.from(name, "utf8");
  if (bytes.byteLength > 0xffff) throw new ZipEntryError("A zip entry name is longer than 65,535 bytes.");
  return bytes;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(0)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${bytes} bytes`;
}

/**
 * The archive as a byte stream, pulling one entry at a time from `entries` only when the reader
 * wants more, so a slow client never makes the server hold the whole session in memory. An error
 * from `entries` or a refused entry errors the stream (after closing the source); cancelling it
 * stops the iteration.
 */
export function createZipStream(
  entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>,
  options: ZipStreamOptions = {},
): ReadableStream<Uint8Array> {
  const maxBytes = Math.min(options.maxBytes ?? ZIP_MAX_BYTES, ZIP_MAX_BYTES);
  const maxEntries = Math.min(options.maxEntries ?? ZIP_MAX_ENTRIES, ZIP_MAX_ENTRIES);
  const now = options.now ?? new Date();
  const iterator: Iterator<ZipEntry> | AsyncIterator<ZipEntry> =
    Symbol.asyncIterator in entries ? entries[Symbol.asyncIterator]() : entries[Symbol.iterator]();
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  const names = new Set<string>();
  /** The archive's size if it ended after the entries added so far (deflated data at its worst case). */
  let projectedSize = END_RECORD;
  let entryCount = 0;
  let sourceDone = false;
  /** True from adding an entry until yazl has read all of its bytes. */
  let entryPending = false;
  let failure: unknown = null;
  /** yazl's output, a chunk at a time: reading the stream whole would copy each image into one buffer. */
  const chunks: Buffer[] = [];
  let outputEnded = false;

  let wake: (() => void) | null = null;
  const signal = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const fail = (error: unknown) => {
    failure ??= error;
    signal();
  };
  // Paused before the data listener is attached, so it flows only when a reader asks (resume below).
  output.pause();
  output.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    output.pause();
    signal();
  });
  output.on("end", () => {
    outputEnded = true;
    signal();
  });
  output.on("error", fail);
  // yazl reports stream failures as events; without a listener they would crash the process.
  zip.on("error", fail);

  function add(entry: ZipEntry): void {
    const name = checkName(entry.name);
    // Lower-cased: case-insensitive file systems would overwrite one file with the other on extraction.
    const key = entry.name.toLowerCase();
    if (names.has(key)) throw new ZipEntryError(`Two zip entries are named ${JSON.stringify(entry.name)}.`);
    if (entryCount >= maxEntries) {
      throw new ZipLimitError("too_many_entries", `A zip without ZIP64 holds at most ${maxEntries} files.`);
    }
    const bytes = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const method = entry.method ?? "deflate";
    // Counting the central record and the end record now means an archive that cannot be finished
    // is refused before its first oversized byte is sent.
    const size = LOCAL_OVERHEAD + CENTRAL_OVERHEAD + 2 * name.byteLength + (method === "store" ? bytes.byteLength : deflateBound(bytes.byteLength));
    if (bytes.byteLength > MAX_ENTRY_BYTES || projectedSize + size > maxBytes) {
      throw new ZipLimitError(
        "archive_too_large",
        `The zip would be larger than ${formatBytes(maxBytes)}, the most a zip without ZIP64 can hold.`,
      );
    }
    names.add(key);
    entryCount += 1;
    projectedSize += size;
    entryPending = true;

    const modifiedAt = entry.modifiedAt && !Number.isNaN(entry.modifiedAt.getTime()) ? entry.modifiedAt : now;
    let data: Buffer | null = bytes;
    const options = { mtime: modifiedAt, mode: FILE_MODE, compress: method === "deflate", size: bytes.byteLength };
    // yazl calls this when the entries before it are written and keeps it until the archive ends;
    // handing the bytes over and dropping them here lets them go as soon as they are written.
    zip.addReadStreamLazy(entry.name, options, (callback) => {
      const stream = new PassThrough();
      stream.once("end", () => {
        entryPending = false;
        signal();
      });
      stream.end(data);
      data = null;
      callback(null, stream);
    });
  }

  async function closeSource(): Promise<void> {
    await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (failure) {
            await closeSource();
            throw failure;
          }
          const chunk = chunks.shift();
          if (chunk) {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            return;
          }
          if (outputEnded) {
            controller.close();
            return;
          }
          // Everything written so far has been read: time for the next entry.
          if (!sourceDone && !entryPending && output.readableLength === 0) {
            try {
              const next = await iterator.next();
              if (next.done) {
                sourceDone = true;
                zip.end();
              } else add(next.value);
            } catch (error) {
              // A refused entry: let the source release what it holds (open files, handles).
              await closeSource();
              output.destroy();
              throw error;
            }
            continue;
          }
          output.resume();
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
      async cancel() {
        output.destroy();
        await iterator.return?.();
      },
    },
    // No read-ahead: a queue would only hold more of the archive in memory.
    { highWaterMark: 0 },
  );
}
