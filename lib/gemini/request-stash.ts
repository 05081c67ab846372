import "server-only";

import { randomBytes } from "node:crypto";
import type { Content, Part } from "@google/genai";
import { VERBATIM_MIN_CHARS, isVerbatim } from "@/lib/json/verbatim";

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
 * each string goes in as its bytes. Only strings of base64 characters are swapped: JSON.stringify
 * writes those verbatim between quotes, and writes a string the same way wherever it sits, so
 * replacing `"token"` by `"string"` gives the very bytes JSON.stringify would have written for the
 * whole body. That relies on the SDK passing these values through untouched, which 3.1.0's
 * converters do (they copy part fields; tBytes returns inline data as given); a token that comes
 * back in any other form fails the request, before anything is sent, instead of sending something
 * else.
 *
 * The body goes to fetch as a stream of those pieces (the SDK's JSON between the strings, and each
 * string's bytes), not as one buffer: writing 34 MB into freshly allocated memory cost ~100 ms on
 * the bench machine before the first byte could leave, while a stream starts sending at once and
 * encodes each piece only when the socket wants it. The stream's length is known up front and sent
 * as Content-Length, as with the SDK's own string body.
 *
 * Memory trade-off: the strings of a frozen part (a model turn held by the history cache, which
 * never changes) are encoded once and their bytes kept beside it, by owner in a WeakMap, so a
 * follow-up sends a cached conversation without encoding it again. Those bytes live exactly as long
 * as the cached part (the history cache drops it, the WeakMap entry goes with it), and double what
 * each cached turn holds; the history cache counts its turns twice for that (history-cache.ts), so
 * STUDIO_HISTORY_CACHE_MB stays the bound. Strings of parts that are not frozen (references built
 * per request, history read straight from storage) are encoded piece by piece as they are sent and
 * not kept: the request never holds more than one string's bytes at a time beyond the strings.
 *
 * Why not reuse the stored JSON of a model turn: the SDK rebuilds each part with its own key
 * order and drops fields it does not know, so that JSON is not what it sends. Why hand-written:
 * no library splices values into a JSON text by token; the pieces are a plain ReadableStream.
 */

/** Shorter strings stay in the body: swapping them saves less than it costs. */
export const REQUEST_STASH_MIN_CHARS = VERBATIM_MIN_CHARS;

interface Verbatim {
  value: string;
  /** Its bytes once a request has sent it; filled only for frozen owners. */
  bytes?: Uint8Array;
}

/**
 * Values already checked, by the object holding them: a frozen part (the history cache's) can't
 * change, so a conversation's strings are scanned and encoded once, not at every follow-up.
 */
const frozenValues = new WeakMap<object, Verbatim>();

function verbatimOf(owner: object, value: string): Verbatim | undefined {
  const known = frozenValues.get(owner);
  if (known?.value === value) return known;
  if (!isVerbatim(value)) return undefined;
  const verbatim: Verbatim = { value };
  if (Object.isFrozen(owner)) frozenValues.set(owner, verbatim);
  return verbatim;
}

/** Verbatim strings are ASCII: one byte a character, whatever V8 keeps them as. */
function bytesOf(verbatim: Verbatim, keep: boolean): Uint8Array {
  if (verbatim.bytes) return verbatim.bytes;
  const bytes = Buffer.from(verbatim.value, "latin1");
  if (keep) verbatim.bytes = bytes;
  return bytes;
}

/** A request body of known length whose pieces are encoded as they are read. */
export interface StreamedBody {
  stream: ReadableStream<Uint8Array>;
  byteLength: number;
}

export interface RequestStash {
  /** Copies of `contents` whose big verbatim strings are tokens; the originals are not touched. */
  stashContents(contents: readonly Content[]): Content[];
  /**
   * The body as the SDK would have written it with the strings in place, as a stream; the body
   * itself when nothing was stashed. Throws, before anything is read, when a token came back
   * altered or unknown.
   */
  restoreBody(body: string): string | StreamedBody;
  /** Strings swapped out. */
  readonly size: number;
}

export function createRequestStash(): RequestStash {
  // Letters and digits only: written verbatim by JSON.stringify, and never a value the service sent.
  const prefix = `nbstash${randomBytes(9).toString("hex")}n`;
  const values: Array<{ verbatim: Verbatim; keep: boolean }> = [];

  const swap = (owner: object, value: unknown): string | undefined => {
    if (typeof value !== "string" || value.length < REQUEST_STASH_MIN_CHARS) return undefined;
    const verbatim = verbatimOf(owner, value);
    if (!verbatim) return undefined;
    values.push({ verbatim, keep: Object.isFrozen(owner) });
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
      const pieces: Array<{ text: string } | { value: (typeof values)[number] }> = [];
      let at = 0;
      let byteLength = 0;
      const addText = (text: string) => {
        if (text.includes(prefix)) throw new Error("The SDK changed a stashed request value; the request was not sent.");
        pieces.push({ text });
        byteLength += Buffer.byteLength(text, "utf8");
      };
      for (const match of body.matchAll(pattern)) {
        const value = values[Number(match[1])];
        if (value === undefined) throw new Error("The SDK's request body names a value that was never stashed; the request was not sent.");
        // The quotes stay with the text around the value.
        addText(body.slice(at, match.index + 1));
        pieces.push({ value });
        byteLength += value.verbatim.value.length;
        at = match.index + match[0].length - 1;
      }
      addText(body.slice(at));

      let next = 0;
      let sent = 0;
      // A default stream, not a byte stream: a byte stream would transfer (detach) the kept bytes.
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            // A pull that enqueues nothing is not called again: skip empty pieces here.
            for (let piece = pieces[next]; piece !== undefined; piece = pieces[next]) {
              next += 1;
              const bytes = "text" in piece ? Buffer.from(piece.text, "utf8") : bytesOf(piece.value.verbatim, piece.value.keep);
              sent += bytes.byteLength;
              if (bytes.byteLength > 0) {
                controller.enqueue(bytes);
                return;
              }
            }
            // Content-Length was declared from byteLength; a mismatch must not end as a valid body.
            if (sent !== byteLength) controller.error(new Error("The request body came out the wrong size; the rest was not sent."));
            else controller.close();
          },
        },
        // One piece at a time: the next string is encoded only once the last has been taken.
        { highWaterMark: 0 },
      );
      return { stream, byteLength };
    },
    get size() {
      return values.length;
    },
  };
}

/** What undici's fetch needs to send a stream as a request body (not in the DOM's RequestInit). */
type StreamingRequestInit = RequestInit & { duplex: "half" };

/** fetch that puts the current attempt's stashed strings back into the body the SDK wrote. */
export function withRequestStash(fetchImpl: typeof fetch, current: () => RequestStash | undefined): typeof fetch {
  return (input, init) => {
    const stash = current();
    if (!stash || stash.size === 0 || typeof init?.body !== "string") return fetchImpl(input, init);
    const restored = stash.restoreBody(init.body);
    if (typeof restored === "string") return fetchImpl(input, { ...init, body: restored });
    const headers = new Headers(init.headers);
    headers.set("content-length", String(restored.byteLength));
    const streaming: StreamingRequestInit = { ...init, headers, body: restored.stream, duplex: "half" };
    return fetchImpl(input, streaming);
  };
}
