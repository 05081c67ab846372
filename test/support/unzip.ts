import { crc32 } from "node:zlib";
import { fromBufferPromise } from "yauzl";

/**
 * Reads a zip for tests with yauzl, a reader independent of the writer (yazl), so a round trip
 * proves something. yauzl leaves CRC-32 checking to its caller; it is checked here with zlib's,
 * not the buffer-crc32 yazl computes it with. Local headers must name the same file as the
 * central directory.
 */

export interface UnzippedEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** The general-purpose flags; bit 11 means the name is UTF-8. */
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  dosTime: number;
  dosDate: number;
  /** yauzl's reading: the extended timestamp field when present, else the DOS fields in local time. */
  modifiedAt: Date;
  externalAttributes: number;
  data: Buffer;
}

export async function readZip(bytes: Uint8Array): Promise<UnzippedEntry[]> {
  const zip = await fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { strictFileNames: true });
  const entries: UnzippedEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const local = await zip.readLocalFileHeaderPromise(entry);
    if (!local.fileName.equals(entry.fileNameRaw)) throw new Error(`Local header of ${entry.fileName} names ${local.fileName.toString("utf8")}.`);
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    if (crc32(data) >>> 0 !== entry.crc32) throw new Error(`${entry.fileName}: CRC mismatch.`);
    entries.push({
      name: entry.fileName,
      method: entry.compressionMethod,
      flags: entry.generalPurposeBitFlag,
      crc: entry.crc32,
      compressedSize: entry.compressedSize,
      size: entry.uncompressedSize,
      dosTime: entry.lastModFileTime,
      dosDate: entry.lastModFileDate,
      modifiedAt: entry.getLastModDate(),
      externalAttributes: entry.externalFileAttributes,
      data,
    });
  }
  return entries;
}

/** Entries by name, for assertions. */
export async function readZipFiles(bytes: Uint8Array): Promise<Map<string, Buffer>> {
  return new Map((await readZip(bytes)).map((entry) => [entry.name, entry.data]));
}
