import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate, countTokens, createBatch, createInteraction, deleteFile, generateContent, getFile, getModel, listFiles, listModels, matchApiRoute, uploadFile, type ApiContext } from "./api";
import { handleControl } from "./control";
import { EmulatorApiError, internalError } from "./errors";
import { sendApiError, sendJson, sendNotFoundPage, sendPreflight } from "./http";
import { redactHeaders, redactPath } from "./request-log";
import { EmulatorState, type EmulatorOptions } from "./state";

export type { EmulatorOptions } from "./state";

/**
 * A Gemini Developer API emulator on node:http, faithful to the wire format recorded from the
 * real service (test/fixtures/gemini). Start it in tests with `startEmulator({ port: 0 })` and
 * point the SDK at it with `httpOptions: { baseUrl: emulator.url }`.
 */

export interface RunningEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function routeApi(context: ApiContext, pathname: string): Promise<boolean> {
  const matched = matchApiRoute(context.request.method ?? "GET", pathname);
  if (!matched) return false;
  context.apiVersion = matched.apiVersion;
  context.entry.apiVersion = matched.apiVersion;
  const route = matched.route;
  if ("modelId" in route) context.entry.model = route.modelId.replace(/^models\//, "");
  authenticate(context);
  switch (route.kind) {
    case "list":
      listModels(context);
      break;
    case "listTuned":
      // A key without tuned models gets an empty object, not an empty list.
      sendJson(context.request, context.response, 200, {});
      break;
    case "get":
      getModel(context, route.modelId);
      break;
    case "countTokens":
      await countTokens(context, route.modelId);
      break;
    case "batchCreate":
      await createBatch(context, route.modelId);
      break;
    case "batchList":
      sendJson(context.request, context.response, 200, context.state.batches.list());
      break;
    case "batchGet":
      sendJson(context.request, context.response, 200, context.state.batches.get(route.batchId));
      break;
    case "batchCancel":
      context.state.batches.cancel(route.batchId);
      sendJson(context.request, context.response, 200, {});
      break;
    case "batchDelete":
      context.state.batches.delete(route.batchId);
      sendJson(context.request, context.response, 200, {});
      break;
    case "fileUpload":
      await uploadFile(context);
      break;
    case "fileList":
      listFiles(context);
      break;
    case "fileGet":
      getFile(context, route.fileId);
      break;
    case "fileDelete":
      deleteFile(context, route.fileId);
      break;
    case "interactions":
      context.state.inFlight.enter();
      try {
        await createInteraction(context);
      } finally {
        context.state.inFlight.leave();
      }
      break;
    case "generate":
      context.state.inFlight.enter();
      try {
        await generateContent(context, route.modelId, route.stream);
      } finally {
        context.state.inFlight.leave();
      }
      break;
  }
  return true;
}

async function handle(request: IncomingMessage, response: ServerResponse, state: EmulatorState, closing: AbortSignal): Promise<void> {
  const url = new URL(request.url ?? "/", "http://emulator.invalid");
  const pathname = url.pathname;
  if (pathname === "/_emulator" || pathname.startsWith("/_emulator/")) {
    await handleControl(request, response, pathname, state);
    return;
  }
  if (request.method === "OPTIONS") {
    sendPreflight(request, response);
    return;
  }

  const started = Date.now();
  const entry = state.requests.add({
    time: new Date(started).toISOString(),
    method: request.method ?? "GET",
    path: redactPath(request.url ?? "/"),
    model: null,
    apiVersion: null,
    headers: redactHeaders(request.headers),
    body: null,
    status: null,
    fault: null,
    durationMs: null,
  });
  const controller = new AbortController();
  const abort = () => controller.abort();
  closing.addEventListener("abort", abort, { once: true });
  response.on("close", () => {
    closing.removeEventListener("abort", abort);
    controller.abort();
    entry.status = response.headersSent ? response.statusCode : null;
    entry.durationMs = Date.now() - started;
    state.writeLog(`${entry.method} ${entry.path} -> ${entry.status ?? "dropped"}${entry.fault ? ` [fault ${entry.fault}]` : ""} (${entry.durationMs} ms)`);
  });

  const context: ApiContext = { request, response, url, state, apiVersion: "v1beta", signal: controller.signal, entry };
  try {
    if (!(await routeApi(context, pathname))) sendNotFoundPage(request, response, pathname);
  } catch (error) {
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    if (error instanceof EmulatorApiError) {
      sendApiError(request, response, error);
      return;
    }
    state.writeLog(`internal emulator error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendApiError(request, response, internalError());
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const closing = new AbortController();
  const server = createServer((request, response) => {
    handle(request, response, state, closing.signal).catch((error: unknown) => {
      state.writeLog(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
      response.destroy();
    });
  });
  // Image requests can be large and slow to upload; never time them out server-side.
  server.requestTimeout = 0;
  server.headersTimeout = 0;

  const host = options.host ?? "127.0.0.1";
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging and streaming requests would otherwise keep close() waiting forever.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
