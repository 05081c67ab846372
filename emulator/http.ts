import type { IncomingMessage, ServerResponse } from "node:http";
import { invalidArgument, notFoundHtml, type EmulatorApiError } from "./errors";

/** Small node:http helpers shared by the API routes and the control endpoints. */

export const JSON_CONTENT_TYPE = "application/json; charset=UTF-8";

/** Since January 2026 the inline request limit is 100 MB (it was 20 MB). */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/** Headers Google's front end puts on every API response. */
export function frontEndHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {
    vary: "Origin, X-Origin, Referer",
    server: "scaffolding on HTTPServer2",
    "x-xss-protection": "0",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
  };
  const origin = request.headers.origin;
  if (origin) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-expose-headers"] = "vary,vary,vary,content-encoding,date,server,content-length";
  }
  return headers;
}

export function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  // The real service pretty-prints JSON bodies with two-space indentation.
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, {
    ...frontEndHeaders(request),
    ...headers,
    "content-type": JSON_CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** An answer with headers only, as the upload front end gives while an upload is under way. */
export function sendEmpty(request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { ...frontEndHeaders(request), ...headers, "content-length": 0 });
  response.end();
}

export function sendApiError(request: IncomingMessage, response: ServerResponse, error: EmulatorApiError): void {
  sendJson(request, response, error.httpStatus, error.body);
}

export function sendNotFoundPage(request: IncomingMessage, response: ServerResponse, path: string): void {
  if (response.headersSent) return;
  const html = notFoundHtml(path);
  response.writeHead(404, {
    ...frontEndHeaders(request),
    "content-type": "text/html; charset=UTF-8",
    "content-length": Buffer.byteLength(html),
  });
  response.end(html);
}

export function sendPreflight(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    ...frontEndHeaders(request),
    "access-control-allow-methods": "DELETE,GET,HEAD,PATCH,POST,PUT",
    "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "content-type,x-goog-api-key",
    "access-control-max-age": "3600",
    "content-length": 0,
  });
  response.end();
}

export function startEventStream(request: IncomingMessage, response: ServerResponse, sse: boolean): void {
  response.writeHead(200, {
    ...frontEndHeaders(request),
    "content-type": sse ? "text/event-stream" : JSON_CONTENT_TYPE,
    "content-disposition": "attachment",
  });
}

/**
 * The body, or Google's 400 once it passes the limit. The 400 goes out at once and the rest of the
 * body is read and dropped: a server that stops reading (or closes) while bytes still arrive makes
 * the kernel answer them with a reset, which can reach the client before it has read the 400 (it
 * then sees ECONNRESET and retries a network error) or hit its next call on the kept-alive socket.
 */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_REQUEST_BYTES) throw payloadTooLarge(request);
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early must not destroy the request, as that destroys its socket too.
  for await (const chunk of request.iterator({ destroyOnReturn: false })) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buffer.length;
    if (total > MAX_REQUEST_BYTES) break;
    chunks.push(buffer);
  }
  // After the loop, so that the iterator no longer holds the stream paused.
  if (total > MAX_REQUEST_BYTES) throw payloadTooLarge(request);
  return Buffer.concat(chunks);
}

/** Google's words for it; what is left of the body is dropped as it arrives. */
function payloadTooLarge(request: IncomingMessage): EmulatorApiError {
  request.resume();
  return invalidArgument(`Request payload size exceeds the limit: ${MAX_REQUEST_BYTES} bytes.`);
}

/** Resolves after `ms`, or early (false) when the client goes away. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  // Even with no latency, each chunk goes out on its own, as the real service sends each event when
  // the model produces it: a response write corks the socket until the next tick, so chunks written
  // back to back through resolved promises would all leave together after the last one.
  if (ms <= 0) return new Promise((resolve) => setImmediate(() => resolve(!signal.aborted)));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
