import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { EmulatorApiError, invalidArgument } from "./errors";
import { isGatewayFault, parseFaultDirective, type Fault } from "./faults";
import type { ImageModelSpec, TextModelSpec } from "./models";
import { normalizeFieldNames, parseGenerateContentRequest } from "./request-schema";
import { buildResponsePlan, type ContentOutcome, type WireResponse } from "./response";
import { lastUserText, resolveRequest } from "./validation";

/**
 * The Batch API (`models/{m}:batchGenerateContent`, `batches/{id}`, `:cancel`, delete, list) for
 * inlined requests. A batch is a long-running operation: the create answer and every GET carry
 * `{name, metadata: {@type GenerateContentBatch, state: BATCH_STATE_*, batchStats, output?}, done?,
 * response?}`, which the SDK maps to BatchJob (`metadata.state` -> JOB_STATE_*, `metadata.output
 * .inlinedResponses.inlinedResponses` -> `dest.inlinedResponses`). The envelope is *described*
 * (the SDK's converters and Google's batch docs); no recording of it is in test/fixtures/gemini.
 *
 * Every answer is computed when the batch is created, with the same pipeline as generateContent, so
 * a batch's images, signatures and usage are those a direct request would get. When it "finishes"
 * is the test's choice (control.ts): after a delay (default 1 s), or only when told; and whether it
 * then succeeds, fails or expires.
 */

export type BatchState =
  | "BATCH_STATE_PENDING"
  | "BATCH_STATE_RUNNING"
  | "BATCH_STATE_SUCCEEDED"
  | "BATCH_STATE_FAILED"
  | "BATCH_STATE_CANCELLED"
  | "BATCH_STATE_EXPIRED";

export type BatchEnding = "succeeded" | "failed" | "expired";

/** Google's documented inline limit for a batch (the whole create body). */
export const MAX_INLINE_BATCH_BYTES = 20 * 1024 * 1024;
export const DEFAULT_BATCH_DELAY_MS = 1_000;

export const batchSettingsSchema = z.strictObject({
  /** Time from create to the end; null: the batch waits until POST /_emulator/batches/finish. */
  delayMs: z.number().int().min(0).max(86_400_000).nullable().optional(),
  ending: z.enum(["succeeded", "failed", "expired"]).optional(),
});
export type BatchSettings = { delayMs: number | null; ending: BatchEnding };

export const finishBatchesSchema = z.strictObject({
  ending: z.enum(["succeeded", "failed", "expired"]).optional(),
});

const inlinedRequestSchema = z.looseObject({
  request: z.unknown(),
  metadata: z.record(z.string(), z.string()).optional(),
});
const createBodySchema = z.looseObject({
  batch: z.looseObject({
    displayName: z.string().optional(),
    inputConfig: z.looseObject({
      requests: z.looseObject({ requests: z.array(inlinedRequestSchema).min(1) }).optional(),
      fileName: z.string().optional(),
    }),
  }),
});

type InlinedResponse =
  | { response: WireResponse; metadata?: Record<string, string> }
  | { error: { code: number; message: string; status: string }; metadata?: Record<string, string> };

interface Batch {
  id: string;
  model: string;
  displayName: string;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  /** When it ends by itself; null waits for the control endpoint. */
  endsAt: number | null;
  ending: BatchEnding;
  state: BatchState;
  responses: InlinedResponse[];
}

const TERMINAL: ReadonlySet<BatchState> = new Set(["BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"]);
const ENDING_STATE: Record<BatchEnding, BatchState> = {
  succeeded: "BATCH_STATE_SUCCEEDED",
  failed: "BATCH_STATE_FAILED",
  expired: "BATCH_STATE_EXPIRED",
};

function notFound(): EmulatorApiError {
  return new EmulatorApiError({ error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } });
}

function contentOutcome(fault: Fault | undefined): ContentOutcome | undefined {
  if (!fault || isGatewayFault(fault.kind)) return undefined;
  switch (fault.kind) {
    case "image_safety":
    case "prompt_blocked":
    case "no_image":
    case "text_only":
      return fault.kind;
    default:
      return undefined;
  }
}

