import "server-only";

import { crc32, deflateRawSync } from "node:zlib";

/**
 * A small ZIP writer (PKWARE APPNOTE 6.3): local file headers, then the central directory. No
 * dependency beyond node:zlib, and no ZIP64: exports are a session's images, far below 4 GB, and
 * a plain zip opens everywhere (Finder, Explorer, unzip, Python). Anything that would need ZIP64
 * is refused with a ZipLimitError instead of writing an archive readers would misread.
 *
 * Each entry is compressed whole before its local header is written, so sizes and CRC go in the
 * header and no data descriptors are needed; entries are still produced one at a time
 * (`createZipStream`), so only the entry being written is held in memory.
 */

export type ZipMethod = "deflate" | "store";

export interface ZipEntry {
  /** Forward slashes, relative, no `.`/`..` segments; any Unicode (written as UTF-8 with the flag set). */
  name: string;
  /** Strings are encoded as UTF-8. */
  data: Uint8Array | string;
  /** Defaults to the time the writer was created. */
  modifiedAt?: Date;
  /**
   * "store" for data that is already compressed (JPEG, PNG, WebP): deflating it costs time and
   * saves nothing. Defaults to "deflate"; a deflated entry that is not smaller is stored instead.
   */
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

export interface ZipWriterOptions {
  /**
   * Largest archive allowed, in bytes. The real ceiling is the 32-bit size and offset fields;
   * tests lower it to exercise the refusal without writing gigabytes.
   */
  maxBytes?: number;
  /** Default modification time for entries that give none. */
  now?: Date;
}

/** 0xFFFFFFFF itself is the "look in the ZIP64 record" marker, so the last usable value is one less. */
export const ZIP_MAX_BYTES = 0xffff_fffe;
/** Likewise 0xFFFF in the entry counts means ZIP64. */
const MAX_ENTRIES = 0xfffe;

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const FLAG_UTF8_NAMES = 1 << 11;
const METHOD_CODES: Record<ZipMethod, number> = { store: 0, deflate: 8 };
/** 1.0 is enough to extract a stored entry, 2.0 is needed for deflate. */
const VERSION_NEEDED: Record<ZipMethod, number> = { store: 10, deflate: 20 };
/** Upper byte 3 = Unix, so readers apply the permission bits in the external attributes. */
const VERSION_MADE_BY = (3 << 8) | 20;
/** A regular file, rw-r--r--: without it some unzip builds extract files with no permissions. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const EXTENDED_TIMESTAMP_TAG = 0x5455;

const encoder = new TextEncoder();

interface CentralRecord {
  name: Uint8Array;
  method: ZipMethod;
  dosTime: number;
  dosDate: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  unixSeconds: number | null;
}

/**
 * DOS date and time, which is what every reader shows: local wall-clock time (the format has no
 * zone), 2-second resolution, years 1980-2107. The exact UTC time goes in the extended
 * timestamp field beside it, which unzip and 7-Zip prefer.
 */
export function toDosDateTime(at: Date): { date: number; time: number } {
  const year = at.getFullYear();
  if (Number.isNaN(year) || year < 1980) return { date: (0 << 9) | (1 << 5) | 1, time: 0 };
  if (year > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((year - 1980) << 9) | ((at.getMonth() + 1) << 5) | at.getDate(),
    time: (at.getHours() << 11) | (at.getMinutes() << 5) | Math.floor(at.getSeconds() / 2),
  };
}

function validateName(name: string): Uint8Array {
  const segments = name.split("/");
  if (
    name === "" ||
    name.startsWith("/") ||
    name.endsWith("/") ||
    name.includes("\\") ||
    name.includes("\0") ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..")
  ) {
    // Extractors resolve these against the target directory; refusing them keeps every entry inside it.
    throw new ZipEntryError(`Not a safe name for a zip entry: ${JSON.stringify(name)}`);
  }
  const bytes = encoder.encode(name);
  if (bytes.byteLength > 0xffff) throw new ZipEntryError("A zip entry name is longer than 65,535 bytes.");
  return bytes;
}

/** Unix seconds for the extended timestamp field, or null when it would not fit its signed 32 bits. */
function unixSecondsOf(at: Date): number | null {
  const seconds = Math.floor(at.getTime() / 1000);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 0x7fff_ffff ? seconds : null;
}

function extendedTimestamp(unixSeconds: number | null): Uint8Array {
  if (unixSeconds === null) return new Uint8Array(0);
  const field = new Uint8Array(9);
  const view = new DataView(field.buffer);
  view.setUint16(0, EXTENDED_TIMESTAMP_TAG, true);
  view.setUint16(2, 5, true);
  // Flags: bit 0 = modification time present. The central copy carries the same 5 bytes.
  view.setUint8(4, 1);
  view.setUint32(5, unixSeconds, true);
  return field;
}

/**
 * Writes entries in order and returns the bytes to emit for each; `finish` returns the central
 * directory. The caller concatenates (or streams) the chunks as returned.
 */
export class ZipWriter {
  private readonly records: CentralRecord[] = [];
  private readonly names = new Set<string>();
  private readonly maxBytes: number;
  private readonly now: Date;
  private offset = 0;
  /** Kept as entries are added: summing the records on every add would make big archives quadratic. */
  private centralSize = 0;
  private finished = false;

