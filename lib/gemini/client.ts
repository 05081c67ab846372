import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { ApiError, GoogleGenAI, JobState, type InlinedResponse } from "@google/genai";
import { MODEL_CATALOG, conservativeProfile, resolveModel, type ModelProfile } from "./catalog";
import { ERROR_COPY, createStudioError, errorFromOutcome, errorFromService, fixForRejection, retiredModelError, toStudioError, type ErrorContext } from "./errors";
import { createFileUploads, isMissingFileError, type AttachedFiles } from "./files";
import { discoverModels, type ListedModel, type ModelDiscovery } from "./models";
import { buildInteractionBody, createInteractionTranslator, isLostInteraction, previousInteractionId, type InteractionEvent } from "./interactions";
import { planGeneration, type GenerationPlan } from "./request";
import { createRequestStash, withRequestStash, type RequestStash } from "./request-stash";
import { createResponseFolder, type ResponseFolder, type WireChunk } from "./response";
import { withRetries, type AttemptResult, type RetryPolicy, type Sleep } from "./retry";
import { withSseRechunking } from "./sse-rechunk";
import { createInlineStash, type InlineStash } from "./sse-stash";
import {
  generationSettingsSchema,
  type GenerationEvent,
  type GenerationOutcome,
  type GenerationRequest,
  type GenerationSettings,
  type StudioError,
} from "./types";

export interface GeminiGatewayOptions {
  apiKey: string;
  /** Another endpoint speaking the Gemini API, e.g. the bundled emulator. */
  baseUrl?: string;
  /** Per attempt, covering the whole streamed answer. */
  timeoutMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** STUDIO_DEFAULT_MODEL, used by listModels to pick the default. */
  defaultModel?: string;
  catalog?: readonly ModelProfile[];
  /**
   * STUDIO_GEMINI_STORE: sent as `store` on every generateContent request (GenerateContentConfig.store
   * in @google/genai 3.1, Developer API only; false is Google's per-request opt-out of request
   * storage); undefined sends nothing and leaves Google's default.
   */
  store?: boolean;
  /**
   * STUDIO_GEMINI_BACKEND: which API generates. "generateContent" (the default) replays the whole
   * conversation on every follow-up; "interactions" keeps it on Google's side and sends only the
   * new message with previous_interaction_id (interactions.ts).
   */
  backend?: GeminiBackend;
  /**
   * STUDIO_GEMINI_FILES: on generateContent, user-side images (references, earlier user turns' images)
   * go up once through the Files API and are named by URI afterwards (files.ts). Off by default.
   */
  files?: boolean;
  /** Where the gateway reports what it worked around without failing the turn (a failed upload). */
  warn?: (event: string, fields: Record<string, unknown>) => void;
  /** How long models.list answers are kept: a rejected key is not asked about on every page load. */
  modelsCacheMs?: { success: number; failure: number };
  /** Replaces the HTTP client, for tests that check what goes on the wire. */
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
}

export const GEMINI_BACKENDS = ["generateContent", "interactions"] as const;
export type GeminiBackend = (typeof GEMINI_BACKENDS)[number];

export interface GenerateOptions {
  signal?: AbortSignal;
  onEvent?: (event: GenerationEvent) => void;
}

export type GenerateResult = { ok: true; outcome: GenerationOutcome } | { ok: false; error: StudioError; outcome?: GenerationOutcome };

/** On failure the static catalog is still returned, so controls can render while the error is shown. */
export type ListModelsResult = ({ ok: true } & ModelDiscovery) | ({ ok: false; error: StudioError } & ModelDiscovery);

export interface GeminiGateway {
  listModels(options?: { signal?: AbortSignal }): Promise<ListModelsResult>;
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerateResult>;
  /** The Batch API (half price, answered within 24 h); absent on gateways that can't batch. */
  batches?: GeminiBatches;
}

/** Where a batch stands when asked; a failed poll (`ok: false`) says nothing about the batch itself. */
export type BatchPoll =
  | { ok: true; state: "waiting" }
  /** One result per request, in the order they were submitted, each as generate() would return it. */
  | { ok: true; state: "succeeded"; results: GenerateResult[] }
  | { ok: true; state: "failed" | "expired" | "cancelled" }
  | { ok: false; error: StudioError; gone: boolean };

export interface GeminiBatches {
  /** Sends `count` copies of the request as one batch job; its resource name (batches/…) on success. */
  submit(request: GenerationRequest, count: number): Promise<{ ok: true; name: string } | { ok: false; error: StudioError }>;
  poll(name: string, settings: GenerationSettings): Promise<BatchPoll>;
  /** Best effort: a batch that already ended can't be cancelled, and that is fine. */
  cancel(name: string): Promise<void>;
}

