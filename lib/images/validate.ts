import "server-only";

import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import sharp, { type Metadata } from "sharp";
import {
  ACCEPTED_TYPES_LABEL,
  MAX_PIXELS,
  MAX_UPLOAD_BYTES,
  formatBytes,
  formatMegapixels,
  isAcceptedMimeType,
  type AcceptedMimeType,
} from "./limits";
import { sniffImageType } from "./sniff";
import type { UploadErrorCode } from "./upload-contract";
import { formatInteger } from "@/lib/format/integer";

export type ImageValidationCode = Extract<
  UploadErrorCode,
  "empty" | "too_large" | "not_an_image" | "unsupported_type" | "truncated" | "too_many_pixels" | "too_much_metadata"
>;

// ---------------------------------------------------------------------------------------------
// Decoding under load

/**
 * Every sharp call runs on libuv's thread pool, which file reads share (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise). Unbounded, 50 uploads at once fill the pool with decodes and
 * /api/health and image GETs queue behind them for seconds; and each decode of a 12 MP photo holds
 * about 40 MB. So decodes take turns: at most DECODE_SLOTS at once, always leaving pool threads for
 * reads, and each decode uses one libvips thread rather than one per core.
 *
 * A decode also keeps a core busy for its whole length (about 0.7 s per 12 MP photo on two cores),
 * so there are fewer decodes than cores: the event loop always has one. On two cores, 200 uploads
 * of 5.8 MB at once (bench upload-storm) with two decode slots left /api/health at p95 229 ms (all
 * stored in 92 s); with one, 107 ms (in 133 s).
 */
const POOL_THREADS = Number(process.env.UV_THREADPOOL_SIZE) || 4;
export const DECODE_SLOTS = Math.max(1, Math.min(2, POOL_THREADS - 2, os.availableParallelism() - 1));
const decodeSlots = pLimit(DECODE_SLOTS);

sharp.concurrency(1);
// libvips caches operations for reuse; an upload is decoded once and a thumbnail is rendered once
// (lib/images/thumbnails.ts keeps it on disk), so the cache only holds memory the process would
// otherwise give back after a burst of uploads.
sharp.cache(false);

/** Runs `work` (sharp calls on one upload) when a decode slot is free. */
export function withDecodeSlot<T>(work: () => Promise<T>): Promise<T> {
  return decodeSlots(work);
}

/** Uploads waiting for a slot and decoding now, for diagnostics and tests. */
export function decodeLoad(): { active: number; waiting: number } {
  return { active: decodeSlots.activeCount, waiting: decodeSlots.pendingCount };
}

/**
 * Metadata (EXIF, XMP, IPTC, ICC) a reference may carry. A phone photo carries well under 100 KB;
 * a file far beyond this is padding (a 1×1 JPEG with 19 MB of EXIF costs disk and, sent to Gemini,
 * request size and money, for nothing). Refused rather than stripped: stripping a JPEG losslessly
 * means rewriting its segments and losing the orientation, and re-encoding loses quality.
 */
export const MAX_METADATA_BYTES = 2_000_000;
/** No image format needs more than this per pixel (16-bit RGBA, uncompressed). */
const MAX_BYTES_PER_PIXEL = 8;

export interface ValidatedImage {
  mimeType: AcceptedMimeType;
  /** As displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  byteLength: number;
  /**
   * False when every pixel could not be decoded because this server lacks the codec (HEVC-coded
   * HEIC with sharp's prebuilt libvips): header, dimensions and pixel count were still checked.
   */
  pixelsVerified: boolean;
}

export type ImageValidation =
  | { ok: true; image: ValidatedImage }
  | { ok: false; error: { code: ImageValidationCode; message: string } };

export interface ValidateUploadOptions {
  /** The client's file name: only used to name the file in messages, never to decide its type. */
  declaredName?: string;
}

// Formats people try that Gemini does not take, named so the refusal can say what the file is.
function describeOtherFormat(bytes: Uint8Array): string | null {
  const head = Buffer.alloc(64);
  head.set(bytes.subarray(0, 64));
  const text = head.toString("latin1");
  if (text.startsWith("GIF87a") || text.startsWith("GIF89a")) return "a GIF";
  if (text.slice(4, 8) === "ftyp" && ["avif", "avis"].includes(text.slice(8, 12))) return "an AVIF image";
  if (text.startsWith("II*\0") || text.startsWith("MM\0*")) return "a TIFF image";
  // "BM" alone is too common a start for text; a BMP also has a known DIB header size at byte 14.
  if (text.startsWith("BM") && [12, 40, 52, 56, 108, 124].includes(head.readUInt32LE(14))) return "a BMP image";
  if (text.startsWith("%PDF")) return "a PDF";
  // sniff.ts only sees an SVG that starts with <svg or <?xml; one with a comment or doctype first is still SVG.
  const markup = Buffer.from(bytes.subarray(0, 4096)).toString("utf8").toLowerCase();
  if (markup.includes("<svg")) return "an SVG drawing";
  return null;
}

const IMAGE_EXTENSION = /\.(png|jpe?g|webp|heic|heif|gif|avif|svg|bmp|tiff?)$/i;

function failure(code: ImageValidationCode, message: string): ImageValidation {
  return { ok: false, error: { code, message } };
}

/** The codec is missing from this build (not the file's fault): libheif without an HEVC decoder. */
function isMissingDecoder(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /has not been built in|unsupported codec|no decoder|decoder plugin/i.test(message);
}

