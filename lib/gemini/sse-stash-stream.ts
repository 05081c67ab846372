import "server-only";

import { isVerbatim } from "@/lib/json/verbatim";
import { createBase64Sink, type Base64Sink } from "./base64";
import {
  FINISH_MESSAGE_FIELD,
  STASH_EVENT_MIN_CHARS,
  STASH_VALUE_MIN_CHARS,
  stashEventBytes,
  stashEvent,
  tokensInParts,
  type InlineStash,
  type StashStore,
} from "./sse-stash";

/**
 * The SSE regrouping (sse-rechunk.ts) and the stashing of big values (sse-stash.ts) in one pass
 * over the network's reads, as they arrive: an image's base64 is decoded and a signature gathered
 * while the rest of the answer is still on its way, so that after the model's last byte only its
 * last read is left to look at. Regrouping first and stashing whole events kept all of that for
 * the end: joining a 4K image event's ~130 reads (8 MB), decoding its 7.3 MB of base64 and taking
 * the pages for both, ~23 ms on the bench machine between the emulator's last byte and the SDK
 * seeing the event.
 *
 * Each event is read once, as a state machine: outside a big value it looks for the next event
 * delimiter (the SDK's, earliest wins) or the next `"data"` / `"thoughtSignature"` key; inside one
 * it feeds the value's bytes to its reader until the closing quote (base64 has no escapes). What
 * is outside the values is kept as pieces of the reads, and the event's reads themselves are kept
 * (as views, not copies) until it ends. At its end the event goes out as the whole-event stasher
 * would write it: the values taken are checked to sit at a candidate part's thoughtSignature or
 * inlineData.data, as before, and anything else (a value in the wrong place, one that is not
 * base64, an event too small to bother) makes the event go the whole-event way from its own
 * bytes, so the output is the same bytes for any split of the stream into reads.
 */
export function createSseStashingRechunker(stash: InlineStash): TransformStream<Uint8Array, Uint8Array> {
  const store = stash as StashStore;
  const encoder = new TextEncoder();
  let event = newEvent();
  // Scanned bytes that may start a key or a delimiter finished by the next read (a few bytes).
  let carry: Buffer = EMPTY;
  let value: ValueReader | null = null;

  function finishValue(): void {
    const reader = value;
    value = null;
    if (!reader) return;
    const taken = reader.length >= STASH_VALUE_MIN_CHARS ? reader.finish() : null;
    if (taken === null) {
      // Not taken: its bytes stay in the event where they were.
      event.small.push(...reader.pieces);
      return;
    }
    const token = store.put(taken);
    event.taken.push(token);
    // Written as JSON writes it (the NUL escaped), as the whole-event stasher does.
    event.small.push(Buffer.from(JSON.stringify(token).slice(1, -1), "latin1"));
  }

  function endEvent(delimiter: string, controller: TransformStreamDefaultController<Uint8Array>): void {
    const ended = event;
    event = newEvent();
    const raw = join(ended.raw);
    const eventLength = raw.length - delimiter.length;
    let out: string | null = null;
    if (ended.taken.length > 0 && eventLength >= STASH_EVENT_MIN_CHARS) {
      const small = join(ended.small).toString("utf8");
      const placed = tokensInParts(small);
      if (placed !== null && placed.size === ended.taken.length && ended.taken.every((token) => placed.has(token))) {
        // finishMessage still goes the parsing way, on the small event.
        out = (small.includes(FINISH_MESSAGE_FIELD) ? stashEvent(small, store) : null) ?? small;
      }
    }
    if (out === null) {
      // Not what a part's values look like, or nothing worth it: the event decides from its own bytes.
      store.forget(ended.taken);
      out = wholeEventWay(raw, eventLength, store);
    }
    controller.enqueue(out === null ? raw : encoder.encode(out + delimiter));
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (chunk.length === 0) return;
      const read = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      // Where `buf` (the carried bytes, then the read) meets the read, and where the current event's bytes in this read begin.
      const buf = value || carry.length === 0 ? read : Buffer.concat([carry, read]);
      const base = buf.length - read.length;
      carry = EMPTY;
      let rawFrom = 0;
      let at = 0;
      while (at < buf.length) {
        if (value) {
          const quote = buf.indexOf(QUOTE, at);
          const end = quote === -1 ? buf.length : quote;
          value.add(buf, at, end);
          at = end;
          // The closing quote is the event's again.
          if (quote !== -1) finishValue();
          continue;
        }
        const next = nextMark(buf, at);
        if (next === null) {
          // Nothing here: keep the tail that could begin a key or a delimiter the next read finishes.
          const keep = Math.min(buf.length - at, CARRY_BYTES);
          event.small.push(buf.subarray(at, buf.length - keep));
          carry = Buffer.from(buf.subarray(buf.length - keep));
          break;
        }
        if (next.kind === "incomplete") {
          event.small.push(buf.subarray(at, next.at));
          carry = Buffer.from(buf.subarray(next.at));
          break;
        }
        if (next.kind === "value") {
          event.small.push(buf.subarray(at, next.at));
          value = next.key === DATA_KEY ? dataReader() : signatureReader();
          at = next.at;
          continue;
        }
        event.small.push(buf.subarray(at, next.at));
        const end = next.at + next.delimiter.length;
        event.raw.push(read.subarray(rawFrom, end - base));
        rawFrom = end - base;
        endEvent(next.delimiter, controller);
        at = end;
      }
      if (rawFrom < read.length) event.raw.push(read.subarray(rawFrom));
    },
    flush(controller) {
      // A last event without its delimiter goes as it came, as the SDK would read it.
      value = null;
      store.forget(event.taken);
      if (event.raw.length > 0) controller.enqueue(join(event.raw));
    },
  });
}

