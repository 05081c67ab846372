/**
 * How large one request to Gemini may grow before the studio warns, and before it refuses to send.
 *
 * Each turn of a conversation sends every earlier turn again: its prompt, its references and the
 * model's answer with the image and thought signature (1.72 MB a turn at 1K in the bench's
 * follow-ups scenario: 8.5 MB at turn 5, 34.3 MB at turn 20). Google takes at
 * most 100 MB inline in one request (since January 2026) and answers a larger one with a 400
 * "Request payload size exceeds the limit: … bytes." only after the whole body was uploaded. So the
 * studio estimates the next request (lib/server/jobs/request-size.ts), warns well before the limit
 * and refuses just under it, with a way on: a new session from the image.
 *
 * Pure (no React, no storage): the start check on the server and the session view read the same
 * thresholds and the same wording of a size.
 */

/**
 * Google's megabyte is 2^20 bytes: its errors name the old 20 MB limit as 20971520 bytes (and the
 * emulator's 100 MB as 104857600).
 */
export const MB = 1024 * 1024;

/** The Gemini API's inline request limit. */
export const GEMINI_REQUEST_LIMIT_BYTES = 100 * MB;
/** Above this the session view shows how large the next request will be. */
export const WARN_REQUEST_BYTES = 50 * MB;
/**
 * Above this the studio sends nothing. The megabyte under Google's limit covers what the estimate
 * leaves out (the SDK's own fields, JSON escapes in a prompt).
 */
export const REFUSE_REQUEST_BYTES = 99 * MB;

/** What a request weighs besides its contents: its braces, generationConfig and tools, the SDK's fields. */
export const REQUEST_OVERHEAD_BYTES = 2_048;

export type RequestSizeLevel = "ok" | "warn" | "refuse";

function checkBytes(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`A request size is a number of bytes, not ${String(bytes)}.`);
}

export function requestSizeLevel(bytes: number): RequestSizeLevel {
  checkBytes(bytes);
  if (bytes > REFUSE_REQUEST_BYTES) return "refuse";
  if (bytes > WARN_REQUEST_BYTES) return "warn";
  return "ok";
}

/** "62.4 MB", in Google's megabytes, one decimal so that 99.4 MB never reads as the 99 MB it passed. */
export function formatRequestSize(bytes: number): string {
  checkBytes(bytes);
  return `${(bytes / MB).toFixed(1)} MB`;
}

/**
 * How many more turns like the average one so far fit under the refusal threshold; null when there
 * is no turn to average (a first request carries only its own references).
 */
export function turnsThatFit(bytes: number, replayedTurns: number): number | null {
  checkBytes(bytes);
  if (!Number.isInteger(replayedTurns) || replayedTurns < 0) throw new RangeError(`A number of turns is a whole number, not ${String(replayedTurns)}.`);
  if (replayedTurns === 0 || bytes === 0) return null;
  return Math.max(0, Math.floor((REFUSE_REQUEST_BYTES - bytes) / (bytes / replayedTurns)));
}

/** What the session view and the start check say about the next request. */
export interface RequestSizeEstimate {
  /** Estimated bytes of the next request's JSON body, before its own prompt and references. */
  bytes: number;
  /** Earlier turns it replays. */
  replayedTurns: number;
  level: RequestSizeLevel;
}

/** The one way on from a conversation too large to continue; the label of its button. */
export const CONTINUE_IN_NEW_SESSION = "Continue in a new session from this image";

/** Why a request is refused for its size, and what to do: the start check's answer and the composer's. */
export function tooLargeReason(bytes: number, replayedTurns: number): { message: string; action: string } {
  // Refused from 99 MB on: below 100 MB it is too close to the limit, not over it.
  const where = bytes > GEMINI_REQUEST_LIMIT_BYTES ? "over" : "too close to";
  const over = `would be about ${formatRequestSize(bytes)}, ${where} the ${GEMINI_REQUEST_LIMIT_BYTES / MB} MB Google accepts in one request`;
  return replayedTurns > 0
    ? { message: `The next request ${over}: every turn sends each earlier image and its signature again.`, action: `${CONTINUE_IN_NEW_SESSION}.` }
    : { message: `This request ${over}.`, action: "Remove some reference images, or use smaller ones." };
}