/** One request of the batch, answered as generateContent would; a bad one gets its own error, as Google reports per request. */
async function answer(
  model: ImageModelSpec | TextModelSpec,
  raw: unknown,
  index: number,
  apiVersion: string,
  options: { realistic: boolean; enforceSignatures: boolean },
): Promise<InlinedResponse> {
  try {
    const normalized = normalizeFieldNames(raw);
    const directive = parseFaultDirective(lastUserText(normalized));
    if (directive && "error" in directive) throw invalidArgument(directive.error);
    const parsed = parseGenerateContentRequest(normalized, apiVersion);
    if (!parsed.ok) throw parsed.error;
    const resolved = await resolveRequest(model, parsed.request, { apiVersion, enforceSignatures: options.enforceSignatures });
    // The place in the batch is part of the seed: N copies of one request get their own signatures.
    const seed = createHash("sha256").update(`${model.id}\n${index}\n${JSON.stringify(raw)}`).digest("hex");
    const plan = await buildResponsePlan(resolved, { seed, realistic: options.realistic, outcome: contentOutcome(directive?.fault) });
    return { response: plan.unary };
  } catch (error) {
    if (error instanceof EmulatorApiError) return { error: error.body.error };
    throw error;
  }
}

export class BatchStore {
  private readonly batches = new Map<string, Batch>();
  private settings: BatchSettings = { delayMs: DEFAULT_BATCH_DELAY_MS, ending: "succeeded" };

  constructor(private readonly clock: () => number = Date.now) {}

  configure(changes: Partial<BatchSettings>): BatchSettings {
    this.settings = { ...this.settings, ...changes };
    return this.settings;
  }

  get current(): BatchSettings {
    return this.settings;
  }

  async create(
    model: ImageModelSpec | TextModelSpec,
    body: unknown,
    rawBytes: number,
    options: { apiVersion: string; realistic: boolean; enforceSignatures: boolean },
  ): Promise<Record<string, unknown>> {
    if (rawBytes > MAX_INLINE_BATCH_BYTES) {
      throw invalidArgument(`Request payload size exceeds the limit: ${MAX_INLINE_BATCH_BYTES} bytes.`);
    }
    const parsed = createBodySchema.safeParse(body);
    if (!parsed.success) throw invalidArgument("Invalid batch: `batch.inputConfig.requests.requests` must list at least one request.");
    const input = parsed.data.batch.inputConfig;
    if (!input.requests) throw invalidArgument("The emulator only takes inlined requests, not `fileName`.");
    const responses: InlinedResponse[] = [];
    for (const [index, item] of input.requests.requests.entries()) {
      const answered = await answer(model, item.request ?? {}, index, options.apiVersion, options);
      responses.push(item.metadata ? { ...answered, metadata: item.metadata } : answered);
    }
    const now = this.clock();
    const id = randomBytes(12).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0");
    const batch: Batch = {
      id,
      model: model.id,
      displayName: parsed.data.batch.displayName ?? `batch-${id}`,
      createdAt: now,
      updatedAt: now,
      endedAt: null,
      endsAt: this.settings.delayMs === null ? null : now + this.settings.delayMs,
      ending: this.settings.ending,
      state: "BATCH_STATE_PENDING",
      responses,
    };
    this.batches.set(id, batch);
    // The create answer is always the pending operation, however short the wait.
    return this.operation(batch, { advance: false });
  }

  get(id: string): Record<string, unknown> {
    return this.operation(this.find(id));
  }

  list(): Record<string, unknown> {
    return { operations: [...this.batches.values()].map((batch) => this.operation(batch)) };
  }

