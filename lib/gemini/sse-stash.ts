import "server-only";

import { isVerbatim } from "@/lib/json/verbatim";
import { decodeCanonicalBase64, withDataFromBytes } from "./base64";
import type { WireChunk, WirePart } from "./response";

/**
 * Keeps the big strings of a streamed answer (an image's base64, a thought signature) away from
 * the SDK's stream reader, which makes many copies of every event: in @google/genai 3.1.0
 * (`processStreamResponse`) a 2.4 MB event becomes a two-byte string of 4.8 MB (`TextDecoder`
 * with `stream: true` takes Node's ICU path), is parsed once only to look for an error, is
 * encoded into a `Response` and read back, and is parsed again. With 32 answers streaming at once
 * those copies were most of the server's peak memory.
 *
 * So each large event is parsed once here, its big strings are put aside under short tokens, and
 * the SDK gets the same event with the tokens in their place; `restore` gives the chunk the SDK
 * yields with the very same strings back. Nothing else in the event changes (it is the same parsed
 * JSON, serialised again), and an event that does not parse passes through as it came, for the
 * SDK to report.
 *
 * It also carries `finishMessage` past the SDK: @google/genai 3.1.0's Developer-API converter
 * (`candidateFromMldev`) copies finishReason but drops finishMessage, Google's own explanation of a
 * safety block. The stasher moves it into the candidate's content (copied through as is) under a
 * private key, and `restore` puts it back on the candidate.
 */
export interface InlineStash {
  /**
   * The chunk with its stashed strings back, as a copy where they were: the SDK's own objects keep
   * only the tokens, so the strings don't stay alive in its generators' locals while they wait for
   * the next event. Each string is handed out once and then forgotten here.
   */
  restore(chunk: WireChunk): WireChunk;
  /** Strings put aside and not yet restored. */
  readonly size: number;
}

/** What a token stands for: a string, or an image's data already decoded from the wire. */
type Stashed = string | { bytes: Uint8Array };

interface StashStore extends InlineStash {
  put(value: Stashed): string;
  /** Drops values put but never handed to the SDK. */
  forget(tokens: Iterable<string>): void;
}

/** Events shorter than this pass untouched: parsing them again would cost more than it saves. */
export const STASH_EVENT_MIN_CHARS = 64 * 1024;
/** Strings shorter than this stay in the event. */
export const STASH_VALUE_MIN_CHARS = 1024;

// A NUL can't occur in base64, so no value the service sends is ever taken for a token.
const TOKEN_PREFIX = "\u0000stashed:";
/** Where finishMessage rides through the SDK inside candidate.content; a NUL keeps it from clashing. */
const FINISH_MESSAGE_KEY = "\u0000finishMessage";

export function createInlineStash(): InlineStash {
  const values = new Map<string, Stashed>();
  let next = 0;
  const take = (value: string | undefined): Stashed | undefined => {
    if (value === undefined || !value.startsWith(TOKEN_PREFIX)) return undefined;
    const original = values.get(value);
    values.delete(value);
    return original;
  };
  // Only a "data" key's value is ever stashed as bytes, and only an inlineData's data takes it back.
  const takeString = (value: string | undefined): string | undefined => {
    const taken = take(value);
    return typeof taken === "string" ? taken : undefined;
  };
  const restorePart = (part: WirePart): WirePart => {
    const signature = takeString(part.thoughtSignature);
    const data = take(part.inlineData?.data);
    if (signature === undefined && data === undefined) return part;
    // Spreading keeps every key where it was; only the restored values change.
    const restored = { ...part };
    if (signature !== undefined) restored.thoughtSignature = signature;
    if (data !== undefined && part.inlineData) {
      // Decoded data stays bytes: its base64 is encoded again only if something reads it.
      restored.inlineData = typeof data === "string" ? { ...part.inlineData, data } : withDataFromBytes(part.inlineData, data.bytes);
    }
    return restored;
  };
  const store: StashStore = {
    put(value) {
      next += 1;
      const token = `${TOKEN_PREFIX}${next}`;
      values.set(token, value);
      return token;
    },
    forget(tokens) {
      for (const token of tokens) values.delete(token);
    },
    restore(chunk) {
      if (values.size === 0 || !chunk.candidates) return chunk;
      return {
        ...chunk,
        candidates: chunk.candidates.map((candidate) => {
          const carried = candidate.content ? (candidate.content as Record<string, unknown>)[FINISH_MESSAGE_KEY] : undefined;
          const finishMessage = typeof carried === "string" ? takeString(carried) : undefined;
          let content = candidate.content;
          if (content && carried !== undefined) {
            const { [FINISH_MESSAGE_KEY]: _carried, ...rest } = content as Record<string, unknown>;
            content = rest as typeof content;
          }
          const parts = content?.parts;
          const restored = content && parts ? { ...content, parts: parts.map(restorePart) } : content;
          if (finishMessage === undefined && restored === candidate.content) return candidate;
          return { ...candidate, content: restored, ...(finishMessage === undefined ? {} : { finishMessage }) };
        }),
      };
    },
    get size() {
      return values.size;
    },
  };
  return store;
}

