import "server-only";

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

interface StashStore extends InlineStash {
  put(value: string): string;
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
  const values = new Map<string, string>();
  let next = 0;
  const take = (value: string | undefined): string | undefined => {
    if (value === undefined || !value.startsWith(TOKEN_PREFIX)) return undefined;
    const original = values.get(value);
    values.delete(value);
    return original;
  };
  const restorePart = (part: WirePart): WirePart => {
    const signature = take(part.thoughtSignature);
    const data = take(part.inlineData?.data);
    if (signature === undefined && data === undefined) return part;
    // Spreading keeps every key where it was; only the restored values change.
    const restored = { ...part };
    if (signature !== undefined) restored.thoughtSignature = signature;
    if (data !== undefined && part.inlineData) restored.inlineData = { ...part.inlineData, data };
    return restored;
  };
  const store: StashStore = {
    put(value) {
      next += 1;
      const token = `${TOKEN_PREFIX}${next}`;
      values.set(token, value);
      return token;
    },
    restore(chunk) {
      if (values.size === 0 || !chunk.candidates) return chunk;
      return {
        ...chunk,
        candidates: chunk.candidates.map((candidate) => {
          const carried = candidate.content ? (candidate.content as Record<string, unknown>)[FINISH_MESSAGE_KEY] : undefined;
          const finishMessage = typeof carried === "string" ? take(carried) : undefined;
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

/** The SDK's event delimiters, found the way it finds them: the earliest one wins. */
const DELIMITER = /\r\n\r\n|\n\n|\r\r/;
const DATA_PREFIX = "data:";

/**
 * Rewrites whole SSE events (as createSseRechunker forwards them) so their big strings go into
 * `stash`. Chunks without a large event are forwarded as the very same bytes.
 */
export function createSseStasher(stash: InlineStash): TransformStream<Uint8Array, Uint8Array> {
  const store = stash as StashStore;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      // Small events are only looked at when they carry a finishMessage (rare: blocks and refusals).
      const small = chunk.length < STASH_EVENT_MIN_CHARS;
      if (small && !includesFinishMessage(chunk)) {
        controller.enqueue(chunk);
        return;
      }
      // The chunk ends on an event boundary (or is the stream's last bytes), so it decodes whole.
      let rest = decoder.decode(chunk);
      let out = "";
      let changed = false;
      for (;;) {
        const match = DELIMITER.exec(rest);
        if (!match) break;
        const event = rest.slice(0, match.index);
        const rewritten = event.length >= STASH_EVENT_MIN_CHARS || event.includes(FINISH_MESSAGE_FIELD) ? stashEvent(event, store) : null;
        if (rewritten !== null) changed = true;
        out += (rewritten ?? event) + match[0];
        rest = rest.slice(match.index + match[0].length);
      }
      controller.enqueue(changed ? encoder.encode(out + rest) : chunk);
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

/** The event with its big strings stashed, or null when it has none or is not a JSON data event. */
function stashEvent(event: string, stash: StashStore): string | null {
  const trimmed = event.trim();
  if (!trimmed.startsWith(DATA_PREFIX)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed.slice(DATA_PREFIX.length).trim());
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== "object" || "error" in parsed) return null;
  const chunk = parsed as WireChunk;
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
    const parts: unknown = candidate?.content?.parts;
    if (!Array.isArray(parts)) continue;
    for (const part of parts as unknown[]) {
      if (part === null || typeof part !== "object") continue;
      const wire = part as { thoughtSignature?: unknown; inlineData?: { data?: unknown } | null };
      if (big(wire.thoughtSignature)) {
        wire.thoughtSignature = stash.put(wire.thoughtSignature);
        stashed = true;
      }
      if (wire.inlineData && typeof wire.inlineData === "object" && big(wire.inlineData.data)) {
        wire.inlineData.data = stash.put(wire.inlineData.data);
        stashed = true;
      }
    }
  }
  return stashed ? `${DATA_PREFIX} ${JSON.stringify(parsed)}` : null;
}