  /** A finished batch can't be cancelled (Google answers FAILED_PRECONDITION, *described*). */
  cancel(id: string): void {
    const batch = this.find(id);
    this.advance(batch);
    if (TERMINAL.has(batch.state)) {
      throw new EmulatorApiError({ error: { code: 400, message: `Batch ${id} has already finished (${batch.state}).`, status: "FAILED_PRECONDITION" } });
    }
    this.end(batch, "BATCH_STATE_CANCELLED");
  }

  delete(id: string): void {
    this.find(id);
    this.batches.delete(id);
  }

  /** Ends every batch still waiting, now: the test's way to land a batch at a moment it picks. */
  finishAll(ending?: BatchEnding): number {
    let count = 0;
    for (const batch of this.batches.values()) {
      this.advance(batch);
      if (TERMINAL.has(batch.state)) continue;
      this.end(batch, ENDING_STATE[ending ?? batch.ending]);
      count += 1;
    }
    return count;
  }

  summary(): Array<{ name: string; state: BatchState; requestCount: number; model: string }> {
    return [...this.batches.values()].map((batch) => {
      this.advance(batch);
      return { name: `batches/${batch.id}`, state: batch.state, requestCount: batch.responses.length, model: batch.model };
    });
  }

  clear(): void {
    this.batches.clear();
    this.settings = { delayMs: DEFAULT_BATCH_DELAY_MS, ending: "succeeded" };
  }

  private find(id: string): Batch {
    const batch = this.batches.get(id);
    if (!batch) throw notFound();
    return batch;
  }

  private end(batch: Batch, state: BatchState): void {
    const now = this.clock();
    batch.state = state;
    batch.endedAt = now;
    batch.updatedAt = now;
  }

  /** States move on when read: pending for the first half of the wait, running for the rest. */
  private advance(batch: Batch): void {
    if (TERMINAL.has(batch.state)) return;
    const now = this.clock();
    if (batch.endsAt !== null && now >= batch.endsAt) {
      this.end(batch, ENDING_STATE[batch.ending]);
      return;
    }
    const runningFrom = batch.endsAt === null ? batch.createdAt : batch.createdAt + (batch.endsAt - batch.createdAt) / 2;
    if (batch.state === "BATCH_STATE_PENDING" && now >= runningFrom) {
      batch.state = "BATCH_STATE_RUNNING";
      batch.updatedAt = now;
    }
  }

  private operation(batch: Batch, { advance = true } = {}): Record<string, unknown> {
    if (advance) this.advance(batch);
    const name = `batches/${batch.id}`;
    const succeeded = batch.state === "BATCH_STATE_SUCCEEDED";
    const failedRequests = succeeded ? batch.responses.filter((item) => "error" in item).length : 0;
    const count = batch.responses.length;
    const done = TERMINAL.has(batch.state);
    const output = { inlinedResponses: { inlinedResponses: batch.responses } };
    // int64 fields are strings in proto JSON.
    const batchStats = succeeded
      ? { requestCount: String(count), successfulRequestCount: String(count - failedRequests), ...(failedRequests ? { failedRequestCount: String(failedRequests) } : {}) }
      : done
        ? { requestCount: String(count) }
        : { requestCount: String(count), pendingRequestCount: String(count) };
    const metadata: Record<string, unknown> = {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
      model: `models/${batch.model}`,
      displayName: batch.displayName,
      createTime: new Date(batch.createdAt).toISOString(),
      updateTime: new Date(batch.updatedAt).toISOString(),
      ...(batch.endedAt !== null ? { endTime: new Date(batch.endedAt).toISOString() } : {}),
      batchStats,
      state: batch.state,
      name,
      ...(succeeded ? { output } : {}),
    };
    const operation: Record<string, unknown> = { name, metadata };
    if (done) operation.done = true;
    if (succeeded) operation.response = { "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput", ...output };
    if (batch.state === "BATCH_STATE_FAILED") operation.error = { code: 13, message: "Batch failed: an internal error occurred while processing the batch." };
    if (batch.state === "BATCH_STATE_EXPIRED") operation.error = { code: 4, message: "Batch expired: it did not finish within 24 hours." };
    return operation;
  }
}