/** Long enough for a 4K Pro image with high thinking; a hung connection still ends. */
export const DEFAULT_TIMEOUT_MS = 180_000;

export const DEFAULT_MODELS_CACHE_MS = { success: 60_000, failure: 30_000 };

export function createGeminiGateway(options: GeminiGatewayOptions): GeminiGateway {
  // The attempt a fetch belongs to: the SDK calls fetch from inside generateContentStream, with
  // no way to hand it anything per call.
  const attemptStash = new AsyncLocalStorage<{ answer: InlineStash; request?: RequestStash }>();
  const ai = new GoogleGenAI({
    apiKey: options.apiKey,
    // The SDK retries nothing unless retryOptions is set; withRetries does it, visibly.
    httpOptions: {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      // The SDK's own SSE reader is quadratic in the size of an event: feed it whole events.
      // The request's big strings skip its JSON encoding and go back into the body here.
      fetch: withSseRechunking(
        withRequestStash(options.fetch ?? ((input, init) => globalThis.fetch(input, init)), () => attemptStash.getStore()?.request),
        { stash: () => attemptStash.getStore()?.answer },
      ),
    },
  });
  const catalog = options.catalog ?? MODEL_CATALOG;
  const fileUploads = options.files && options.backend !== "interactions" ? createFileUploads({ ai, now: options.now ?? Date.now, warn: options.warn }) : null;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const retryOptions = { policy: options.retryPolicy, sleep: options.sleep, random: options.random, now };

  const modelsCacheMs = options.modelsCacheMs ?? DEFAULT_MODELS_CACHE_MS;
  let listed: { value: Promise<ListModelsResult>; settled: ListModelsResult | null; expiresAt: number } | null = null;

  /**
   * One models.list per cache period, shared by everyone who asks meanwhile; a failure (a rejected
   * key, Google down) is kept for a shorter time so a fixed key shows up soon. Once an answer is
   * old, the next caller still gets it at once while a fresh one is fetched (page loads never wait
   * on Google after the first). A caller's cancel only stops its own wait.
   */
  function listModels({ signal }: { signal?: AbortSignal } = {}): Promise<ListModelsResult> {
    const previous = listed;
    let current = previous;
    if (!current || (current.settled && now() >= current.expiresAt)) {
      const entry: NonNullable<typeof listed> = { value: fetchModels(), settled: null, expiresAt: Number.POSITIVE_INFINITY };
      listed = current = entry;
      void entry.value.then((result) => {
        entry.settled = result;
        entry.expiresAt = now() + (result.ok ? modelsCacheMs.success : modelsCacheMs.failure);
      });
      if (previous?.settled) return Promise.resolve(previous.settled);
    }
    const shared = current.value;
    if (!signal) return shared;
    return new Promise<ListModelsResult>((resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      void shared.then(resolve, reject);
    });
  }

  async function fetchModels(): Promise<ListModelsResult> {
    const result = await withRetries<ListedModel[]>(
      async () => {
        const attempt = attemptSignal(undefined, timeoutMs);
        try {
          const pager = await ai.models.list({ config: { pageSize: 1000, abortSignal: attempt.signal } });
          const listed: ListedModel[] = [];
          for await (const model of pager) listed.push(model);
          return { ok: true, value: listed };
        } catch (error) {
          return { ok: false, error: toStudioError(error, { abortReason: attempt.abortReason() }) };
        } finally {
          attempt.dispose();
        }
      },
      retryOptions,
    );
    const discovery = discoverModels(result.ok ? result.value : null, { defaultModelId: options.defaultModel, catalog });
    return result.ok ? { ok: true, ...discovery } : { ok: false, error: result.error, ...discovery };
  }

  /** The request as it goes on the wire, or why it can't be sent. */
  function prepare(request: GenerationRequest) {
    const refuse = (error: StudioError) => ({ ok: false as const, error });
    const settings = generationSettingsSchema.safeParse(request.settings);
    if (!settings.success) {
      return refuse(createStudioError("invalid_request", { detail: settings.error.issues.map((issue) => issue.message).join("; ") }));
    }
    const resolution = resolveModel(settings.data.model, catalog);
    if (resolution.retired) {
      // The id no longer answers; sending it would only earn a 404.
      return refuse(retiredModelError(resolution.requestedId, resolution.retired.replacementId, catalog));
    }
    const profile = resolution.profile ?? conservativeProfile(resolution.requestedId);
    const plan = planGeneration({ ...request, settings: settings.data }, profile);
    if (plan.problems.length > 0) {
      return refuse(
        createStudioError("invalid_request", {
          message: "This request can't be sent as it is.",
          detail: plan.problems.join("\n"),
        }),
      );
    }
    return { ok: true as const, plan, profile, settings: settings.data };
  }

  async function generate(request: GenerationRequest, { signal, onEvent }: GenerateOptions = {}): Promise<GenerateResult> {
    const emit = (event: GenerationEvent) => onEvent?.(event);
    const prepared = prepare(request);
    if (!prepared.ok) return prepared;
    const { plan, profile, settings } = prepared;
    const startedAt = now();
    const clock = () => now() - startedAt;
    const errorContext = { model: profile.id, catalog, settings };
    // A stream that ends without a finish reason is resent once, and only when nothing costly had
    // arrived; any later one stops, so a request that may be billed is not repeated silently.
    let earlyEnds = 0;
    const store = options.store === undefined ? {} : { store: options.store };
    // The replayed conversation's images and signatures, once, for every attempt.
    const requestStash = createRequestStash();
    // Files API step (STUDIO_GEMINI_FILES, files.ts): user-side images named by URI; when Google
    // says a named file is gone, its entries are dropped, uploaded again and the request resent once.
    let files: AttachedFiles | null = fileUploads ? await fileUploads.attach(plan.call.contents, signal) : null;
    let filesRenewed = false;
    let contents = requestStash.stashContents(files?.contents ?? plan.call.contents);
    const sendWithFiles = async <T>(send: () => Promise<T>): Promise<T> => {
      try {
        return await send();
      } catch (error) {
        if (!fileUploads || !files || files.keys.length === 0 || filesRenewed || !isMissingFileError(error)) throw error;
        filesRenewed = true;
        fileUploads.forget(files.keys);
        files = await fileUploads.attach(plan.call.contents, signal);
        contents = requestStash.stashContents(files.contents);
        return send();
      }
    };

    const interactionAttempt = options.backend === "interactions" ? createInteractionAttempt(plan, request) : null;
    const result = await withRetries<GenerationOutcome>(
      async () => {
        if (interactionAttempt) {
          const attempt = attemptSignal(signal, timeoutMs);
          try {
            const settled = await interactionAttempt(attempt, emit, (folder) => settle(folder, errorContext, earlyEnds === 0));
            if (settled.incomplete && !settled.result.ok) earlyEnds += 1;
            return settled.result;
          } catch (error) {
            return { ok: false, error: toStudioError(interactionError(error), { ...errorContext, abortReason: attempt.abortReason() }) };
          } finally {
            attempt.dispose();
          }
        }
        const attempt = attemptSignal(signal, timeoutMs);
        let folder: ResponseFolder | null = null;
        try {
          emit({ type: "phase", phase: "sending" });
          // Big strings of the answer skip the SDK's copies and come back into its chunks here.
          const stash = createInlineStash();
          const stream = await sendWithFiles(() =>
            attemptStash.run({ answer: stash, request: requestStash }, () =>
              ai.models.generateContentStream({
                ...plan.call,
                contents,
                config: { ...plan.call.config, ...store, abortSignal: attempt.signal },
              }),
            ),
          );
          folder = createResponseFolder(plan.effective.expectedPixelSize, clock, plan.warnings);
          for await (const chunk of stream) {
            for (const event of folder.push(stash.restore(chunk))) emit(event);
            if (folder.streamError) break;
          }
          const settled = settle(folder, errorContext, earlyEnds === 0);
          if (!folder.complete && !settled.ok) earlyEnds += 1;
          return settled;
        } catch (error) {
          const studioError = toStudioError(error, { ...errorContext, abortReason: attempt.abortReason() });
          return { ok: false, error: studioError, value: folder?.finish() };
        } finally {
          attempt.dispose();
        }
      },
      { ...retryOptions, signal, onEvent: emit },
    );
    if (!result.ok) return fail(result.error, result.value);
    // The resend is said in the progress while it happens; the result keeps saying it, since the
    // first attempt may be billed too.
    const resent = earlyEnds > 0 ? [EARLY_END_RESENT] : [];
    return { ok: true, outcome: { ...result.value, warnings: [...result.value.warnings, ...resent] } };
  }

  /**
   * One attempt at a time through the Interactions API. Continues from the last answered turn's
   * interaction when it has one; when Google no longer knows that id, the same attempt sends the
   * whole conversation instead, and so do the attempts after it.
   */
  function createInteractionAttempt(plan: GenerationPlan, request: GenerationRequest) {
    // Without storage at Google there is nothing to continue from.
    let continueFrom = options.store === false ? undefined : previousInteractionId(request.history);
    const clockStart = now();
    return async (
      { signal, abortReason }: { signal: AbortSignal; abortReason: () => "cancelled" | "timeout" | undefined },
      emit: (event: GenerationEvent) => void,
      settleFolder: (folder: ResponseFolder) => AttemptResult<GenerationOutcome>,
    ): Promise<{ result: AttemptResult<GenerationOutcome>; incomplete: boolean }> => {
      emit({ type: "phase", phase: "sending" });
      let stream: AsyncIterable<InteractionEvent>;
      // The answer's images and signatures skip the SDK's copies here too (sse-stash.ts): its
      // stream reader decodes, splits and parses every event whole (~14 ms for one 1.1 MB image
      // event in a micro-benchmark on the bench machine); they come back into the translated
      // chunks below.
      const stash = createInlineStash();
      for (;;) {
        const body = buildInteractionBody(plan, { continueFrom, store: options.store });
        try {
          // The studio's own retries (withRetries) decide what is resent; the SDK's stay off, and
          // automatic continuation would add hops the studio never sees.
          stream = (await attemptStash.run({ answer: stash }, () =>
            ai.interactions.create({ ...body, automatic_continuation: false } as never, { retries: { strategy: "none" }, signal }),
          )) as unknown as AsyncIterable<InteractionEvent>;
          break;
        } catch (error) {
          const status = (error as { statusCode?: unknown }).statusCode;
          if (continueFrom && typeof status === "number" && isLostInteraction(status, (error as { body?: string }).body)) {
            continueFrom = undefined;
            continue;
          }
          throw error;
        }
      }
      const folder = createResponseFolder(plan.effective.expectedPixelSize, () => now() - clockStart, plan.warnings);
      const translator = createInteractionTranslator();
      // The SDK's stream notices an abort only when its next event arrives; a cancel must not wait
      // for the model's next step, so each read races the signal.
      const events = stream[Symbol.asyncIterator]();
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      });
      aborted.catch(() => undefined);
      try {
        for (;;) {
          const next = await Promise.race([events.next(), aborted]);
          if (next.done) break;
          for (const chunk of translator.push(next.value)) for (const generated of folder.push(stash.restore(chunk))) emit(generated);
          if (folder.streamError) break;
        }
      } catch (error) {
        // What arrived before the stream broke is kept, as on the generateContent path.
        return { result: { ok: false, error: toStudioError(interactionError(error), { abortReason: abortReason() }), value: folder.finish() }, incomplete: false };
      } finally {
        // Closes the connection of a stream left unread (cancel, error event).
        void events.return?.().catch(() => undefined);
      }
      const result = settleFolder(folder);
      const id = translator.interactionId;
      if (result.ok && id) {
        // Kept with the turn: the next follow-up continues from here and sends only its own message.
        return { result: { ok: true, value: { ...result.value, modelTurn: { ...result.value.modelTurn, interactionId: id } } }, incomplete: false };
      }
      return { result, incomplete: !folder.complete };
    };
  }

  const store = options.store === undefined ? {} : { store: options.store };
  const batches: GeminiBatches = {
    async submit(request, count) {
      const prepared = prepare(request);
      if (!prepared.ok) return prepared;
      const { plan, profile, settings } = prepared;
      try {
        const inlined = { contents: plan.call.contents, config: { ...plan.call.config, ...store } };
        const job = await ai.batches.create({
          model: profile.id,
          src: Array.from({ length: count }, () => inlined),
          config: { displayName: `studio ×${count}` },
        });
        if (!job.name) return { ok: false, error: createStudioError("internal", { detail: "Google accepted the batch but gave it no name." }) };
        return { ok: true, name: job.name };
      } catch (error) {
        return { ok: false, error: toStudioError(error, { model: profile.id, catalog, settings }) };
      }
    },
    async poll(name, settings) {
      const profile = resolveModel(settings.model, catalog).profile ?? conservativeProfile(settings.model);
      const errorContext = { model: profile.id, catalog, settings };
      let job;
      try {
        job = await ai.batches.get({ name });
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        return { ok: false, error: toStudioError(error, errorContext), gone: status === 404 };
      }
      switch (job.state) {
        case JobState.JOB_STATE_SUCCEEDED: {
          // Planned again only for the size to expect; references don't change it.
          const plan = planGeneration({ history: [], prompt: "", references: [], settings }, profile);
          const results = (job.dest?.inlinedResponses ?? []).map((item) => batchResult(item, plan.effective.expectedPixelSize, errorContext));
          return { ok: true, state: "succeeded", results };
        }
        case JobState.JOB_STATE_FAILED:
          return { ok: true, state: "failed" };
        case JobState.JOB_STATE_EXPIRED:
          return { ok: true, state: "expired" };
        case JobState.JOB_STATE_CANCELLED:
          return { ok: true, state: "cancelled" };
        default:
          return { ok: true, state: "waiting" };
      }
    },
    async cancel(name) {
      await ai.batches.cancel({ name }).catch(() => undefined);
    },
  };

  return { listModels, generate, batches };
}

