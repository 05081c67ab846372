import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  apiKeyInvalid,
  errorForStatus,
  internalError,
  invalidArgument,
  leakedKey,
  modelNotFound,
  resourceExhausted,
  serviceBlocked,
  thinkingBudgetAndLevel,
  thinkingLevelUnsupported,
  unavailable,
  unregisteredCaller,
  type ApiErrorBody,
} from "./errors";
import { DEFAULT_SLOW_DELAY_MS, isGatewayFault, parseFaultDirective, type Fault } from "./faults";
import { pause, readBody, sendEmpty, sendJson, startEventStream, untilAborted } from "./http";
import {
  FILE_LIST_DEFAULT_PAGE_SIZE,
  FILE_LIST_MAX_PAGE_SIZE,
  fileNotAccessible,
  fileResource,
  handleUpload,
  requestOrigin,
  resolveFileParts,
} from "./files";
import { findModel, MODELS, RETIRED_MODEL_IDS, toModelResource, type ImageModelSpec, type TextModelSpec } from "./models";
import type { RequestLogEntry } from "./request-log";
import { redactBody } from "./request-log";
import { malformedJsonError, normalizeFieldNames, parseGenerateContentRequest } from "./request-schema";
import { buildResponsePlan, type ContentOutcome, type ResponsePlan } from "./response";
import type { EmulatorState } from "./state";
import {
  errorStreamEvent,
  inputToContents,
  interactionNotFound,
  interactionResource,
  modelContent,
  newInteractionId,
  parseCreateBody,
  responseToSteps,
  streamEventGroups,
  toGenerateContentRequest,
  toInteractionUsage,
  type InteractionSummary,
} from "./interactions";
import { inputImageTokens, lastUserText, resolveRequest, textTokens } from "./validation";

/** The Gemini API surface: models.list / models.get / generateContent / streamGenerateContent / countTokens. */

export type ApiRoute =
  | { kind: "list" }
  | { kind: "listTuned" }
  | { kind: "get"; modelId: string }
  | { kind: "generate"; modelId: string; stream: boolean }
  | { kind: "countTokens"; modelId: string }
  | { kind: "batchCreate"; modelId: string }
  | { kind: "batchList" }
  | { kind: "batchGet"; batchId: string }
  | { kind: "batchCancel"; batchId: string }
  | { kind: "batchDelete"; batchId: string }
  | { kind: "interactions" }
  | { kind: "fileUpload" }
  | { kind: "fileList" }
  | { kind: "fileGet"; fileId: string }
  | { kind: "fileDelete"; fileId: string };

export interface MatchedRoute {
  apiVersion: string;
  route: ApiRoute;
}

const ROUTE = /^\/(v1|v1beta|v1alpha)\/models(?:\/([^/:]+)(?::([A-Za-z]+))?)?\/?$/;
const TUNED_MODELS = /^\/(v1|v1beta|v1alpha)\/tunedModels\/?$/;
const BATCHES = /^\/(v1|v1beta|v1alpha)\/batches(?:\/([^/:]+)(?::(cancel))?)?\/?$/;

function matchBatchRoute(method: string, decoded: string): MatchedRoute | undefined {
  const match = BATCHES.exec(decoded);
  if (!match) return undefined;
  const [, apiVersion = "v1beta", batchId, action] = match;
  if (!batchId) return method === "GET" ? { apiVersion, route: { kind: "batchList" } } : undefined;
  if (action) return method === "POST" ? { apiVersion, route: { kind: "batchCancel", batchId } } : undefined;
  if (method === "GET") return { apiVersion, route: { kind: "batchGet", batchId } };
  if (method === "DELETE") return { apiVersion, route: { kind: "batchDelete", batchId } };
  return undefined;
}
const INTERACTIONS = /^\/(v1|v1beta|v1alpha)\/interactions\/?$/;
const FILE_UPLOAD = /^\/upload\/(v1|v1beta|v1alpha)\/files\/?$/;
const FILES = /^\/(v1|v1beta|v1alpha)\/files(?:\/([^/:]+))?\/?$/;

