import { sniffImageType } from "@/lib/images/sniff";
import { createStudioError } from "./errors";
import type { StudioError } from "./types";

// Answers from the upstream (or a proxy in front of it) that are broken or hostile, as errors from
// the closed set with Retry, never the parser's own words, never blamed on the data directory.

/** Image types the studio stores, shows and replays as a result: raster formats a browser draws. */
const RESULT_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

/** The stream carried text that is not JSON (the SDK's JSON.parse threw a SyntaxError). */
export function isMalformedAnswer(error: Error): boolean {
  return error.name === "SyntaxError";
}

export function malformedAnswerError(): StudioError {
  return createStudioError("service_unavailable", {
    message: "Google's answer arrived garbled (it was not valid JSON), so the studio couldn't read it.",
    detail: "The response stream held data that isn't valid JSON.",
    retryable: true,
  });
}

/**
 * Null when `bytes` is a picture the studio can store and show; otherwise why not. Base64 that
 * isn't base64 decodes to junk no format recognises; an SVG (or any non-raster type) is refused by
 * what it is, whatever type the part declared.
 */
export function unusableImageError(bytes: Uint8Array, declaredType: string | undefined): StudioError | null {
  const sniffed = sniffImageType(bytes);
  if (sniffed && RESULT_TYPES.has(sniffed)) return null;
  const what = sniffed === "image/svg+xml" ? "an SVG drawing" : sniffed ? `a ${sniffed} file` : null;
  return createStudioError("no_image", {
    message: what
      ? `Google sent ${what} instead of a picture (PNG, JPEG or WebP), so there is no image to show.`
      : "Google sent image data that can't be decoded (damaged or not valid base64), so there is no image to show.",
    detail: `Declared type: ${(declaredType ?? "none").slice(0, 60)}.`,
    action: "Try again; if it keeps happening, the service or a proxy in front of it is sending broken answers.",
    retryable: true,
  });
}