/**
 * Checks an uploaded reference image by its content: real type (never the name or declared type),
 * dimensions, pixel count and a full decode, so a renamed, truncated or hostile file is refused
 * with a reason before it is stored or sent to Gemini.
 */
export async function validateUpload(bytes: Uint8Array, options: ValidateUploadOptions = {}): Promise<ImageValidation> {
  return validateImage({ input: bytes, byteLength: bytes.byteLength, head: bytes }, options);
}

/**
 * The same checks on a file on disk (an upload streamed to the data directory's tmp), which is
 * never read whole: its first HEAD_BYTES for the type, then sharp decodes from the path. Throws
 * only when the file itself can't be read.
 */
export async function validateUploadFile(file: string, options: ValidateUploadOptions = {}): Promise<ImageValidation> {
  const handle = await fs.open(file, "r");
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
    return await validateImage({ input: file, byteLength: size, head: head.subarray(0, bytesRead) }, options);
  } finally {
    await handle.close();
  }
}

/** How far the type checks look into a file (describeOtherFormat reads the most). */
const HEAD_BYTES = 4096;

interface ImageInput {
  /** What sharp reads: the bytes, or a file path. */
  input: Uint8Array | string;
  byteLength: number;
  /** At least the first HEAD_BYTES (all of them for a shorter file). */
  head: Uint8Array;
}

async function validateImage({ input, byteLength, head }: ImageInput, options: ValidateUploadOptions): Promise<ImageValidation> {
  const name = options.declaredName ? `"${path.basename(options.declaredName).slice(0, 120)}"` : "This file";

  if (byteLength === 0) return failure("empty", `${name} is empty.`);
  if (byteLength > MAX_UPLOAD_BYTES) {
    return failure(
      "too_large",
      `${name} is ${formatBytes(byteLength)}; reference images can be up to ${formatBytes(MAX_UPLOAD_BYTES)}. Export it smaller or as JPEG.`,
    );
  }

  const sniffed = sniffImageType(head);
  if (sniffed === "image/svg+xml") {
    return failure("unsupported_type", `${name} is an SVG drawing; Gemini takes ${ACCEPTED_TYPES_LABEL}. Export it as PNG first.`);
  }
  if (!sniffed || !isAcceptedMimeType(sniffed)) {
    const other = describeOtherFormat(head);
    if (other) {
      return failure("unsupported_type", `${name} is ${other}; Gemini takes ${ACCEPTED_TYPES_LABEL}. Convert it first.`);
    }
    const namedLikeImage = options.declaredName !== undefined && IMAGE_EXTENSION.test(options.declaredName);
    return failure(
      "not_an_image",
      namedLikeImage
        ? `${name} is named like an image, but its content isn't one (${ACCEPTED_TYPES_LABEL}).`
        : `${name} isn't an image; use ${ACCEPTED_TYPES_LABEL}.`,
    );
  }
  const mimeType = sniffed;

  // Header only; no pixel limit here so the refusal can say how large the image claims to be.
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    return failure("truncated", `${name} looks damaged or incomplete: its header can't be read. Export it again.`);
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) {
    return failure("truncated", `${name} looks damaged or incomplete: it has no dimensions. Export it again.`);
  }
  if (width * height > MAX_PIXELS) {
    return failure(
      "too_many_pixels",
      `${name} is ${formatInteger(width)} × ${formatInteger(height)} px (${formatMegapixels(width * height)}); the limit is ${formatMegapixels(MAX_PIXELS)}. Downscale it first.`,
    );
  }
  const reportedMetadata = (metadata.exif?.byteLength ?? 0) + (metadata.xmp?.byteLength ?? 0) + (metadata.iptc?.byteLength ?? 0) + (metadata.icc?.byteLength ?? 0);
  // Padding a decoder skips (extra APP segments, comments, unknown chunks) is not reported as
  // metadata; it shows as more bytes than the pixels could ever need.
  const beyondPixels = byteLength - width * height * MAX_BYTES_PER_PIXEL;
  const excess = Math.max(reportedMetadata, beyondPixels);
  if (excess > MAX_METADATA_BYTES) {
    return failure(
      "too_much_metadata",
      `${name} is ${formatInteger(width)} × ${formatInteger(height)} px but carries ${formatBytes(excess)} of metadata or padding; the limit is ${formatBytes(MAX_METADATA_BYTES)}. Export it again without metadata.`,
    );
  }
  if (mimeType === "image/webp" && (metadata.pages ?? 1) > 1) {
    return failure("unsupported_type", `${name} is an animated WebP; use a still image.`);
  }

  // A full decode is the only way to find a truncated or corrupt body behind a valid header.
  // failOn "error" rather than the default "warning": phone JPEGs often carry harmless warnings.
  try {
    await sharp(input, { limitInputPixels: MAX_PIXELS, failOn: "error" }).stats();
  } catch (error) {
    const heif = mimeType === "image/heic" || mimeType === "image/heif";
    if (heif && isMissingDecoder(error)) {
      return { ok: true, image: { mimeType, width, height, byteLength, pixelsVerified: false } };
    }
    return failure("truncated", `${name} looks damaged or incomplete (it may be cut short). Export or download it again.`);
  }
  return { ok: true, image: { mimeType, width, height, byteLength, pixelsVerified: true } };
}