/** One answer of a batch, folded and judged exactly as a streamed answer that arrived in one chunk. */
function batchResult(item: InlinedResponse, expected: Parameters<typeof createResponseFolder>[0], context: ErrorContext): GenerateResult {
  if (item.error || !item.response) {
    return fail(errorFromService(item.error?.code ?? 500, { code: item.error?.code, message: item.error?.message ?? "The batch returned no answer for this request." }, context));
  }
  const folder = createResponseFolder(expected, () => 0);
  folder.push(item.response as WireChunk);
  const settled = settle(folder, context, false);
  return settled.ok ? { ok: true, outcome: settled.value } : fail(settled.error, settled.value);
}

/**
 * The Interactions client throws its own errors (statusCode and the body as text); as the
 * generateContent client's ApiError they map through the same table of studio errors.
 */
function interactionError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  const body = (error as { body?: unknown }).body;
  if (typeof status === "number" && typeof body === "string") return new ApiError({ message: body, status });
  return error;
}

export const EARLY_END_RESENT =
  "Google's first answer ended after its first chunk without finishing; the studio sent the request once more (the first attempt may be billed for its prompt).";

/** Below this many chunks with no image among them, an early end cost next to nothing. */
const CHEAP_EARLY_END_CHUNKS = 1;

function settle(folder: ResponseFolder, context: ErrorContext, mayResend: boolean): AttemptResult<GenerationOutcome> {
  const outcome = folder.finish();
  if (folder.streamError) return { ok: false, error: withContext(folder.streamError, context), value: outcome };
  if (!folder.complete) {
    // The connection closed cleanly but the model never said it was done. Vertex-style proxies
    // never send a finish reason: a final image that arrived whole is kept, with a note.
    if (outcome.images.length > 0) {
      return {
        ok: true,
        value: { ...outcome, warnings: [...outcome.warnings, "Google's answer ended without saying it was finished; the image arrived whole, but text after it may be missing."] },
      };
    }
    const cheap = folder.chunkCount <= CHEAP_EARLY_END_CHUNKS && !folder.sawImage;
    const resend = cheap && mayResend;
    return {
      ok: false,
      error: createStudioError("incomplete", {
        retryable: resend,
        message: resend
          ? "Google's answer ended after its first chunk, before anything costly arrived: resending once."
          : ERROR_COPY.incomplete.message,
        detail: `The stream closed after ${folder.chunkCount} chunk${folder.chunkCount === 1 ? "" : "s"} without a finish reason${outcome.thoughts.length > 0 ? "; the thoughts that arrived are kept" : ""}.`,
        action: folder.sawImage || folder.chunkCount > CHEAP_EARLY_END_CHUNKS
          ? "Retry sends the request again; Google may bill the first attempt's thinking too, so the studio did not resend it on its own."
          : ERROR_COPY.incomplete.action,
      }),
      value: outcome,
    };
  }
  const error = errorFromOutcome(outcome);
  return error ? { ok: false, error, value: outcome } : { ok: true, value: outcome };
}

/** An error event inside the stream is mapped without the request's settings; add the fix now. */
function withContext(error: StudioError, context: ErrorContext): StudioError {
  if (error.code !== "invalid_request" || error.fix || !error.detail) return error;
  const fix = fixForRejection(error.detail, context);
  return fix ? { ...error, fix } : error;
}

function fail(error: StudioError, outcome?: GenerationOutcome): GenerateResult {
  return outcome ? { ok: false, error, outcome } : { ok: false, error };
}

/**
 * One attempt's abort signal: follows the caller's cancel and adds a timeout, and remembers which
 * of the two fired, since both surface from the SDK as the same AbortError.
 */
function attemptSignal(caller: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener("abort", onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The attempt timed out", "TimeoutError"));
  }, timeoutMs);
  return {
    signal: controller.signal,
    abortReason: (): "cancelled" | "timeout" | undefined => (caller?.aborted ? "cancelled" : timedOut ? "timeout" : undefined),
    // Aborting on the way out closes a stream left unread (e.g. after an error event).
    dispose: () => {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
      controller.abort();
    },
  };
}
