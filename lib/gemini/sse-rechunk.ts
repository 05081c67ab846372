import "server-only";

import { createSseStasher, type InlineStash } from "./sse-stash";

const LF = 0x0a;
const CR = 0x0d;

/**
 * Regroups an SSE byte stream so each chunk ends on an event boundary.
 *
 * The SDK's stream reader (`processStreamResponse` in @google/genai 3.1.0) appends every network
 * read to one string and searches the whole string for the delimiters after each read, so a 4 MB
 * image event arriving in 64 KB reads costs it quadratic time. Handing it only whole events keeps
 * its buffer short. The delimiters are the SDK's own ("\n\n", "\r\r", "\r\n\r\n"); all three end
 * in "\n\n", "\r\r" or "\r\n\r\n", which is what the scan below looks for. It works on bytes, so a
 * multi-byte character split between reads is carried over whole, and it scans each byte once.
 *
 * An event's reads are copied into one growing buffer as they arrive, not joined when its last one
 * does: joining a 4K image's 8.5 MB event (fresh memory) took ~7 ms after the model's last byte,
 * where every millisecond is the designer's wait, while the reads before it come at the network's
 * pace with time to spare.
 */
export function createSseRechunker(): TransformStream<Uint8Array, Uint8Array> {
  // The bytes of the event not yet complete, in pending[0, pendingLength).
  let pending: Buffer | null = null;
  let pendingLength = 0;
  // The last three bytes not yet forwarded, oldest first, for a delimiter that starts in an
  // earlier read. Forwarded bytes are left out: the SDK has consumed them already.
  let before: number[] = [];

  function keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const needed = pendingLength + bytes.length;
    if (pending === null || needed > pending.length) {
      // Half again what is needed: an event of n bytes is copied about three times over while it
      // arrives, and holds at most 1.5 n.
      const grown = Buffer.allocUnsafeSlow(Math.max(PENDING_MIN_BYTES, Math.ceil(needed * 1.5)));
      if (pending !== null) pending.copy(grown, 0, 0, pendingLength);
      pending = grown;
    }
    pending.set(bytes, pendingLength);
    pendingLength = needed;
  }

  function takePending(tail: Uint8Array): Uint8Array {
    if (pendingLength === 0) return tail;
    keep(tail);
    const joined = (pending as Buffer).subarray(0, pendingLength);
    pending = null;
    pendingLength = 0;
    return joined;
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (chunk.length === 0) return;
      const end = lastEventEnd(chunk, before);
      if (end === -1) {
        before = [...before, ...chunk.subarray(-3)].slice(-3);
        keep(chunk);
        return;
      }
      before = [...chunk.subarray(Math.max(end, chunk.length - 3))];
      controller.enqueue(takePending(chunk.subarray(0, end)));
      keep(chunk.subarray(end));
    },
    flush(controller) {
      if (pendingLength > 0) controller.enqueue(takePending(new Uint8Array(0)));
    },
  });
}

/** The least a pending event's buffer holds: most events that span reads are images. */
const PENDING_MIN_BYTES = 256 * 1024;

/** The offset just past the last delimiter that ends inside `chunk`, or -1. */
function lastEventEnd(chunk: Uint8Array, before: readonly number[]): number {
  const at = (index: number): number | undefined => (index >= 0 ? chunk[index] : before[before.length + index]);
  // From line break to line break, found by Buffer's lastIndexOf (memrchr): a read in the middle of
  // an image's base64 has none. A typed array's own lastIndexOf took ~7x as long, and a loop over
  // its 64 KB in JavaScript cost more than the rest.
  const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const lastBreak = (from: number) => (from < 0 ? -1 : Math.max(view.lastIndexOf(LF, from), view.lastIndexOf(CR, from)));
  for (let index = lastBreak(chunk.length - 1); index >= 0; index = lastBreak(index - 1)) {
    const byte = chunk[index];
    const previous = at(index - 1);
    if (previous === byte) return index + 1;
    if (byte === LF && previous === CR && at(index - 2) === LF && at(index - 3) === CR) return index + 1;
  }
  return -1;
}

/** True when the response is an SSE stream worth regrouping; errors and plain JSON pass as they are. */
export function isSseResponse(url: string, response: Response): boolean {
  if (!response.ok || !response.body) return false;
  const type = response.headers.get("content-type") ?? "";
  return type.toLowerCase().startsWith("text/event-stream") || url.includes("alt=sse");
}

/**
 * A fetch whose SSE responses reach the caller in whole events. Everything else (requests,
 * errors, non-streaming answers) is the wrapped fetch's, untouched. When `stash` gives a stash
 * for the call in progress, large events also have their big strings put into it (sse-stash.ts).
 */
export function withSseRechunking(fetchImpl: typeof fetch, options: { stash?: () => InlineStash | undefined } = {}): typeof fetch {
  return async (input, init) => {
    const stash = options.stash?.();
    const response = await fetchImpl(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!isSseResponse(url, response) || !response.body) return response;
    const events = response.body.pipeThrough(createSseRechunker());
    return new Response(stash ? events.pipeThrough(createSseStasher(stash)) : events, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