  constructor(options: ZipWriterOptions = {}) {
    this.maxBytes = Math.min(options.maxBytes ?? ZIP_MAX_BYTES, ZIP_MAX_BYTES);
    this.now = options.now ?? new Date();
  }

  /** Bytes written so far. */
  get size(): number {
    return this.offset;
  }

  /** The local header and the (compressed) data of one entry, as separate chunks so large data is not copied. */
  add(entry: ZipEntry): Uint8Array[] {
    if (this.finished) throw new ZipEntryError("The zip is already finished.");
    const name = validateName(entry.name);
    // Lower-cased: case-insensitive file systems would overwrite one file with the other on extraction.
    const key = entry.name.toLowerCase();
    if (this.names.has(key)) throw new ZipEntryError(`Two zip entries are named ${JSON.stringify(entry.name)}.`);
    if (this.records.length >= MAX_ENTRIES) {
      throw new ZipLimitError("too_many_entries", `A zip without ZIP64 holds at most ${MAX_ENTRIES} files.`);
    }

    const raw = typeof entry.data === "string" ? encoder.encode(entry.data) : entry.data;
    let method = entry.method ?? "deflate";
    let data = raw;
    if (method === "deflate") {
      const deflated = deflateRawSync(raw);
      if (deflated.byteLength < raw.byteLength) data = deflated;
      else method = "store";
    }

    const modifiedAt = entry.modifiedAt ?? this.now;
    const { date: dosDate, time: dosTime } = toDosDateTime(modifiedAt);
    const unixSeconds = unixSecondsOf(modifiedAt);
    const extra = extendedTimestamp(unixSeconds);
    const headerSize = 30 + name.byteLength + extra.byteLength;
    // The central directory record and the end record follow later; counting them now means an
    // archive that cannot be finished is refused before its first oversized byte is sent.
    const recordSize = 46 + name.byteLength + extra.byteLength;
    if (raw.byteLength > this.maxBytes || this.offset + headerSize + data.byteLength + this.centralSize + recordSize + 22 > this.maxBytes) {
      throw new ZipLimitError(
        "archive_too_large",
        `The zip would be larger than ${formatBytes(this.maxBytes)}, the most a zip without ZIP64 can hold.`,
      );
    }

    const record: CentralRecord = {
      name,
      method,
      dosTime,
      dosDate,
      crc: crc32(raw) >>> 0,
      compressedSize: data.byteLength,
      size: raw.byteLength,
      offset: this.offset,
      unixSeconds,
    };

    const header = new Uint8Array(headerSize);
    const view = new DataView(header.buffer);
    view.setUint32(0, LOCAL_HEADER_SIGNATURE, true);
    view.setUint16(4, VERSION_NEEDED[method], true);
    view.setUint16(6, FLAG_UTF8_NAMES, true);
    view.setUint16(8, METHOD_CODES[method], true);
    view.setUint16(10, dosTime, true);
    view.setUint16(12, dosDate, true);
    view.setUint32(14, record.crc, true);
    view.setUint32(18, record.compressedSize, true);
    view.setUint32(22, record.size, true);
    view.setUint16(26, name.byteLength, true);
    view.setUint16(28, extra.byteLength, true);
    header.set(name, 30);
    header.set(extra, 30 + name.byteLength);

    this.records.push(record);
    this.names.add(key);
    this.centralSize += recordSize;
    this.offset += header.byteLength + data.byteLength;
    return data.byteLength > 0 ? [header, data] : [header];
  }