function matchFileRoute(method: string, decoded: string): MatchedRoute | undefined {
  const upload = FILE_UPLOAD.exec(decoded);
  if (upload) return method === "POST" ? { apiVersion: upload[1] ?? "v1beta", route: { kind: "fileUpload" } } : undefined;
  const match = FILES.exec(decoded);
  if (!match) return undefined;
  const [, apiVersion = "v1beta", fileId] = match;
  if (!fileId) return method === "GET" ? { apiVersion, route: { kind: "fileList" } } : undefined;
  if (method === "GET") return { apiVersion, route: { kind: "fileGet", fileId } };
  if (method === "DELETE") return { apiVersion, route: { kind: "fileDelete", fileId } };
  return undefined;
}

export function matchApiRoute(method: string, pathname: string): MatchedRoute | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const tuned = TUNED_MODELS.exec(decoded);
  if (tuned && method === "GET") return { apiVersion: tuned[1] ?? "v1beta", route: { kind: "listTuned" } };
  const batch = matchBatchRoute(method, decoded);
  if (batch) return batch;
  const file = matchFileRoute(method, decoded);
  if (file) return file;
  const interactions = INTERACTIONS.exec(decoded);
  if (interactions && method === "POST") return { apiVersion: interactions[1] ?? "v1beta", route: { kind: "interactions" } };
  const match = ROUTE.exec(decoded);
  if (!match) return undefined;
  const [, apiVersion = "v1beta", modelId, action] = match;
  if (!modelId) return method === "GET" && !action ? { apiVersion, route: { kind: "list" } } : undefined;
  if (!action) return method === "GET" ? { apiVersion, route: { kind: "get", modelId } } : undefined;
  if (method !== "POST") return undefined;
  if (action === "generateContent") return { apiVersion, route: { kind: "generate", modelId, stream: false } };
  if (action === "streamGenerateContent") return { apiVersion, route: { kind: "generate", modelId, stream: true } };
  if (action === "countTokens") return { apiVersion, route: { kind: "countTokens", modelId } };
  if (action === "batchGenerateContent") return { apiVersion, route: { kind: "batchCreate", modelId } };
  return undefined;
}

export interface ApiContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  state: EmulatorState;
  apiVersion: string;
  /** Aborts when the client disconnects or the emulator closes. */
  signal: AbortSignal;
  entry: RequestLogEntry;
}

export function authenticate(context: ApiContext): void {
  const header = context.request.headers["x-goog-api-key"];
  const key = (Array.isArray(header) ? header[0] : header) || context.url.searchParams.get("key") || "";
  const bearer = /^Bearer\s+\S+/i.test(context.request.headers.authorization ?? "");
  if (!key && !bearer) throw unregisteredCaller();
  if (key && context.state.invalidApiKeys.has(key)) throw apiKeyInvalid();
}

function generativeModel(modelId: string, apiVersion: string, method: string): ImageModelSpec | TextModelSpec {
  const model = RETIRED_MODEL_IDS.includes(modelId) ? undefined : findModel(modelId);
  if (!model || model.kind === "other") throw modelNotFound(modelId, apiVersion, method);
  return model;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/**
 * One page of a list request: `pageSize` (bounded, the default when absent or not a positive number)
 * and `pageToken` (an opaque offset, marked with `mark` so one list's token is refused by another).
 */
function requestedPage(context: ApiContext, mark: string, sizes: { default: number; max: number }): { offset: number; pageSize: number; nextToken(total: number): string | undefined } {
  const requested = Number(context.url.searchParams.get("pageSize") ?? sizes.default);
  const pageSize = Number.isFinite(requested) && requested > 0 ? Math.min(Math.floor(requested), sizes.max) : sizes.default;
  const token = context.url.searchParams.get("pageToken");
  let offset = 0;
  if (token) {
    const decoded = new RegExp(`^${mark}(\\d+)$`).exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!decoded) throw invalidArgument("Invalid page token.");
    offset = Number(decoded[1]);
  }
  const next = offset + pageSize;
  return { offset, pageSize, nextToken: (total) => (next < total ? Buffer.from(`${mark}${next}`, "utf8").toString("base64url") : undefined) };
}

