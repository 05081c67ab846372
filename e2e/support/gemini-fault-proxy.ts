import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through in front of the Gemini emulator that can answer the next generation calls with an
 * error body of our choosing. The emulator's fault kinds cover quota, 5xx, safety and broken
 * streams; the errors a key or a model earns (leaked key, model not enabled for the key, model
 * shut down, a field Google rejects) are not among them, so this puts them on the wire in the shape
 * Google sends: an HTTP status with `{"error": {code, message, status, details?}}`. Everything
 * else (model listing, the calls without an injected error) goes to the emulator untouched.
 */

export interface InjectedError {
  httpStatus: number;
  body: { error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> } };
}

/**
 * A whole answer as it goes on the wire, for answers no well-behaved server sends: a streamed body
 * that is not JSON, an SVG image part, base64 that isn't. `{{key}}` in the body becomes the API key
 * the request carried, for a proxy (or an upstream) that echoes it.
 */
export interface RawAnswer {
  raw: { httpStatus: number; contentType: string; body: string };
}

export type Injected = InjectedError | RawAnswer;

export interface FaultProxy {
  readonly url: string;
  /** Queues errors or raw answers; each generation call takes one, first in first out. */
  inject(...answers: Injected[]): void;
  /** Generation calls seen (answered here or forwarded), oldest first. */
  generationCalls(): Array<{ path: string; injected: boolean }>;
  reset(): void;
  close(): Promise<void>;
}

// interactions.create too: STUDIO_GEMINI_BACKEND=interactions generates through it.
const GENERATION_PATH = /:(stream)?[gG]enerateContent|\/interactions(\?|$)/;

export async function startFaultProxy({ port, upstream }: { port: number; upstream: string }): Promise<FaultProxy> {
  const target = new URL(upstream);
  const queue: Injected[] = [];
  const calls: Array<{ path: string; injected: boolean }> = [];

  const server = http.createServer((request, response) => {
    const url = request.url ?? "/";
    if (request.method === "POST" && GENERATION_PATH.test(url)) {
      const injected = queue.shift();
      calls.push({ path: url, injected: injected !== undefined });
      if (injected) {
        // Drain the body first: answering before the client finished sending can reset the socket.
        request.resume();
        request.on("end", () => {
          if ("raw" in injected) {
            const key = String(request.headers["x-goog-api-key"] ?? new URL(url, "http://proxy").searchParams.get("key") ?? "");
            response.writeHead(injected.raw.httpStatus, { "content-type": injected.raw.contentType });
            response.end(injected.raw.body.split("{{key}}").join(key));
            return;
          }
          response.writeHead(injected.httpStatus, { "content-type": "application/json; charset=UTF-8" });
          response.end(JSON.stringify(injected.body));
        });
        return;
      }
    }
    const forwarded = http.request(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: request.method, path: url, headers: { ...request.headers, host: target.host } },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    forwarded.on("error", () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    // A client that goes away (a cancelled generation) takes the upstream call with it.
    response.on("close", () => forwarded.destroy());
    request.pipe(forwarded);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${address.port}`,
    inject: (...errors) => queue.push(...errors),
    generationCalls: () => [...calls],
    reset() {
      queue.length = 0;
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Error bodies in the shape the Gemini API sends them. */
export const GOOGLE_ERRORS = {
  /** What Google answers for a key it found published (e.g. in a public repository). */
  leakedKey: {
    httpStatus: 403,
    body: { error: { code: 403, message: "Your API key was reported as leaked. Please use another API key.", status: "PERMISSION_DENIED" } },
  },
  /** A model the key's project may not use (not enabled, or billing required). */
  modelNotAllowed: (model: string): InjectedError => ({
    httpStatus: 403,
    body: { error: { code: 403, message: `Permission denied on resource models/${model} (or it may not exist).`, status: "PERMISSION_DENIED" } },
  }),
  /** The 404 every shut-down model id earns (wording as in test/fixtures/gemini/errors/404-model-not-found.json). */
  modelNotFound: (model: string): InjectedError => ({
    httpStatus: 404,
    body: {
      error: {
        code: 404,
        message: `models/${model} is not found for API version v1, or is not supported for streamGenerateContent. Call ListModels to see the list of available models and their supported methods.`,
        status: "NOT_FOUND",
      },
    },
  }),
  /** A field the service refuses, named the way its BadRequest errors name fields. */
  invalidAspectRatio: {
    httpStatus: 400,
    body: {
      error: {
        code: 400,
        message: "* GenerateContentRequest.generation_config.image_config.aspect_ratio: aspect ratio not supported for this model.\n",
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "generation_config.image_config.aspect_ratio", description: "aspect ratio not supported for this model." }],
          },
        ],
      },
    },
  },
} satisfies Record<string, InjectedError | ((model: string) => InjectedError)>;

function sse(...events: string[]): RawAnswer {
  return { raw: { httpStatus: 200, contentType: "text/event-stream", body: events.map((event) => `data: ${event}\r\n\r\n`).join("") } };
}

function imagePart(mimeType: string, data: string): string {
  return JSON.stringify({
    candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType, data } }] }, finishReason: "STOP", index: 0 }],
    modelVersion: "gemini-3.1-flash-image",
    responseId: "hostile-1",
  });
}

/** Answers a broken or hostile upstream (or a proxy in front of it) might send. */
export const HOSTILE_ANSWERS = {
  /** A streamed chunk cut in the middle of a JSON object. */
  malformedJson: sse('{"candidates": [{"content": {"role": "model", "parts": [{"text": "Here'),
  /** A "picture" that is an SVG drawing, declared as one. */
  svgImage: sse(imagePart("image/svg+xml", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>').toString("base64"))),
  /** Declared a PNG, but the data isn't base64 of anything. */
  invalidBase64: sse(imagePart("image/png", "!!!!not*base64***%%%%")),
  /** An upstream error that quotes the request's API key back, as some proxies do. */
  echoedKey: {
    raw: {
      httpStatus: 400,
      contentType: "application/json; charset=UTF-8",
      body: JSON.stringify({ error: { code: 400, message: "API key not valid: {{key}}. Please pass a valid API key.", status: "INVALID_ARGUMENT" } }),
    },
  },
} satisfies Record<string, RawAnswer>;