/** The SDK's event delimiters (its /\r\n\r\n|\n\n|\r\r/), found the way it finds them: the earliest one wins. */
const DELIMITERS = ["\r\n\r\n", "\n\n", "\r\r"];
const DATA_PREFIX = "data:";

/**
 * Rewrites whole SSE events (as createSseRechunker forwards them) so their big strings go into
 * `stash`. Chunks without a large event are forwarded as the very same bytes.
 */
export function createSseStasher(stash: InlineStash): TransformStream<Uint8Array, Uint8Array> {
  const store = stash as StashStore;
  const encoder = new TextEncoder();
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      // Small events are only looked at when they carry a finishMessage (rare: blocks and refusals).
      const small = chunk.length < STASH_EVENT_MIN_CHARS;
      if (small && !includesFinishMessage(chunk)) {
        controller.enqueue(chunk);
        return;
      }
      // The chunk ends on an event boundary (or is the stream's last bytes). Events, keys and
      // quotes are found in the bytes by Buffer's native search: they are ASCII, and copying the
      // whole chunk into a string first cost more than everything else here.
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let out = "";
      let changed = false;
      let start = 0;
      for (;;) {
        const found = nextDelimiter(bytes, start);
        if (!found) break;
        const end = found.at;
        let rewritten: string | null = null;
        if (end - start >= STASH_EVENT_MIN_CHARS) {
          rewritten = stashEventBytes(bytes, start, end, store) ?? stashEvent(bytes.toString("utf8", start, end), store);
        } else {
          const finishAt = bytes.indexOf(FINISH_MESSAGE_FIELD, start);
          if (finishAt !== -1 && finishAt < end) rewritten = stashEvent(bytes.toString("utf8", start, end), store);
        }
        if (rewritten !== null) changed = true;
        out += (rewritten ?? bytes.toString("utf8", start, end)) + found.text;
        start = end + found.text.length;
      }
      controller.enqueue(changed ? encoder.encode(out + bytes.toString("utf8", start)) : chunk);
    },
  });
}

const FINISH_MESSAGE_FIELD = '"finishMessage"';
const FINISH_MESSAGE_BYTES = new TextEncoder().encode(FINISH_MESSAGE_FIELD);

function includesFinishMessage(chunk: Uint8Array): boolean {
  const first = FINISH_MESSAGE_BYTES[0];
  outer: for (let index = chunk.indexOf(first ?? 0); index >= 0; index = chunk.indexOf(first ?? 0, index + 1)) {
    for (let offset = 1; offset < FINISH_MESSAGE_BYTES.length; offset += 1) {
      if (chunk[index + offset] !== FINISH_MESSAGE_BYTES[offset]) continue outer;
    }
    return true;
  }
  return false;
}

