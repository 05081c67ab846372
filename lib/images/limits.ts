// Reference-image limits, shared by the browser (which explains them and prepares files to fit)
// and the upload route (which enforces them). No server-only import: the tray shows these.
import { formatInteger } from "@/lib/format/integer";

/** What Gemini accepts as input images (see gemini-facts.md, "Inputs"). */
export const ACCEPTED_MIME_TYPES = ["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"] as const;
export type AcceptedMimeType = (typeof ACCEPTED_MIME_TYPES)[number];

export function isAcceptedMimeType(value: string): value is AcceptedMimeType {
  return (ACCEPTED_MIME_TYPES as readonly string[]).includes(value);
}

export const ACCEPTED_TYPES_LABEL = "PNG, JPEG, WebP, HEIC or HEIF";

/** The most reference images any Gemini image model takes in one request; models may take fewer. */
export const MAX_REFERENCES = 14;

/**
 * Per file, after the browser prepared it. Decimal megabytes, as file managers show sizes. Prepared
 * JPEGs are a few MB, so this mostly bounds what cannot be re-encoded in the browser (HEIC, broken
 * files) and what a script posts directly.
 */
export const MAX_UPLOAD_BYTES = 20_000_000;

/**
 * Decompression-bomb guard: a few KB of PNG can claim 100000 x 100000 px and take 40 GB to decode.
 * 50 MP covers every phone and most camera photos (a 48 MP iPhone shot included) while bounding one
 * decode to about 200 MB of RGBA. Passed to sharp as `limitInputPixels`.
 */
export const MAX_PIXELS = 50_000_000;

/**
 * The long edge the browser downscales to. Gemini resizes inputs itself, so more pixels only add
 * upload time and request size: 3072 px is the short edge of the largest output the models draw
 * (4K at 16:9 is 5504 x 3072), which keeps enough detail for edits at 2K and 4K, and a JPEG of that
 * size at quality 0.9 is typically 1 to 3 MB, so 14 references stay far below the 100 MB inline
 * request limit even after base64 adds a third.
 */
export const TARGET_LONG_EDGE = 3072;

/** JPEG/WebP quality for re-encoded references: visually lossless for photos at a third of q=1's size. */
export const TARGET_QUALITY = 0.9;

/** Files of an accepted type this small, within the long edge, are sent untouched (no generation loss). */
export const PASS_THROUGH_MAX_BYTES = 4_000_000;

/** A downscaled image with transparency stays PNG up to this size; beyond it, WebP keeps the alpha smaller. */
export const KEEP_PNG_MAX_BYTES = 8_000_000;

// Gemini's inline request limit, which references travel inside base64-encoded, is
// GEMINI_REQUEST_LIMIT_BYTES (lib/studio/request-size.ts): one definition for the tray and the start check.

/** Bytes an image occupies in a JSON request once base64-encoded. */
export function base64Size(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** "3.2 MB", "840 KB", "12 bytes": decimal units, one decimal place below 10. */
export function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const [value, unit] = bytes < 1_000_000 ? [bytes / 1_000, "KB"] : [bytes / 1_000_000, "MB"];
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${rounded} ${unit}`;
}

export function formatMegapixels(pixels: number): string {
  const megapixels = pixels / 1_000_000;
  return `${megapixels < 10 ? Math.round(megapixels * 10) / 10 : formatInteger(Math.round(megapixels))} MP`;
}