  /** The central directory and end record. No entries may be added afterwards. */
  finish(): Uint8Array {
    if (this.finished) throw new ZipEntryError("The zip is already finished.");
    this.finished = true;
    const centralSize = this.centralSize;
    const out = new Uint8Array(centralSize + 22);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const record of this.records) {
      const extra = extendedTimestamp(record.unixSeconds);
      view.setUint32(at, CENTRAL_HEADER_SIGNATURE, true);
      view.setUint16(at + 4, VERSION_MADE_BY, true);
      view.setUint16(at + 6, VERSION_NEEDED[record.method], true);
      view.setUint16(at + 8, FLAG_UTF8_NAMES, true);
      view.setUint16(at + 10, METHOD_CODES[record.method], true);
      view.setUint16(at + 12, record.dosTime, true);
      view.setUint16(at + 14, record.dosDate, true);
      view.setUint32(at + 16, record.crc, true);
      view.setUint32(at + 20, record.compressedSize, true);
      view.setUint32(at + 24, record.size, true);
      view.setUint16(at + 28, record.name.byteLength, true);
      view.setUint16(at + 30, extra.byteLength, true);
      // Comment length, disk number start and internal attributes stay 0.
      view.setUint32(at + 38, UNIX_FILE_ATTRIBUTES, true);
      view.setUint32(at + 42, record.offset, true);
      out.set(record.name, at + 46);
      out.set(extra, at + 46 + record.name.byteLength);
      at += 46 + record.name.byteLength + extra.byteLength;
    }
    view.setUint32(at, END_OF_CENTRAL_DIRECTORY_SIGNATURE, true);
    // This disk and the disk holding the directory are both 0: one-part archive.
    view.setUint16(at + 8, this.records.length, true);
    view.setUint16(at + 10, this.records.length, true);
    view.setUint32(at + 12, centralSize, true);
    view.setUint32(at + 16, this.offset, true);
    this.offset += out.byteLength;
    return out;
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(0)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${bytes} bytes`;
}

/** A whole archive in memory; for small archives and tests. */
export function buildZip(entries: Iterable<ZipEntry>, options?: ZipWriterOptions): Uint8Array {
  const writer = new ZipWriter(options);
  const chunks: Uint8Array[] = [];
  for (const entry of entries) chunks.push(...writer.add(entry));
  chunks.push(writer.finish());
  const out = new Uint8Array(writer.size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * The archive as a byte stream, pulling one entry at a time from `entries` only when the reader
 * wants more, so a slow client never makes the server hold the whole session in memory. An error
 * from `entries` or the writer errors the stream; cancelling it stops the iteration.
 */
export function createZipStream(
  entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>,
  options?: ZipWriterOptions,
): ReadableStream<Uint8Array> {
  const writer = new ZipWriter(options);
  const iterator: Iterator<ZipEntry> | AsyncIterator<ZipEntry> =
    Symbol.asyncIterator in entries ? entries[Symbol.asyncIterator]() : entries[Symbol.iterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunks: Uint8Array[];
        try {
          const next = await iterator.next();
          if (next.done) {
            controller.enqueue(writer.finish());
            controller.close();
            return;
          }
          chunks = writer.add(next.value);
        } catch (error) {
          // The writer refused an entry: let the source release what it holds (open files, handles).
          await Promise.resolve(iterator.return?.()).catch(() => undefined);
          throw error;
        }
        for (const chunk of chunks) controller.enqueue(chunk);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    // One entry per pull is enough read-ahead; a bigger queue would only hold more images in memory.
    { highWaterMark: 0 },
  );
}
