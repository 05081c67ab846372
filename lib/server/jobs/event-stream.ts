import "server-only";

import type { OwnerId } from "@/lib/storage/types";
import { isTerminalJobEvent, type JobEvent } from "@/lib/studio/job-events";
import type { JobRunner } from "./runner";

/** A turn's job events as a server-sent event stream, for /api/turns/[id]/events. */

const encoder = new TextEncoder();

/** One SSE message: the event name is the JobEvent type, the data its JSON, the id its seq. */
export function formatSseEvent(event: JobEvent): string {
  const id = event.seq > 0 ? `id: ${event.seq}\n` : "";
  // JSON.stringify escapes line breaks inside strings, so the data is always one line.
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export const SSE_HEARTBEAT_MS = 15_000;
/** How long a browser's EventSource waits before reconnecting, e.g. to poll a turn running elsewhere. */
export const SSE_RETRY_MS = 3_000;

export interface TurnEventStreamOptions {
  ownerId: OwnerId;
  turnId: string;
  /** From the Last-Event-ID header of a reconnecting EventSource: skip what it already has. */
  afterSeq?: number;
  /** The request's signal: the client went away. */
  signal?: AbortSignal;
  heartbeatMs?: number;
}

/**
 * The turn's events as an SSE byte stream that ends after the terminal event. Null when the turn
 * doesn't exist for this owner. When no job runs the turn here, the stream carries one snapshot
 * event from storage and ends; for a turn still active elsewhere the browser reconnects after
 * SSE_RETRY_MS, which polls until it finishes.
 */
export async function openTurnEventStream(runner: JobRunner, options: TurnEventStreamOptions): Promise<ReadableStream<Uint8Array> | null> {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined = undefined;

  function close() {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (heartbeat) clearInterval(heartbeat);
    options.signal?.removeEventListener("abort", close);
    try {
      controller?.close();
    } catch {
      // The client cancelled the stream first.
    }
  }
  function send(text: string) {
    if (closed || !controller) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      close();
    }
  }

  // start() runs inside the constructor, so the controller exists before any event is sent;
  // what is sent before the client reads waits in the stream's queue.
  const stream = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
    },
    cancel() {
      close();
    },
  });
  send(`retry: ${SSE_RETRY_MS}\n\n`);

  const followed = await runner.follow(
    options.ownerId,
    options.turnId,
    (event) => {
      send(formatSseEvent(event));
      if (isTerminalJobEvent(event)) close();
    },
    { afterSeq: options.afterSeq },
  );
  if (!followed.ok) {
    closed = true;
    return null;
  }
  if (closed || !followed.data.live || options.signal?.aborted) {
    // The replay already ended with the terminal event, or the snapshot from storage was all there is.
    followed.data.unsubscribe();
    close();
    return stream;
  }
  unsubscribe = followed.data.unsubscribe;
  heartbeat = setInterval(() => send(": heartbeat\n\n"), options.heartbeatMs ?? SSE_HEARTBEAT_MS);
  heartbeat.unref?.();
  options.signal?.addEventListener("abort", close, { once: true });
  return stream;
}
