import { inflateRawSync } from "node:zlib";

/**
 * A minimal zip reader for tests: the central directory, then each entry through its local header,
 * with the CRC checked by its own table (independent of the writer's zlib.crc32), so a round trip
 * through lib/server/zip.ts proves something. Stored and deflated entries only; no ZIP64.
 */

export interface UnzippedEntry {
  name: string;
  method: number;
  /** The general-purpose flags; bit 11 means the name is UTF-8. */
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  dosTime: number;
  dosDate: number;
  /** From the extended timestamp field, when present. */
  modifiedAt: Date | null;
  externalAttributes: number;
  data: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32Reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The end record is 22 bytes plus a comment of up to 65,535 bytes, so it starts within that distance of the end.
  const earliest = Math.max(0, zip.byteLength - 22 - 0xffff);
  for (let at = zip.byteLength - 22; at >= earliest; at -= 1) {
    if (zip.readUInt32LE(at) === 0x06054b50) return at;
  }
  throw new Error("Not a zip: no end of central directory record.");
}

function readModifiedAt(extra: Buffer): Date | null {
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const tag = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (tag === 0x5455 && size >= 5 && (extra.readUInt8(at + 4) & 1) === 1) return new Date(extra.readUInt32LE(at + 5) * 1000);
    at += 4 + size;
  }
  return null;
}

export function readZip(bytes: Uint8Array): UnzippedEntry[] {
  const zip = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  const directoryOffset = zip.readUInt32LE(end + 16);
  if (directoryOffset + directorySize !== end) throw new Error("Central directory does not end where the end record starts.");

  const entries: UnzippedEntry[] = [];
  let at = directoryOffset;
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`Bad central directory header at ${at}.`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const dosTime = zip.readUInt16LE(at + 12);
    const dosDate = zip.readUInt16LE(at + 14);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const externalAttributes = zip.readUInt32LE(at + 38);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString(flags & (1 << 11) ? "utf8" : "latin1", at + 46, at + 46 + nameLength);
    const extra = zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    at += 46 + nameLength + extraLength + commentLength;

    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`Bad local header for ${name}.`);
    if (zip.readUInt32LE(localOffset + 14) !== crc || zip.readUInt32LE(localOffset + 18) !== compressedSize) {
      throw new Error(`Local header of ${name} disagrees with the central directory.`);
    }
    const localName = zip.toString("utf8", localOffset + 30, localOffset + 30 + zip.readUInt16LE(localOffset + 26));
    if (localName !== name) throw new Error(`Local header names ${localName}, central directory ${name}.`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const stored = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(stored);
    else if (method === 8) data = inflateRawSync(stored);
    else throw new Error(`Unsupported compression method ${method} for ${name}.`);
    if (data.byteLength !== size) throw new Error(`${name}: ${data.byteLength} bytes, the directory says ${size}.`);
    if (crc32Reference(data) !== crc) throw new Error(`${name}: CRC mismatch.`);

    entries.push({
      name,
      method,
      flags,
      crc,
      compressedSize,
      size,
      dosTime,
      dosDate,
      modifiedAt: readModifiedAt(extra),
      externalAttributes,
      data,
    });
  }
  return entries;
}

/** Entries by name, for assertions. */
export function readZipFiles(bytes: Uint8Array): Map<string, Buffer> {
  return new Map(readZip(bytes).map((entry) => [entry.name, entry.data]));
}