export function listModels(context: ApiContext): void {
  const { offset, pageSize, nextToken } = requestedPage(context, "o", { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE });
  const body: { models: Array<Record<string, unknown>>; nextPageToken?: string } = { models: MODELS.slice(offset, offset + pageSize).map(toModelResource) };
  const nextPageToken = nextToken(MODELS.length);
  if (nextPageToken) body.nextPageToken = nextPageToken;
  sendJson(context.request, context.response, 200, body);
}

export function getModel(context: ApiContext, modelId: string): void {
  const model = RETIRED_MODEL_IDS.includes(modelId) ? undefined : findModel(modelId);
  if (!model) throw modelNotFound(modelId, context.apiVersion, "get");
  sendJson(context.request, context.response, 200, toModelResource(model));
}

async function readJsonBody(context: ApiContext): Promise<{ raw: string; json: unknown }> {
  const raw = (await readBody(context.request)).toString("utf8");
  if (!raw.trim()) return { raw, json: {} };
  try {
    return { raw, json: JSON.parse(raw) };
  } catch (error) {
    context.entry.body = raw.slice(0, 2000);
    throw malformedJsonError(raw, error);
  }
}

export async function countTokens(context: ApiContext, modelId: string): Promise<void> {
  const model = generativeModel(modelId, context.apiVersion, "countTokens");
  const { json } = await readJsonBody(context);
  context.entry.body = redactBody(json);
  const normalized = normalizeFieldNames(json);
  const inner =
    normalized !== null && typeof normalized === "object" && "generateContentRequest" in normalized
      ? normalized.generateContentRequest
      : normalized;
  const parsed = parseGenerateContentRequest(inner, context.apiVersion);
  if (!parsed.ok) throw parsed.error;
  const parts = (parsed.request.contents ?? []).flatMap((content) => content.parts ?? []);
  const text = parts.reduce((sum, part) => sum + textTokens(part.text ?? ""), 0);
  // Decoding every image just to count tokens is not worth it here; tiled models count one tile each.
  const images = parts.filter((part) => part.inlineData).length * inputImageTokens(model, undefined);
  const details = [{ modality: "TEXT", tokenCount: text }, ...(images > 0 ? [{ modality: "IMAGE", tokenCount: images }] : [])];
  sendJson(context.request, context.response, 200, { totalTokens: text + images, promptTokensDetails: details });
}

function takeFault(context: ApiContext, normalized: unknown): Fault | undefined {
  const queued = context.state.faults.take();
  if (queued) return queued;
  const directive = parseFaultDirective(lastUserText(normalized));
  if (directive && "error" in directive) throw invalidArgument(directive.error);
  return directive?.fault;
}

async function applyGatewayFault(context: ApiContext, fault: Fault, method: string): Promise<void> {
  switch (fault.kind) {
    case "leaked_key":
      throw leakedKey();
    case "service_blocked":
      throw serviceBlocked(context.apiVersion, method);
    case "thinking_level_unsupported":
      throw thinkingLevelUnsupported();
    case "thinking_budget_and_level":
      throw thinkingBudgetAndLevel();
    case "429":
      throw resourceExhausted(fault.retryDelay);
    case "500":
      throw internalError();
    case "503":
      throw unavailable();
    case "hang":
      await untilAborted(context.signal);
      return;
    default:
      return;
  }
}

function contentOutcome(fault: Fault | undefined): ContentOutcome | undefined {
  switch (fault?.kind) {
    case "image_safety":
    case "prompt_blocked":
    case "no_image":
    case "text_only":
    case "text_signed_tail":
    case "no_grounding":
    case "bare_web_chunks":
    case "no_finish":
    case "vertex_chunks":
      return fault.kind;
    default:
      return undefined;
  }
}

/**
 * Takes this request's fault and answers the ones that come before any answer (a held request
 * let go, a gateway error, a cut or an error instead of a unary body); generateContent and
 * interactions share it. What is left (a fault of the stream itself) is for the caller.
 */
