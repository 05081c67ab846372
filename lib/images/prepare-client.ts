import {
  KEEP_PNG_MAX_BYTES,
  MAX_PIXELS,
  PASS_THROUGH_MAX_BYTES,
  TARGET_LONG_EDGE,
  TARGET_QUALITY,
} from "./limits";
import { sniffImageType, type ImageMimeType } from "./sniff";

// Browser-side preparation of a reference image before upload: downscale to what the model can use
// and re-encode, so a 12 MP phone photo travels as ~2 MB instead of ~8 MB. The pure helpers (header
// parsing, size math, the decision) are exported for tests; `prepareReferenceImage` needs a browser.

export interface PreparedImage {
  blob: Blob;
  /** The type the bytes really are (sniffed), or the browser's guess when unknown. */
  mimeType: string;
  /** As displayed; null when the browser could not read the size (the server will say why). */
  width: number | null;
  height: number | null;
  originalBytes: number;
  preparedBytes: number;
  /** The pixels were re-encoded (and possibly downscaled) in the browser. */
  reencoded: boolean;
}

export interface ImageHeader {
  mimeType: ImageMimeType | null;
  /** As stored in the file, before EXIF orientation. */
  width: number | null;
  height: number | null;
  /** EXIF orientation 1..8 (JPEG only; 1 when absent). */
  orientation: number;
}

/** Scales `width` x `height` down (never up) so the long edge is at most `longEdge`. */
export function fitWithin(width: number, height: number, longEdge: number = TARGET_LONG_EDGE): { width: number; height: number } {
  const scale = Math.min(1, longEdge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** EXIF orientations 5-8 turn the image a quarter, so the displayed size is the stored size swapped. */
export function orientedSize(width: number, height: number, orientation: number): { width: number; height: number } {
  return orientation >= 5 && orientation <= 8 ? { width: height, height: width } : { width, height };
}

function u16be(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}
function u32be(bytes: Uint8Array, at: number): number {
  return u16be(bytes, at) * 0x10000 + u16be(bytes, at + 2);
}
function u16le(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}
function u24le(bytes: Uint8Array, at: number): number {
  return u16le(bytes, at) | ((bytes[at + 2] ?? 0) << 16);
}

/** Reads the orientation tag from an APP1 Exif segment's TIFF block, or 1. */
function exifOrientation(bytes: Uint8Array, start: number, end: number): number {
  const tiff = start + 6; // after "Exif\0\0"
  if (tiff + 8 > end) return 1;
  const littleEndian = bytes[tiff] === 0x49;
  const read16 = (at: number) => (littleEndian ? u16le(bytes, at) : u16be(bytes, at));
  const read32 = (at: number) => (littleEndian ? u16le(bytes, at) + u16le(bytes, at + 2) * 0x10000 : u32be(bytes, at));
  const ifd = tiff + read32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const entries = read16(ifd);
  for (let index = 0; index < entries; index += 1) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > end) break;
    if (read16(entry) === 0x0112) {
      const value = read16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

function readJpeg(bytes: Uint8Array): Pick<ImageHeader, "width" | "height" | "orientation"> {
  let orientation = 1;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = u16be(bytes, at + 2);
    if (length < 2) break;
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      return { height: u16be(bytes, at + 5), width: u16be(bytes, at + 7), orientation };
    }
    if (marker === 0xe1 && String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === "Exif") {
      orientation = exifOrientation(bytes, at + 4, Math.min(bytes.length, at + 2 + length));
    }
    if (marker === 0xda) break; // image data starts; no frame header before it
    at += 2 + length;
  }
  return { width: null, height: null, orientation };
}

function readWebp(bytes: Uint8Array): Pick<ImageHeader, "width" | "height"> {
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === "VP8X" && bytes.length >= 30) return { width: 1 + u24le(bytes, 24), height: 1 + u24le(bytes, 27) };
  if (chunk === "VP8 " && bytes.length >= 30) return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
  if (chunk === "VP8L" && bytes.length >= 25) {
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bytes.subarray(21, 25);
    return { width: 1 + (((b1 & 0x3f) << 8) | b0), height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)) };
  }
  return { width: null, height: null };
}

/**
 * Type and stored size from the first bytes of a file, without decoding it: the tab must not try
 * to decode a decompression bomb, and the decision to downscale needs the size first.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const mimeType = sniffImageType(bytes);
  const unknown = { width: null, height: null, orientation: 1 };
  switch (mimeType) {
    case "image/png":
      return bytes.length >= 24 ? { mimeType, width: u32be(bytes, 16), height: u32be(bytes, 20), orientation: 1 } : { mimeType, ...unknown };
    case "image/jpeg":
      return { mimeType, ...readJpeg(bytes) };
    case "image/webp":
      return { mimeType, ...readWebp(bytes), orientation: 1 };
    default:
      return { mimeType, ...unknown };
  }
}

export type PreparationPlan =
  /** Upload untouched; the server checks it and explains any refusal (unknown type, HEIC, bomb, damage). */
  | { kind: "as-is"; reason: "not-decodable-here" | "unknown-size" | "too-many-pixels" }
  /** Small enough and of an accepted type: re-encoding would only lose quality. */
  | { kind: "keep" }
  | { kind: "reencode"; target: { width: number; height: number }; reason: "long-edge" | "bytes" | "orientation" };

