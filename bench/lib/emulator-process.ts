/**
 * The Gemini emulator in its own process, as the app sees the real service: the direct-SDK
 * baseline then runs in the bench process and the app in its own, so neither shares an event
 * loop with the emulator. Started by emulator-host.ts with an IPC channel.
 *
 * The emulator records a request only when it ends; the overhead and thought-latency scenarios
 * need to know when each chunk went out. Node's HTTP server is patched here, in this process
 * only, to stamp every model request on arrival (its headers: the first bytes), the end of its
 * body, first write, thought-image write and end (the answer's last byte). Arrival to end is the
 * emulator's own time for a request.
 */
import { setMaxListeners } from "node:events";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { startEmulator } from "../../emulator/server";

export interface ChunkTiming {
  seq: number;
  url: string;
  /** Epoch milliseconds with sub-millisecond resolution (timeOrigin + performance.now()). */
  receivedAt: number;
  /** The request body's last byte read by the emulator; with receivedAt, how long the upload took. */
  bodyEndAt: number | null;
  /** The request body's bytes as read by the emulator (its content-length when the body did not end). */
  requestBytes: number | null;
  firstWriteAt: number | null;
  /** One entry per streamed chunk that carried a thought image, in order. */
  thoughtImageAt: number[];
  /** The chunk with the final image. */
  imageAt: number | null;
  endAt: number | null;
}

export type HostMessage = { type: "timings"; id: number; since: number } | { type: "clock"; id: number };
export type ChildMessage =
  | { type: "ready"; url: string }
  | { type: "timings"; id: number; timings: ChunkTiming[] }
  | { type: "clock"; id: number; now: number };

const epochNow = () => performance.timeOrigin + performance.now();
// generateContent and the Interactions API's create (not the emulator's own /_emulator/interactions).
const MODEL_CALL = /:(stream)?generateContent|^\/v1(beta|alpha)?\/interactions\/?(\?|$)/i;
const KEEP = 2_000;

const records = new WeakMap<http.ServerResponse, ChunkTiming>();
/** Body bytes read so far, by request: a chunked body (the SDK's Interactions client sends one) declares no length. */
const bodyBytes = new WeakMap<http.IncomingMessage, number>();
const finished: ChunkTiming[] = [];
let seq = 0;

const originalEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function emit(this: http.Server, event: string | symbol, ...args: unknown[]) {
  if (event === "request") {
    const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
    const url = request.url ?? "";
    if (MODEL_CALL.test(url)) {
      const declared = Number(request.headers["content-length"]);
      const record: ChunkTiming = {
        seq: ++seq,
        url,
        receivedAt: epochNow(),
        bodyEndAt: null,
        requestBytes: Number.isFinite(declared) ? declared : null,
        firstWriteAt: null,
        thoughtImageAt: [],
        imageAt: null,
        endAt: null,
      };
      // An "end" listener does not start the stream flowing: the emulator still reads the body itself.
      bodyBytes.set(request, 0);
      request.once("end", () => {
        record.bodyEndAt = epochNow();
        record.requestBytes = bodyBytes.get(request) ?? record.requestBytes;
      });
      records.set(response, record);
      // Listed on arrival; the host waits for endAt before using a record.
      finished.push(record);
      if (finished.length > KEEP) finished.splice(0, finished.length - KEEP);
      response.once("close", () => {
        record.endAt ??= epochNow();
      });
    }
  }
  return (originalEmit as (...all: unknown[]) => boolean).call(this, event, ...args);
} as typeof http.Server.prototype.emit;

// Every chunk read from a body is emitted as "data", whether the reader listens for it or calls read().
const originalMessageEmit = http.IncomingMessage.prototype.emit;
http.IncomingMessage.prototype.emit = function emit(this: http.IncomingMessage, event: string | symbol, ...args: unknown[]) {
  if (event === "data") {
    const counted = bodyBytes.get(this);
    const [chunk] = args;
    if (counted !== undefined) bodyBytes.set(this, counted + (Buffer.isBuffer(chunk) ? chunk.length : typeof chunk === "string" ? Buffer.byteLength(chunk) : 0));
  }
  return (originalMessageEmit as (...all: unknown[]) => boolean).call(this, event, ...args);
} as typeof http.IncomingMessage.prototype.emit;

function stamp(response: http.ServerResponse, chunk: unknown): void {
  const record = records.get(response);
  if (!record || chunk === undefined || chunk === null) return;
  const at = epochNow();
  record.firstWriteAt ??= at;
  // Chunks are whole JSON objects written in one call; only the start needs looking at.
  const text = typeof chunk === "string" ? chunk.slice(0, 4096) : Buffer.isBuffer(chunk) ? chunk.toString("latin1", 0, 4096) : "";
  if (!text.includes('"inlineData"')) return;
  // Field order is fixed by the emulator: a thought image part ends in "thought":true after its data.
  const tail = typeof chunk === "string" ? chunk.slice(-4096) : (chunk as Buffer).toString("latin1", Math.max(0, (chunk as Buffer).length - 4096));
  if (tail.includes('"thought":true')) record.thoughtImageAt.push(at);
  else record.imageAt ??= at;
}

const originalWrite = http.ServerResponse.prototype.write;
http.ServerResponse.prototype.write = function write(this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
  stamp(this, chunk);
  return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
} as typeof http.ServerResponse.prototype.write;

const originalEnd = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function end(this: http.ServerResponse, ...args: unknown[]) {
  const [chunk] = args;
  if (typeof chunk !== "function") stamp(this, chunk);
  const record = records.get(this);
  if (record) record.endAt = epochNow();
  return (originalEnd as (...args: unknown[]) => http.ServerResponse).apply(this, args);
} as typeof http.ServerResponse.prototype.end;

async function main(): Promise<void> {
  // The emulator adds an abort listener per request in flight; 32 at once is expected here.
  setMaxListeners(200);
  const port = Number(process.env.BENCH_EMULATOR_PORT ?? 8890);
  const emulator = await startEmulator({ port, latencyMs: 0, realisticPayload: true });
  const send = (message: ChildMessage) => process.send?.(message);
  process.on("message", (message: HostMessage) => {
    if (message.type === "timings") send({ type: "timings", id: message.id, timings: finished.filter((record) => record.seq > message.since) });
    else if (message.type === "clock") send({ type: "clock", id: message.id, now: epochNow() });
  });
  process.on("disconnect", () => {
    void emulator.close().finally(() => process.exit(0));
  });
  send({ type: "ready", url: emulator.url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