async function answerEarlyFault(
  context: ApiContext,
  normalized: unknown,
  stream: boolean,
  method: string,
): Promise<{ answered: true } | { answered: false; fault: Fault | undefined }> {
  const fault = takeFault(context, normalized);
  context.entry.fault = fault ? fault.kind : null;
  if (fault?.hold && !(await context.state.held.wait(context.signal))) return { answered: true };
  if (fault && isGatewayFault(fault.kind)) {
    await applyGatewayFault(context, fault, method);
    return { answered: true };
  }
  if (fault?.kind === "cut" && !stream) {
    context.request.socket.destroy();
    return { answered: true };
  }
  if (fault?.kind === "error_chunk" && !stream) throw errorForStatus(fault.code ?? 500);
  return { answered: false, fault };
}

export async function generateContent(context: ApiContext, modelId: string, stream: boolean): Promise<void> {
  const model = generativeModel(modelId, context.apiVersion, stream ? "streamGenerateContent" : "generateContent");
  const { raw, json } = await readJsonBody(context);
  context.entry.body = redactBody(json);
  const normalized = normalizeFieldNames(json);

  const early = await answerEarlyFault(context, normalized, stream, stream ? "StreamGenerateContent" : "GenerateContent");
  if (early.answered) return;
  const fault = early.fault;

  const parsed = parseGenerateContentRequest(withFiles(context, normalized), context.apiVersion);
  if (!parsed.ok) throw parsed.error;
  const config = context.state.config;
  const resolved = await resolveRequest(model, parsed.request, {
    apiVersion: context.apiVersion,
    enforceSignatures: config.enforceSignatures,
  });
  const seed = createHash("sha256").update(`${model.id}\n${raw}`).digest("hex");
  const plan = await buildResponsePlan(resolved, { seed, realistic: config.realisticPayload, outcome: contentOutcome(fault) });
  if (plan.region) context.entry.region = plan.region;

  const delayMs = fault?.kind === "slow" ? (fault.delayMs ?? DEFAULT_SLOW_DELAY_MS) : config.latencyMs;
  if (!stream) {
    if (await pause(delayMs, context.signal)) sendJson(context.request, context.response, 200, plan.unary);
    return;
  }
  await deliverStream(context, plan, delayMs, fault);
}

/** fileData parts become the named files' bytes (files.ts); the log says which files they were. */
function withFiles(context: ApiContext, normalized: unknown): unknown {
  const { request, files } = resolveFileParts(normalized, context.state.files);
  if (files.length > 0) context.entry.files = files;
  return request;
}

function errorEvent(code: number): ApiErrorBody {
  return errorForStatus(code).body;
}

/**
 * Headers go out with the first chunk, as the real service only answers once the model has
 * produced something. Without alt=sse the real API streams one JSON array instead of events.
 */
async function deliverStream(context: ApiContext, plan: ResponsePlan, delayMs: number, fault: Fault | undefined): Promise<void> {
  const sse = context.url.searchParams.get("alt") === "sse";
  const { request, response, signal } = context;
  const stopAfter =
    fault?.kind === "cut" || fault?.kind === "error_chunk"
      ? Math.min(fault.afterChunks ?? 1, plan.chunks.length)
      : fault?.kind === "no_finish" && fault.afterChunks !== undefined
        ? Math.min(fault.afterChunks, plan.chunks.length)
        : undefined;
  const chunks = stopAfter === undefined ? plan.chunks : plan.chunks.slice(0, stopAfter);

  for (const [index, chunk] of chunks.entries()) {
    if (!(await pause(delayMs, signal))) return;
    if (index === 0) startEventStream(request, response, sse);
    const json = JSON.stringify(chunk);
    response.write(sse ? `data: ${json}\r\n\r\n` : `${index === 0 ? "[" : ",\r\n"}${json}`);
  }
  if (chunks.length === 0) {
    if (!(await pause(delayMs, signal))) return;
    startEventStream(request, response, sse);
  }

  if (fault?.kind === "cut") {
    // Give the socket a moment to flush what was written, then drop it without a terminating chunk.
    await pause(30, signal);
    response.socket?.destroy();
    return;
  }
  if (fault?.kind === "error_chunk") {
    if (!(await pause(delayMs, signal))) return;
    const json = JSON.stringify(errorEvent(fault.code ?? 500));
    response.end(sse ? `data: ${json}\r\n\r\n` : `${chunks.length === 0 ? "[" : ",\r\n"}${json}]`);
    return;
  }
  response.end(sse ? undefined : "]");
}

