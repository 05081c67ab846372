/**
 * JSON for values that carry big base64 strings (a model turn: a ~600 KB thought signature, the
 * image as base64), without JSON.stringify reading every character of them. JSON.stringify checks
 * each character of a string for something to escape; for one model turn that was 4–7 ms a call on
 * the bench machine, and the studio made such calls between the model's last byte and `done`
 * (the size the turn adds to later requests, the model turn's file or row).
 *
 * A string of base64 characters needs no escaping: JSON.stringify writes it verbatim between
 * quotes, wherever it sits. So each big string is checked once with a regular expression (a tenth
 * of the cost), swapped for a short token, the small rest is stringified, and the strings go back
 * in where their tokens are. The result is the very string JSON.stringify would have written.
 * lib/gemini/request-stash.ts does the same for request bodies (as bytes, streamed); this is the
 * in-memory form for storage and sizes. Why not a streaming JSON library: none writes a string
 * without scanning it, which is the whole cost here.
 */

import { randomBytes } from "node:crypto";

/** Shorter strings stay in: swapping them saves less than it costs. */
export const VERBATIM_MIN_CHARS = 1024;

const VERBATIM = /^[A-Za-z0-9+/=_-]*$/;

/** Whether JSON.stringify writes `value` as it is between quotes (base64 and base64url characters only). */
export function isVerbatim(value: string): boolean {
  return VERBATIM.test(value);
}

interface Swapped {
  /** The value with each big verbatim string replaced by its token. */
  value: unknown;
  strings: string[];
  prefix: string;
}

function swapBigStrings(value: unknown): Swapped {
  // Letters and digits only: JSON.stringify writes the token verbatim too.
  const prefix = `nbverbatim${randomBytes(9).toString("hex")}n`;
  const strings: string[] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      if (node.length < VERBATIM_MIN_CHARS || !isVerbatim(node)) return node;
      strings.push(node);
      return `${prefix}${strings.length - 1}`;
    }
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) return node.map(walk);
    // Plain data only (parsed JSON and objects built like it); anything with toJSON is left to JSON.stringify.
    if (typeof (node as { toJSON?: unknown }).toJSON === "function") return node;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(node)) copy[key] = walk((node as Record<string, unknown>)[key]);
    return copy;
  };
  return { value: walk(value), strings, prefix };
}

/**
 * JSON.stringify's output as alternating pieces: even ones are JSON text, odd ones the big base64
 * strings that go between their quotes. Undefined when the value has no JSON form.
 */
function verbatimPieces(value: unknown): string[] | undefined {
  const swapped = swapBigStrings(value);
  const text = JSON.stringify(swapped.value);
  if (text === undefined || swapped.strings.length === 0) return text === undefined ? undefined : [text];
  const token = new RegExp(`"${swapped.prefix}(\\d+)"`, "g");
  const pieces: string[] = [];
  // Each string's closing quote starts the next piece of text.
  let last = 0;
  for (const match of text.matchAll(token)) {
    pieces.push(`${last === 0 ? "" : '"'}${text.slice(last, match.index)}"`, swapped.strings[Number(match[1])] ?? "");
    last = match.index + match[0].length;
  }
  // Every token comes back exactly once, or the text is not what JSON.stringify would write.
  if (pieces.length !== swapped.strings.length * 2) return [JSON.stringify(value)];
  pieces.push(`"${text.slice(last)}`);
  return pieces;
}

/** Exactly JSON.stringify(value), with big base64 strings copied rather than scanned. */
export function stringifyVerbatim(value: unknown): string {
  return verbatimPieces(value)?.join("") as string;
}

/**
 * Exactly Buffer.from(JSON.stringify(value), "utf8"), for a file. The big base64 strings go in as
 * Latin-1, which for ASCII is the same bytes: Node's UTF-8 encoder took 5–8 ms for a model turn's
 * 1.2 MB of JSON on the bench machine (it sizes a buffer for the worst case, then copies), Latin-1
 * a tenth of a millisecond. Every piece is written straight into one buffer of the exact size: a
 * buffer per piece and a concatenation made the model turn's memory twice, and fresh pages are
 * what big buffers cost on that machine.
 */
export function encodeJsonVerbatim(value: unknown): Buffer {
  const pieces = verbatimPieces(value);
  if (pieces === undefined) throw new TypeError("encodeJsonVerbatim: the value has no JSON form");
  // Odd pieces are the big base64 strings: ASCII, a byte a character.
  const encodingOf = (index: number): BufferEncoding => (index % 2 === 1 ? "latin1" : "utf8");
  let length = 0;
  pieces.forEach((piece, index) => {
    length += encodingOf(index) === "latin1" ? piece.length : Buffer.byteLength(piece, "utf8");
  });
  const out = Buffer.allocUnsafe(length);
  let written = 0;
  pieces.forEach((piece, index) => {
    written += out.write(piece, written, encodingOf(index));
  });
  if (written !== length) throw new Error("encodeJsonVerbatim: the pieces did not fill their buffer");
  return out;
}

/** Buffer.byteLength(JSON.stringify(value)), without writing the big base64 strings out. */
export function jsonByteLength(value: unknown): number {
  const swapped = swapBigStrings(value);
  const text = JSON.stringify(swapped.value);
  if (text === undefined) return 0;
  let bytes = Buffer.byteLength(text, "utf8");
  swapped.strings.forEach((string, index) => {
    // Base64 is ASCII: a character is a byte. The token and its quotes were counted; the string replaces the token.
    bytes += string.length - `${swapped.prefix}${index}`.length;
  });
  return bytes;
}
