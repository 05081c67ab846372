import * as z from "zod/mini";
import { ACCEPTED_MIME_TYPES } from "./limits";

// The wire contract of POST /api/uploads, shared by the route (which answers it) and the tray
// (which parses the answer instead of trusting it). No server-only import, and zod/mini, since the
// browser loads these schemas (see lib/gemini/types.ts).

/** Why the server refused a file: the content checks first, then problems with the request itself. */
export const UPLOAD_ERROR_CODES = [
  "empty",
  "too_large",
  "not_an_image",
  "unsupported_type",
  "truncated",
  "too_many_pixels",
  "too_much_metadata",
  "no_file",
  "too_many_files",
  "bad_request",
  "unauthenticated",
  "forbidden",
  "quota_exceeded",
  "storage_failed",
] as const;
export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number];

export interface UploadError {
  code: UploadErrorCode;
  /** Names the file and says what to do, for a designer. */
  message: string;
}

const hashSchema = z.string().check(z.regex(/^[a-f0-9]{64}$/));

export const uploadedImageSchema = z.object({
  hash: hashSchema,
  url: z.string().check(z.startsWith("/api/images/")),
  mimeType: z.enum(ACCEPTED_MIME_TYPES),
  width: z.int().check(z.positive()),
  height: z.int().check(z.positive()),
  byteLength: z.int().check(z.positive()),
  /** A JPEG the browser can show, for HEIC/HEIF the server could decode; null when it could not. */
  previewUrl: z.nullable(z.string().check(z.startsWith("/api/images/"))),
});
export type UploadedImage = z.infer<typeof uploadedImageSchema>;

export const uploadErrorBodySchema = z.object({
  error: z.object({ code: z.enum(UPLOAD_ERROR_CODES), message: z.string().check(z.minLength(1)) }),
});

export function imageUrl(hash: string): string {
  return `/api/images/${hash}`;
}

/**
 * The drag payload a result image carries (`dataTransfer.setData(STORED_IMAGE_DRAG_TYPE,
 * JSON.stringify(payload))`), so the tray can use an image the studio already stored without
 * uploading it again.
 */
export const STORED_IMAGE_DRAG_TYPE = "application/x-nano-banana-image";

export const storedImageDragSchema = z
  .object({
    hash: hashSchema,
    url: z.string(),
    mimeType: z.enum(ACCEPTED_MIME_TYPES),
    width: z.optional(z.nullable(z.int().check(z.positive()))),
    height: z.optional(z.nullable(z.int().check(z.positive()))),
    byteLength: z.optional(z.int().check(z.positive())),
    /** Shown as the tile's name; results have one (e.g. `gen-cat-20261122-101500.png`). */
    fileName: z.optional(z.string().check(z.maxLength(300))),
  })
  // The URL is derived, never followed as given: a crafted payload must not point the tray elsewhere.
  .check(z.refine((payload) => payload.url === imageUrl(payload.hash), { message: "url must be /api/images/{hash}" }));
export type StoredImageDrag = z.infer<typeof storedImageDragSchema>;

/** The hash in a same-origin `/api/images/{hash}` URL (absolute or relative), else null. */
export function hashFromImageUrl(value: string, origin: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim(), origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  const match = /^\/api\/images\/([a-f0-9]{64})$/.exec(url.pathname);
  return match?.[1] ?? null;
}