export function planPreparation(header: ImageHeader, byteLength: number): PreparationPlan {
  const { mimeType, width, height, orientation } = header;
  // HEIC/HEIF pass through: most browsers cannot decode them, and Gemini takes them as they are.
  if (mimeType !== "image/png" && mimeType !== "image/jpeg" && mimeType !== "image/webp") {
    return { kind: "as-is", reason: "not-decodable-here" };
  }
  if (!width || !height) return { kind: "as-is", reason: "unknown-size" };
  if (width * height > MAX_PIXELS) return { kind: "as-is", reason: "too-many-pixels" };
  const displayed = orientedSize(width, height, orientation);
  const target = fitWithin(displayed.width, displayed.height);
  if (Math.max(width, height) > TARGET_LONG_EDGE) return { kind: "reencode", target, reason: "long-edge" };
  if (byteLength > PASS_THROUGH_MAX_BYTES) return { kind: "reencode", target, reason: "bytes" };
  // Not every consumer applies EXIF rotation; pixels drawn upright are the same everywhere.
  if (orientation !== 1) return { kind: "reencode", target, reason: "orientation" };
  return { kind: "keep" };
}

export interface Surface {
  context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  encode(type: string, quality?: number): Promise<Blob>;
}

/** A 2D canvas to draw on and encode: an OffscreenCanvas where the browser has one. */
export function createSurface(width: number, height: number): Surface {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    if (context) return { context, encode: (type, quality) => canvas.convertToBlob({ type, quality }) };
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot draw images on a canvas.");
  return {
    context,
    encode: (type, quality) =>
      new Promise((resolve, reject) =>
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("Could not encode the image."))), type, quality),
      ),
  };
}

function hasTransparency(context: Surface["context"], width: number, height: number): boolean {
  const pixels = context.getImageData(0, 0, width, height).data;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) {
    if ((pixels[alpha] ?? 255) < 255) return true;
  }
  return false;
}

/** Encodes the surface: JPEG when opaque; PNG, else WebP, when it has transparency Gemini should see. */
async function encodeSurface(surface: Surface, bitmap: ImageBitmap, mayHaveAlpha: boolean): Promise<Blob> {
  const { width, height } = bitmap;
  surface.context.drawImage(bitmap, 0, 0);
  if (mayHaveAlpha && hasTransparency(surface.context, width, height)) {
    const png = await surface.encode("image/png");
    if (png.size <= KEEP_PNG_MAX_BYTES) return png;
    const webp = await surface.encode("image/webp", TARGET_QUALITY);
    // Browsers without a WebP encoder silently hand back PNG.
    if (webp.type === "image/webp") return webp;
    surface.context.globalCompositeOperation = "destination-over";
    surface.context.fillStyle = "#ffffff";
    surface.context.fillRect(0, 0, width, height);
  }
  return surface.encode("image/jpeg", TARGET_QUALITY);
}

/** Enough of the file for PNG/WebP headers and for JPEG frame headers behind large EXIF/ICC segments. */
const HEADER_BYTES = 1024 * 1024;

/**
 * Prepares a picked, dropped or pasted file for upload. Never throws for a bad file: anything it
 * cannot read goes up untouched so the server can name the problem.
 */
export async function prepareReferenceImage(file: Blob): Promise<PreparedImage> {
  const header = readImageHeader(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
  const displayed = header.width && header.height ? orientedSize(header.width, header.height, header.orientation) : null;
  const untouched: PreparedImage = {
    blob: file,
    mimeType: header.mimeType ?? file.type,
    width: displayed?.width ?? null,
    height: displayed?.height ?? null,
    originalBytes: file.size,
    preparedBytes: file.size,
    reencoded: false,
  };
  const plan = planPreparation(header, file.size);
  if (plan.kind !== "reencode") return untouched;

  let source: ImageBitmap;
  try {
    // Decoding applies EXIF orientation ("from-image" is the default), so the pixels come out upright.
    source = await createImageBitmap(file);
  } catch {
    return untouched;
  }
  try {
    const target = fitWithin(source.width, source.height);
    const bitmap =
      target.width === source.width && target.height === source.height
        ? source
        : await createImageBitmap(source, { resizeWidth: target.width, resizeHeight: target.height, resizeQuality: "high" });
    try {
      const blob = await encodeSurface(createSurface(target.width, target.height), bitmap, header.mimeType !== "image/jpeg");
      // A small image re-encoded only for its byte size may not get smaller; then the original wins.
      if (plan.reason === "bytes" && blob.size >= file.size) return untouched;
      return {
        blob,
        mimeType: blob.type,
        width: target.width,
        height: target.height,
        originalBytes: file.size,
        preparedBytes: blob.size,
        reencoded: true,
      };
    } finally {
      if (bitmap !== source) bitmap.close();
    }
  } catch {
    return untouched;
  } finally {
    source.close();
  }
}
