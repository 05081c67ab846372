import zlib from "node:zlib";
import sharp from "sharp";

// Hostile and unusual image files for unit and end-to-end tests, built in code so the repository
// carries no binary fixtures. Node-only; nothing in the app imports this.

/** A photo-like image (noise does not compress, so byte sizes are realistic). */
export function noisyImage(width: number, height: number, format: "png" | "jpeg" | "webp", quality = 90): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 50 } } })
    .toFormat(format, { quality })
    .toBuffer();
}

export function solidImage(
  width: number,
  height: number,
  format: "png" | "jpeg" | "webp" | "gif",
  background = "#f5c518",
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } }).toFormat(format).toBuffer();
}

export function truncate(bytes: Uint8Array, keep = 0.6): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.byteLength * keep)));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A valid-looking PNG of a few hundred bytes whose header claims `width` x `height` RGB pixels. */
export function pngClaimingSize(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", zlib.deflateSync(Buffer.alloc(4096))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

const u16 = (value: number) => {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
};
const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const box = (type: string, ...payload: Buffer[]) => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, "latin1"), body]);
};
const fullBox = (type: string, version: number, ...payload: Buffer[]) => box(type, Buffer.from([version, 0, 0, 0]), ...payload);

/**
 * A structurally valid HEIC container (ftyp, meta with one `hvc1` item, ispe, mdat) whose HEVC
 * payload is a stub. libheif reads its header and size; decoding its pixels needs an HEVC decoder
 * and fails, which is exactly what sharp's prebuilt binaries do with a real iPhone photo. No HEVC
 * encoder is available to build a real one in tests.
 */
export function heicContainer(width: number, height: number, brand = "heic"): Buffer {
  const ftyp = box("ftyp", Buffer.from(brand, "latin1"), u32(0), Buffer.from("mif1heic", "latin1"));
  const hdlr = fullBox("hdlr", 0, u32(0), Buffer.from("pict", "latin1"), Buffer.alloc(12), Buffer.from([0]));
  const pitm = fullBox("pitm", 0, u16(1));
  const infe = fullBox("infe", 2, u16(1), u16(0), Buffer.from("hvc1", "latin1"), Buffer.from([0]));
  const iinf = fullBox("iinf", 0, u16(1), infe);
  // HEVCDecoderConfigurationRecord: Main profile, level 3, 4:2:0, 8-bit, no parameter-set arrays.
  const hvcC = box("hvcC", Buffer.from([1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 90, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0]));
  const ispe = fullBox("ispe", 0, u32(width), u32(height));
  const ipma = fullBox("ipma", 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x02]));
  const iprp = box("iprp", box("ipco", hvcC, ispe), ipma);
  const payload = Buffer.from([0, 0, 0, 4, 0x26, 0x01, 0xaf, 0x00]);
  const meta = (offset: number) =>
    fullBox("meta", 0, hdlr, pitm, fullBox("iloc", 0, Buffer.from([0x44, 0x00]), u16(1), u16(1), u16(0), u16(1), u32(offset), u32(payload.length)), iinf, iprp);
  // The item's offset points past ftyp, meta and the mdat header; meta's length does not depend on it.
  const offset = ftyp.length + meta(0).length + 8;
  return Buffer.concat([ftyp, meta(offset), box("mdat", payload)]);
}

export const SVG_DRAWING = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#f5c518"/></svg>\n',
);
