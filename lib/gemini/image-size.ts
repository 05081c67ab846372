// Reads pixel sizes from image headers without decoding (no sharp): cheap enough to run on every
// streamed image, and usable in the browser for uploads.

export type SniffedImageType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

export interface ImageInfo {
  mimeType: SniffedImageType;
  width: number;
  height: number;
}

export function sniffImageType(bytes: Uint8Array): SniffedImageType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "image/webp";
  if (ascii(bytes, 0, 4) === "GIF8") return "image/gif";
  return null;
}

/** Width and height from a PNG, JPEG, WebP or GIF header; null when the bytes are not one of these. */
export function readImageInfo(bytes: Uint8Array): ImageInfo | null {
  const mimeType = sniffImageType(bytes);
  let size: { width: number; height: number } | null = null;
  if (mimeType === "image/png") size = readPng(bytes);
  else if (mimeType === "image/jpeg") size = readJpeg(bytes);
  else if (mimeType === "image/webp") size = readWebp(bytes);
  else if (mimeType === "image/gif") size = readGif(bytes);
  if (!mimeType || !size || size.width <= 0 || size.height <= 0) return null;
  return { mimeType, ...size };
}

function readPng(bytes: Uint8Array) {
  // IHDR is required to be the first chunk: length(4) "IHDR"(4) width(4) height(4).
  if (bytes.length < 24 || ascii(bytes, 12, 4) !== "IHDR") return null;
  return { width: u32be(bytes, 16), height: u32be(bytes, 20) };
}

function readJpeg(bytes: Uint8Array) {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = at(bytes, offset + 1);
    // Markers may be preceded by any number of 0xFF fill bytes.
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    // Standalone markers carry no length: TEM, RST0-7, SOI, EOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      offset += 2;
      continue;
    }
    const length = u16be(bytes, offset + 2);
    // SOF0-SOF15 hold the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 9 > bytes.length) return null;
      return { height: u16be(bytes, offset + 5), width: u16be(bytes, offset + 7) };
    }
    if (length < 2) return null;
    offset += 2 + length;
  }
  return null;
}

function readWebp(bytes: Uint8Array) {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8 ") {
    // Lossy: a key frame starts with the 9D 01 2A start code, then 14-bit sizes (2 bits are scaling).
    if (bytes.length < 30 || at(bytes, 23) !== 0x9d || at(bytes, 24) !== 0x01 || at(bytes, 25) !== 0x2a) return null;
    return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
  }
  if (chunk === "VP8L") {
    // Lossless: signature 0x2F, then width-1 and height-1 packed as two 14-bit fields.
    if (bytes.length < 25 || at(bytes, 20) !== 0x2f) return null;
    const bits = u32le(bytes, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X") {
    // Extended (alpha, animation, metadata): canvas width-1 and height-1 as 24-bit little-endian.
    if (bytes.length < 30) return null;
    return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
  }
  return null;
}

function readGif(bytes: Uint8Array) {
  if (bytes.length < 10) return null;
  return { width: u16le(bytes, 6), height: u16le(bytes, 8) };
}

function at(bytes: Uint8Array, index: number): number {
  return bytes[index] ?? 0;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return "";
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function u16be(bytes: Uint8Array, offset: number): number {
  return (at(bytes, offset) << 8) | at(bytes, offset + 1);
}

function u32be(bytes: Uint8Array, offset: number): number {
  return ((at(bytes, offset) << 24) | (at(bytes, offset + 1) << 16) | (at(bytes, offset + 2) << 8) | at(bytes, offset + 3)) >>> 0;
}

function u16le(bytes: Uint8Array, offset: number): number {
  return at(bytes, offset) | (at(bytes, offset + 1) << 8);
}

function u24le(bytes: Uint8Array, offset: number): number {
  return at(bytes, offset) | (at(bytes, offset + 1) << 8) | (at(bytes, offset + 2) << 16);
}

function u32le(bytes: Uint8Array, offset: number): number {
  return (at(bytes, offset) | (at(bytes, offset + 1) << 8) | (at(bytes, offset + 2) << 16) | (at(bytes, offset + 3) << 24)) >>> 0;
}