/** The SDK's next event delimiter from `from`. */
function nextDelimiter(bytes: Buffer, from: number): { at: number; text: string } | null {
  let best: { at: number; text: string } | null = null;
  for (const text of DELIMITERS) {
    const at = bytes.indexOf(text, from);
    if (at !== -1 && (best === null || at < best.at)) best = { at, text };
  }
  return best;
}

/** Keys whose string value may be big: a part's signature (an Interactions delta's), its inline data. */
const DATA_KEY = '"data"';
const BIG_VALUE_KEYS = ['"thoughtSignature"', '"signature"', DATA_KEY];
const AFTER_KEY = /^\s*:\s*"/;
const QUOTE = 0x22;

/**
 * Where the string value of the next big-value key after `from` begins, or -1. Buffer's native
 * search skips a megabyte of base64 in microseconds.
 */
function nextBigValueStart(bytes: Buffer, from: number, end: number): { at: number; key: string } | null {
  let cursor = from;
  for (;;) {
    let keyAt = -1;
    let found = "";
    for (const key of BIG_VALUE_KEYS) {
      const at = bytes.indexOf(key, cursor);
      if (at !== -1 && at < end && (keyAt === -1 || at < keyAt)) {
        keyAt = at;
        found = key;
      }
    }
    if (keyAt === -1) return null;
    const after = AFTER_KEY.exec(bytes.toString("latin1", keyAt + found.length, Math.min(end, keyAt + found.length + 16)));
    if (after) return { at: keyAt + found.length + after[0].length, key: found };
    cursor = keyAt + found.length;
  }
}

/**
 * The event between `start` and `end` with its big base64 values stashed, found in its bytes
 * rather than by parsing the whole event: an image event is ~1.7 MB at 1K, nearly all of it two
 * base64 strings, and decoding and parsing it was the largest part of the studio's time after the
 * model's last byte. A base64 value has no escapes, so it ends at the next quote. Only the small
 * rest is decoded and parsed, to check that every value taken sits where stashEvent would have
 * taken it (a candidate part's thoughtSignature or inlineData.data); anything else, or nothing
 * found, answers null and the event goes the parsing way.
 */
function stashEventBytes(bytes: Buffer, start: number, end: number, stash: StashStore): string | null {
  const taken = new Map<string, Stashed>();
  let small = "";
  let cursor = start;
  let from = start;
  for (;;) {
    const found = nextBigValueStart(bytes, from, end);
    if (!found) break;
    const valueStart = found.at;
    const valueEnd = bytes.indexOf(QUOTE, valueStart);
    if (valueEnd === -1 || valueEnd >= end) break;
    from = valueEnd + 1;
    if (valueEnd - valueStart < STASH_VALUE_MIN_CHARS) continue;
    // An image's data is decoded here, with no string of it made; a value that is not canonical
    // base64 goes the way a signature does.
    const decoded = found.key === DATA_KEY ? decodeCanonicalBase64(bytes, valueStart, valueEnd) : null;
    let value: Stashed;
    if (decoded) {
      value = { bytes: decoded };
    } else {
      // Base64 characters are ASCII, so read as latin1 the bytes are the value's text (checked next).
      const text = bytes.toString("latin1", valueStart, valueEnd);
      if (!isVerbatim(text)) continue;
      value = text;
    }
    const token = stash.put(value);
    taken.set(token, value);
    // Written as JSON writes it (the NUL escaped), as the parsing way's JSON.stringify would.
    small += bytes.toString("utf8", cursor, valueStart) + JSON.stringify(token).slice(1, -1);
    cursor = valueEnd;
  }
  if (taken.size === 0) return null;
  small += bytes.toString("utf8", cursor, end);
  const placed = tokensInParts(small);
  if (placed === null || placed.size !== taken.size || [...taken.keys()].some((token) => !placed.has(token))) {
    // Not where a part's values are: give them back and let the parsing way decide.
    stash.forget(taken.keys());
    return null;
  }
  // finishMessage still goes the parsing way, on the small event.
  return (small.includes(FINISH_MESSAGE_FIELD) ? stashEvent(small, stash) : null) ?? small;
}

