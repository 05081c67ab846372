import "server-only";

import { randomBytes } from "node:crypto";
import type { Content, Part } from "@google/genai";

/**
 * Keeps the big strings of a request (the base64 of replayed and reference images, replayed
 * thought signatures) out of the SDK's JSON encoding. A follow-up replays its whole conversation:
 * at turn 20 of a 1K conversation the body is ~34 MB, nearly all of it such strings. @google/genai
 * 3.1.0 encodes the body with one JSON.stringify, which on Node 22 reads every character of them,
 * and fetch then encodes that string to UTF-8 into yet another 34 MB: on the bench machine 0.9 s
 * before the request leaves, with the event loop blocked (every other request to the studio waits).
 *
 * So before the SDK sees the contents, each such string is swapped for a short token, and the body
 * the SDK hands to fetch gets them back: the JSON the SDK wrote around them is kept as it is, and
 * each string goes in as its bytes, into one buffer. Only strings of base64 characters are
 * swapped: JSON.stringify writes those verbatim between quotes, and writes a string the same way
 * wherever it sits, so replacing `"token"` by `"string"` gives the very bytes JSON.stringify would
 * have written for the whole body. That relies on the SDK passing these values through untouched,
 * which 3.1.0's converters do (they copy part fields; tBytes returns inline data as given); a
 * token that comes back in any other form fails the request instead of sending something else.
 *
 * Why not reuse the stored JSON of a model turn: the SDK rebuilds each part with its own key
 * order and drops fields it does not know, so that JSON is not what it sends.
 */

/** Shorter strings stay in the body: swapping them saves less than it costs. */
export const REQUEST_STASH_MIN_CHARS = 1024;

const SAFE = /^[A-Za-z0-9+/=_-]+$/;

/**
 * Values already checked, by the object holding them: a frozen part (the history cache's) can't
 * change, so a conversation's strings are scanned once, not at every follow-up.
 */
const checked = new WeakMap<object, string>();

function isVerbatim(owner: object, value: string): boolean {
  if (checked.get(owner) === value) return true;
  if (!SAFE.test(value)) return false;
  if (Object.isFrozen(owner)) checked.set(owner, value);
  return true;
}

export interface RequestStash {
  /** Copies of `contents` whose big verbatim strings are tokens; the originals are not touched. */
  stashContents(contents: readonly Content[]): Content[];
  /** The body as the SDK would have written it with the strings in place: bytes, or the body itself when nothing was stashed. */
  restoreBody(body: string): string | Uint8Array<ArrayBuffer>;
  /** Strings swapped out. */
  readonly size: number;
}

export function createRequestStash(): RequestStash {
  // Letters and digits only: written verbatim by JSON.stringify, and never a value the service sent.
  const prefix = `nbstash${randomBytes(9).toString("hex")}n`;
  const values: string[] = [];

  const swap = (owner: object, value: unknown): string | undefined => {
    if (typeof value !== "string" || value.length < REQUEST_STASH_MIN_CHARS || !isVerbatim(owner, value)) return undefined;
    values.push(value);
    return `${prefix}${values.length - 1}`;
  };

  const stashPart = (part: Part): Part => {
    const signature = swap(part, part.thoughtSignature);
    const data = part.inlineData ? swap(part.inlineData, part.inlineData.data) : undefined;
    if (signature === undefined && data === undefined) return part;
    // Spreading keeps every key where it was; only the swapped values change.
    const copy: Part = { ...part };
    if (signature !== undefined) copy.thoughtSignature = signature;
    if (data !== undefined && part.inlineData) copy.inlineData = { ...part.inlineData, data };
    return copy;
  };

  return {
    stashContents(contents) {
      return contents.map((content) => (content.parts ? { ...content, parts: content.parts.map(stashPart) } : content));
    },
    restoreBody(body) {
      if (values.length === 0) return body;
      const pattern = new RegExp(`"${prefix}(\\d+)"`, "g");
      const pieces: Array<{ text: string } | { value: string }> = [];
      let at = 0;
      let total = 0;
      const addText = (text: string) => {
        if (text.includes(prefix)) throw new Error("The SDK changed a stashed request value; the request was not sent.");
        pieces.push({ text });
        total += Buffer.byteLength(text, "utf8");
      };
      for (const match of body.matchAll(pattern)) {
        const value = values[Number(match[1])];
        if (value === undefined) throw new Error("The SDK's request body names a value that was never stashed; the request was not sent.");
        // The quotes stay with the text around the value.
        addText(body.slice(at, match.index + 1));
        pieces.push({ value });
        total += value.length;
        at = match.index + match[0].length - 1;
      }
      addText(body.slice(at));
      const bytes = new Uint8Array(total);
      const writer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let offset = 0;
      for (const piece of pieces) {
        // Verbatim strings are ASCII: one byte a character, whatever V8 keeps them as.
        offset += "value" in piece ? writer.write(piece.value, offset, "latin1") : writer.write(piece.text, offset, "utf8");
      }
      if (offset !== total) throw new Error("The request body came out the wrong size; the request was not sent.");
      return bytes;
    },
    get size() {
      return values.length;
    },
  };
}

/** fetch that puts the current attempt's stashed strings back into the body the SDK wrote. */
export function withRequestStash(fetchImpl: typeof fetch, current: () => RequestStash | undefined): typeof fetch {
  return (input, init) => {
    const stash = current();
    if (!stash || stash.size === 0 || typeof init?.body !== "string") return fetchImpl(input, init);
    return fetchImpl(input, { ...init, body: stash.restoreBody(init.body) });
  };
}