export async function createBatch(context: ApiContext, modelId: string): Promise<void> {
  const model = generativeModel(modelId, context.apiVersion, "batchGenerateContent");
  const { raw, json } = await readJsonBody(context);
  context.entry.body = redactBody(json);
  const config = context.state.config;
  const operation = await context.state.batches.create(model, normalizeFieldNames(json), Buffer.byteLength(raw), {
    apiVersion: context.apiVersion,
    realistic: config.realisticPayload,
    enforceSignatures: config.enforceSignatures,
  });
  sendJson(context.request, context.response, 200, operation);
}

/**
 * POST /{version}/interactions (interactions.ts): the stored conversation of
 * `previous_interaction_id` plus the new input, answered like generateContent, sent back as steps
 * (a JSON Interaction, or SSE events when `stream` is true), and stored under a new id.
 */
export async function createInteraction(context: ApiContext): Promise<void> {
  const { raw, json } = await readJsonBody(context);
  const body = parseCreateBody(json);
  const stream = body.stream === true;
  const modelId = body.model.replace(/^models\//, "");
  context.entry.model = modelId;
  const model = generativeModel(modelId, context.apiVersion, "CreateInteraction");
  const previousId = body.previous_interaction_id;
  const added = inputToContents(body.input);
  // The log shows what this request itself carried, not the conversation kept on the server.
  context.entry.body = { ...(previousId ? { previousInteractionId: previousId } : {}), ...(redactBody(toGenerateContentRequest(body, added)) as object) };
  if (added.length === 0) throw invalidArgument("input is required.");
  if (previousId && !context.state.interactions.get(previousId)) throw interactionNotFound(previousId);
  const earlier = previousId ? context.state.interactions.conversation(previousId) : [];
  const normalized = toGenerateContentRequest(body, [...earlier, ...added]);

  const early = await answerEarlyFault(context, normalized, stream, "CreateInteraction");
  if (early.answered) return;
  const fault = early.fault;

  const parsed = parseGenerateContentRequest(withFiles(context, normalized), context.apiVersion);
  if (!parsed.ok) throw parsed.error;
  const config = context.state.config;
  const resolved = await resolveRequest(model, parsed.request, { apiVersion: context.apiVersion, enforceSignatures: config.enforceSignatures });
  const seed = createHash("sha256").update(`${model.id}\ninteraction\n${previousId ?? ""}\n${raw}`).digest("hex");
  const plan = await buildResponsePlan(resolved, { seed, realistic: config.realisticPayload, outcome: contentOutcome(fault) });
  if (plan.region) context.entry.region = plan.region;

  const summary: InteractionSummary = {
    id: newInteractionId(),
    model: model.id,
    created: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    ...(previousId ? { previousInteractionId: previousId } : {}),
    steps: responseToSteps(plan.unary),
    usage: toInteractionUsage(plan.unary.usageMetadata),
  };
  if (body.store !== false) {
    const answer = modelContent(plan.unary);
    // A turn the model did not answer stays out of the conversation, as the studio leaves it out of a replay.
    context.state.interactions.put({ id: summary.id, model: model.id, previous: previousId ?? null, contents: answer ? [...added, answer] : [] });
  }

  const delayMs = fault?.kind === "slow" ? (fault.delayMs ?? DEFAULT_SLOW_DELAY_MS) : config.latencyMs;
  if (!stream) {
    if (await pause(delayMs, context.signal)) sendJson(context.request, context.response, 200, interactionResource(summary));
    return;
  }
  await deliverInteractionStream(context, streamEventGroups(summary, plan.chunks), delayMs, fault);
}

/**
 * SSE as the SDK reads it: `event: <type>` and `data: <json>` per event. A pause before each group
 * (one per generateContent chunk), headers with the first, as on the generateContent stream.
 */
async function deliverInteractionStream(context: ApiContext, groups: Array<Array<Record<string, unknown>>>, delayMs: number, fault: Fault | undefined): Promise<void> {
  const { request, response, signal } = context;
  const stopAfter = fault?.kind === "cut" || fault?.kind === "error_chunk" ? Math.min(fault.afterChunks ?? 1, groups.length) : undefined;
  const sent = stopAfter === undefined ? groups : groups.slice(0, stopAfter);
  for (const [index, events] of sent.entries()) {
    if (!(await pause(delayMs, signal))) return;
    if (index === 0) startEventStream(request, response, true);
    response.write(events.map((event) => `event: ${String(event.event_type)}\ndata: ${JSON.stringify(event)}\n\n`).join(""));
  }
  if (fault?.kind === "cut") {
    await pause(30, signal);
    response.socket?.destroy();
    return;
  }
  if (fault?.kind === "error_chunk") {
    if (!(await pause(delayMs, signal))) return;
    const event = errorStreamEvent(fault.code ?? 500);
    response.end(`event: error\ndata: ${JSON.stringify(event)}\n\n`);
    return;
  }
  response.end();
}

/** POST /upload/{version}/files: a resumable upload's start, or its bytes (files.ts). */
export async function uploadFile(context: ApiContext): Promise<void> {
  const { request, response } = context;
  const answer = await handleUpload(request, context.url, context.state.files, context.apiVersion);
  switch (answer.kind) {
    case "started":
      context.entry.body = { upload: "start", contentLength: request.headers["x-goog-upload-header-content-length"] ?? null, contentType: request.headers["x-goog-upload-header-content-type"] ?? null };
      sendEmpty(request, response, 200, {
        "x-goog-upload-url": answer.uploadUrl,
        "x-goog-upload-status": "active",
        "x-goog-upload-chunk-granularity": "8388608",
        "x-goog-upload-control-url": answer.uploadUrl,
      });
      return;
    case "active":
      context.entry.body = { upload: request.headers["x-goog-upload-command"] ?? null, offset: request.headers["x-goog-upload-offset"] ?? null, received: answer.received };
      sendEmpty(request, response, 200, { "x-goog-upload-status": "active", "x-goog-upload-size-received": String(answer.received) });
      return;
    case "final":
      context.entry.body = { upload: request.headers["x-goog-upload-command"] ?? null, offset: request.headers["x-goog-upload-offset"] ?? null, file: answer.file.name, sizeBytes: answer.file.bytes.length };
      sendJson(request, response, 200, { file: fileResource(answer.file, requestOrigin(request), context.apiVersion) }, { "x-goog-upload-status": "final" });
      return;
  }
}

/** GET /{version}/files/{id}. */
export function getFile(context: ApiContext, fileId: string): void {
  const file = context.state.files.get(fileId);
  if (!file) throw fileNotAccessible(fileId);
  sendJson(context.request, context.response, 200, fileResource(file, requestOrigin(context.request), context.apiVersion));
}

/** DELETE /{version}/files/{id}: an empty object, as for batches. */
export function deleteFile(context: ApiContext, fileId: string): void {
  if (!context.state.files.delete(fileId)) throw fileNotAccessible(fileId);
  sendJson(context.request, context.response, 200, {});
}

/** GET /{version}/files: newest first, paged like models.list; no files is an empty object. */
export function listFiles(context: ApiContext): void {
  const { offset, pageSize, nextToken } = requestedPage(context, "f", { default: FILE_LIST_DEFAULT_PAGE_SIZE, max: FILE_LIST_MAX_PAGE_SIZE });
  const all = context.state.files.list().sort((a, b) => b.createTime - a.createTime);
  const origin = requestOrigin(context.request);
  const page = all.slice(offset, offset + pageSize).map((file) => fileResource(file, origin, context.apiVersion));
  const body: { files?: Array<Record<string, unknown>>; nextPageToken?: string } = page.length > 0 ? { files: page } : {};
  const nextPageToken = nextToken(all.length);
  if (nextPageToken) body.nextPageToken = nextPageToken;
  sendJson(context.request, context.response, 200, body);
}