/** The field lines an event may have before its data (the Interactions API names each event). */
const FIELDS_BEFORE_DATA = /^(?:(?:event|id):[^\r\n]*(?:\r\n|\r|\n))*/;

/**
 * A data event's JSON and the field lines before it (kept as they came), or null when it is not
 * one (or is an error, which the SDK reports as it came).
 */
function parseDataEvent(event: string): { head: string; chunk: WireChunk } | null {
  const trimmed = event.trim();
  const head = FIELDS_BEFORE_DATA.exec(trimmed)?.[0] ?? "";
  const data = trimmed.slice(head.length);
  if (!data.startsWith(DATA_PREFIX)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.slice(DATA_PREFIX.length).trim());
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== "object" || "error" in parsed) return null;
  return { head, chunk: parsed as WireChunk };
}

/** A place in a parsed event where a big value may be stashed: `holder[key]`. */
interface Slot {
  holder: Record<string, unknown>;
  key: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Every place a big value may be stashed, and so where a restored chunk takes it back:
 * - generateContent: a candidate part's thoughtSignature and its inlineData.data;
 * - the Interactions API (interactions.ts): a step delta's image data (its own, or its thought
 *   summary's content) and a thought signature, which the translator moves onto the parts it makes.
 */
function* stashSlots(chunk: WireChunk): Generator<Slot> {
  for (const candidate of Array.isArray(chunk.candidates) ? chunk.candidates : []) {
    const parts: unknown = candidate?.content?.parts;
    if (!Array.isArray(parts)) continue;
    for (const part of parts as unknown[]) {
      if (!isRecord(part)) continue;
      yield { holder: part, key: "thoughtSignature" };
      if (isRecord(part.inlineData)) yield { holder: part.inlineData, key: "data" };
    }
  }
  const event = chunk as { event_type?: unknown; delta?: unknown };
  if (event.event_type !== "step.delta" || !isRecord(event.delta)) return;
  const delta = event.delta;
  if (delta.type === "thought_signature") yield { holder: delta, key: "signature" };
  if (delta.type === "image") yield { holder: delta, key: "data" };
  if (delta.type === "thought_summary" && isRecord(delta.content) && delta.content.type === "image") yield { holder: delta.content, key: "data" };
}

/** The stash tokens found in the event's stash slots, or null when the event is not a JSON data event. */
function tokensInParts(event: string): Set<string> | null {
  const parsed = parseDataEvent(event);
  if (!parsed) return null;
  const found = new Set<string>();
  for (const { holder, key } of stashSlots(parsed.chunk)) {
    const value = holder[key];
    if (typeof value === "string" && value.startsWith(TOKEN_PREFIX)) found.add(value);
  }
  return found;
}

/** The event with its big strings stashed, or null when it has none or is not a JSON data event. */
function stashEvent(event: string, stash: StashStore): string | null {
  const parsed = parseDataEvent(event);
  if (!parsed) return null;
  const { head, chunk } = parsed;
  let stashed = false;
  const big = (value: unknown): value is string => typeof value === "string" && value.length >= STASH_VALUE_MIN_CHARS;
  for (const candidate of Array.isArray(chunk.candidates) ? chunk.candidates : []) {
    if (candidate && typeof candidate === "object" && typeof candidate.finishMessage === "string") {
      const content = candidate.content && typeof candidate.content === "object" ? candidate.content : {};
      (content as Record<string, unknown>)[FINISH_MESSAGE_KEY] = stash.put(candidate.finishMessage);
      candidate.content = content;
      delete candidate.finishMessage;
      stashed = true;
    }
  }
  for (const { holder, key } of stashSlots(chunk)) {
    const value = holder[key];
    if (big(value)) {
      holder[key] = stash.put(value);
      stashed = true;
    }
  }
  return stashed ? `${head}${DATA_PREFIX} ${JSON.stringify(chunk)}` : null;
}