const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const DATA_KEY = '"data"';
const SIGNATURE_KEY = '"thoughtSignature"';
/** The SDK's event delimiters (its /\r\n\r\n|\n\n|\r\r/). */
const DELIMITERS = ["\r\n\r\n", "\n\n", "\r\r"];
/** Room after a key for `\s*:\s*"`, as sse-stash.ts allows it. */
const AFTER_KEY_BYTES = 16;
const AFTER_KEY = /^\s*:\s*"/;
/** Longer than any key or delimiter, so one split between two reads is seen whole in the next. */
const CARRY_BYTES = SIGNATURE_KEY.length + AFTER_KEY_BYTES;

interface EventState {
  /** The event's bytes as read (views of the reads), its delimiter included. */
  raw: Buffer[];
  /** The event outside the values taken, with each taken value's token in its place. */
  small: Buffer[];
  taken: string[];
}

function newEvent(): EventState {
  return { raw: [], small: [], taken: [] };
}

function join(pieces: readonly Buffer[]): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/**
 * The whole-event stasher's answer for one event (sse-stash.ts), from its bytes: null to send it
 * as it came. Small events are only looked at when they carry a finishMessage.
 */
function wholeEventWay(raw: Buffer, eventLength: number, store: StashStore): string | null {
  if (eventLength < STASH_EVENT_MIN_CHARS) {
    const finish = raw.indexOf(FINISH_MESSAGE_FIELD);
    return finish !== -1 && finish < eventLength ? stashEvent(raw.toString("utf8", 0, eventLength), store) : null;
  }
  return stashEventBytes(raw, 0, eventLength, store) ?? stashEvent(raw.toString("utf8", 0, eventLength), store);
}

type Mark =
  | { kind: "delimiter"; at: number; delimiter: string }
  | { kind: "value"; at: number; key: string }
  /** A key whose colon and quote are not all here yet. */
  | { kind: "incomplete"; at: number };

/** The next delimiter or big value's start from `from`, whichever comes first. */
function nextMark(buf: Buffer, from: number): Mark | null {
  let delimiter: { at: number; text: string } | null = null;
  for (const text of DELIMITERS) {
    const at = buf.indexOf(text, from);
    if (at !== -1 && (delimiter === null || at < delimiter.at)) delimiter = { at, text };
  }
  const limit = delimiter?.at ?? buf.length;
  let cursor = from;
  for (;;) {
    let keyAt = -1;
    let key = "";
    for (const candidate of [SIGNATURE_KEY, DATA_KEY]) {
      const at = buf.indexOf(candidate, cursor);
      if (at !== -1 && at < limit && (keyAt === -1 || at < keyAt)) {
        keyAt = at;
        key = candidate;
      }
    }
    if (keyAt === -1) break;
    const afterAt = keyAt + key.length;
    const windowEnd = Math.min(limit, afterAt + AFTER_KEY_BYTES);
    const after = AFTER_KEY.exec(buf.toString("latin1", afterAt, windowEnd));
    if (after) return { kind: "value", at: afterAt + after[0].length, key };
    // Cut off by the end of what has arrived, not by a delimiter: the next read decides.
    if (delimiter === null && windowEnd === buf.length && afterAt + AFTER_KEY_BYTES > buf.length) return { kind: "incomplete", at: keyAt };
    cursor = afterAt;
  }
  return delimiter ? { kind: "delimiter", at: delimiter.at, delimiter: delimiter.text } : null;
}

/** One big value as it arrives: its pieces (to put back if it is not taken) and what it becomes if it is. */
interface ValueReader {
  add(buf: Buffer, start: number, end: number): void;
  readonly length: number;
  readonly pieces: Buffer[];
  /** The value to stash, or null to leave it in the event. */
  finish(): string | { bytes: Uint8Array } | null;
}

/** An image's data: decoded as it comes; if it turns out not to be canonical base64, it goes the way a signature does. */
function dataReader(): ValueReader {
  const sink: Base64Sink = createBase64Sink();
  const pieces: Buffer[] = [];
  return {
    add(buf, start, end) {
      pieces.push(buf.subarray(start, end));
      sink.add(buf, start, end);
    },
    get length() {
      return sink.length;
    },
    pieces,
    finish() {
      const bytes = sink.finish();
      if (bytes) return { bytes };
      const text = join(pieces).toString("latin1");
      return isVerbatim(text) ? text : null;
    },
  };
}

/**
 * A thought signature (or any other verbatim value at those keys), made into text piece by piece
 * as it comes. The check at the end also flattens V8's string of pieces into one, so whoever
 * reads the signature next (the turn's size, its file) does not pay for that: ~2 ms for 600 KB
 * here, after the last byte only for a signature that ends its event.
 */
function signatureReader(): ValueReader {
  const pieces: Buffer[] = [];
  let text = "";
  let length = 0;
  return {
    add(buf, start, end) {
      if (end <= start) return;
      pieces.push(buf.subarray(start, end));
      length += end - start;
      // Base64 characters are ASCII, so read as latin1 the bytes are the value's text (checked at the end).
      text += buf.toString("latin1", start, end);
    },
    get length() {
      return length;
    },
    pieces,
    finish() {
      return isVerbatim(text) ? text : null;
    },
  };
}
