import "server-only";

import type { GeminiGateway } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import { unusableImageError } from "@/lib/gemini/unusable-answer";
import {
  generationSettingsSchema,
  type GenerationEvent,
  type GenerationRequest,
  type StudioError,
} from "@/lib/gemini/types";
import { redactStudioError } from "@/lib/server/redact";
import { ImageStoreError } from "@/lib/storage/image-store";
import {
  INTERRUPTED_TURN_ERROR,
  StorageError,
  emptyOutcome,
  isFinishedStatus,
  type OwnerId,
  type Storage,
  type Turn,
  type TurnOutcome,
  type TurnRequest,
} from "@/lib/storage/types";
import { outputKind } from "@/lib/studio/file-names";
import { createBatchWatcher, type BatchWatcherOptions } from "./batch-watcher";
import { JobFailure, createHistoryBuilder } from "./history";
import { DEFAULT_HISTORY_CACHE_MB, createHistoryCache, type HistoryCache } from "./history-cache";
import { createOutcomeStore } from "./outcome-store";
import { replayBytesOf, requestSizeEstimatorFor, sizedReferences, type SizedReference } from "./request-size";
import type { ClaimedJob, SharedJobQueue } from "./shared-queue";
import { snapshotEvent, type JobEvent, type JobEventBody, type JobEventType, type JobListener } from "@/lib/studio/job-events";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { tooLargeReason } from "@/lib/studio/request-size";
import type { ActionResult } from "@/lib/studio/result";

/**
 * Generation as a server-side job. Starting a turn records it and returns at once; the request to
 * Gemini runs in the background of this process, so closing the tab loses nothing. Every step is
 * kept as a JSON-safe JobEvent (images as content hashes, stored the moment they arrive) in a
 * per-turn log that a late subscriber (a reload, a second tab) replays before following live.
 * When a job is over, the turn in storage is the truth and followers get it from there.
 *
 * At most maxConcurrentJobs requests run at once; further starts wait in a FIFO queue (the turn is
 * stored "queued") and run as slots free, up to maxQueuedJobs waiting, beyond which a start is
 * refused as "busy".
 *
 * Embedded, that queue and every job live in this process. With PostgreSQL, the `queue` option
 * (shared-queue.ts) holds the line for every instance: a start only enqueues, the instance that
 * claims a job runs it here through the same code, its events go through the database to followers
 * on any instance, and a cancel reaches it wherever it runs. Around this file: history.ts builds
 * what a continuation replays, event-stream.ts serves the events as SSE.
 */

// ---------------------------------------------------------------------------------------------
// The runner

export type JobErrorCode =
  | "not_found"
  | "invalid_request"
  | "request_too_large"
  | "conflict"
  | "not_configured"
  | "busy"
  | "storage_failed"
  | "internal";
export type JobResult<T> = ActionResult<T, JobErrorCode>;

export interface StartTurnInput {
  ownerId: OwnerId;
  sessionId: string;
  /** The turn this one continues; null starts a new conversation in the session. */
  parentId: string | null;
  request: TurnRequest;
}

export interface FollowResult {
  /** True while a job in this process runs the turn; false when the event came from storage. */
  live: boolean;
  unsubscribe: () => void;
}

export interface JobRunner {
  /**
   * Validates, records the turn (queued), starts the job if a slot is free (running) or else puts
   * it at the back of the queue, and returns without waiting for it.
   */
  startTurn(input: StartTurnInput): Promise<JobResult<Turn>>;
  /** Stops the job and its request to Gemini; resolves with the turn as finally stored. A finished turn is returned as it is. */
  cancel(ownerId: OwnerId, turnId: string): Promise<JobResult<Turn>>;
  /** A new sibling turn (same parent) with the identical request; a batch turn is sent again as a batch of one. */
  retry(ownerId: OwnerId, turnId: string): Promise<JobResult<Turn>>;
  /**
   * The request `count` times as one Gemini batch job (half price, within 24 h; batch-watcher.ts).
   * Its turns wait "queued" outside the runner's slots and queue, and survive restarts.
   */
  startBatch(input: StartTurnInput & { count: number }): Promise<JobResult<Turn[]>>;
  /**
   * Replays the events after `afterSeq`, then delivers new ones until the job ends. Null when no
   * job runs this turn here (finished earlier, or the server restarted): use follow() instead.
   */
  subscribe(ownerId: OwnerId, turnId: string, listener: JobListener, options?: { afterSeq?: number }): (() => void) | null;
  /** subscribe(), or else the turn's state from storage as a single snapshot event. */
  follow(ownerId: OwnerId, turnId: string, listener: JobListener, options?: { afterSeq?: number }): Promise<JobResult<FollowResult>>;
  /** True while a job here holds a slot for the turn (not while it waits in the queue). */
  isRunning(turnId: string): boolean;
  runningTurnIds(): string[];
  /** The turns waiting for a slot, first in line first. */
  queuedTurnIds(): string[];
  /** Cancels every job of a session, queued ones included, e.g. before deleting it. */
  cancelSession(ownerId: OwnerId, sessionId: string): Promise<void>;
  /** Resolves when no job is running or queued here. */
  idle(): Promise<void>;
  /** Throws when the shared queue (PostgreSQL) can't be reached; nothing to check embedded. */
  checkQueue(): Promise<void>;
  /**
   * For a graceful exit: takes no more work (embedded, a start is refused; with the shared queue it
   * waits in the line for another instance), lets the jobs here finish for up to `graceMs`, then
   * stops those left and empties the queue, marking their turns interrupted (so Retry is offered).
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
}

export interface JobRunnerOptions {
  storage: Storage;
  /** Asked at each start; null when the server has no API key. */
  gateway: () => GeminiGateway | null;
  /** Wall clock for output file names. */
  now?: () => Date;
  /** No job outlives this once it runs (time in the queue doesn't count), whatever the gateway does. */
  deadlineMs?: number;
  /** Requests to Gemini at once; more starts wait in the queue. */
  maxConcurrentJobs?: number;
  /** Starts that may wait for a slot; one more is refused as "busy". */
  maxQueuedJobs?: number;
  /** Monotonic milliseconds, for the time left of a retry wait replayed to a late follower. */
  elapsedClock?: () => number;
  /**
   * Values never to store, stream or show (the API key): the upstream may echo them in an error.
   * Every error a turn records or an event carries passes through here, whatever built it.
   */
  secrets?: readonly (string | undefined)[];
  /** Waits between attempts to record a turn's end when storage refuses it (a full disk). */
  finishRetryDelaysMs?: readonly number[];
  /** After those, how often an unrecorded end is tried again until storage takes it. */
  settleIntervalMs?: number;
  /**
   * The queue shared with other instances (PostgreSQL, shared-queue.ts). Without it (embedded), the
   * queue and every job live in this process. With it, a start only enqueues; whichever instance
   * claims the job runs it here through the same code, and its events go through the database.
   */
  queue?: SharedJobQueue;
  /**
   * Earlier model turns and reference images kept between follow-ups (history-cache.ts). Default:
   * DEFAULT_HISTORY_CACHE_MB with the default idle expiry; a cache of 0 bytes reads storage every time.
   */
  historyCache?: HistoryCache;
  /** How batch jobs are polled (batch-watcher.ts); default DEFAULT_BATCH_POLL. */
  batchPoll?: BatchWatcherOptions["poll"];
}

export const DEFAULT_JOB_DEADLINE_MS = 5 * 60_000;
export const DEFAULT_MAX_CONCURRENT_JOBS = 32;
export const DEFAULT_MAX_QUEUED_JOBS = 256;
/** The most requests one batch of the studio holds (×N goes up to 4). */
export const MAX_BATCH_SIZE = 4;
const MAX_UNRECORDED = 100;
export const DEFAULT_FINISH_RETRY_DELAYS_MS: readonly number[] = [100, 500, 2_000];
export const DEFAULT_SETTLE_INTERVAL_MS = 10_000;
/** How long a cancel waits for another instance to stop the job it runs. */
const SHARED_CANCEL_WAIT_MS = 15_000;

type StopReason = "cancelled" | "deadline" | "storage" | "shutdown" | "unusable_answer";
type FinalStatus = "succeeded" | "failed" | "cancelled" | "interrupted";

const TERMINAL_EVENT = {
  succeeded: "done",
  failed: "failed",
  cancelled: "cancelled",
  interrupted: "interrupted",
} as const satisfies Record<FinalStatus, JobEventType>;

interface Job {
  turnId: string;
  ownerId: OwnerId;
  sessionId: string;
  turn: Turn;
  /** Queued until it holds a slot; a job never goes back. */
  state: "queued" | "running";
  /** What the request needs when the job gets its slot, kept from the start. */
  gateway: GeminiGateway;
  chain: readonly Turn[];
  controller: AbortController;
  stopReason: StopReason | null;
  /** Set once the outcome is being saved: a cancel from then on is too late and is ignored. */
  finalizing: boolean;
  events: JobEvent[];
  /** When each retry wait began (by event seq), on the elapsed clock. */
  retryWaitsFrom: Map<number, number>;
  listeners: Set<JobListener>;
  stopped: Promise<null>;
  markStopped: () => void;
  /** Resolves once the final state is recorded (or known to be unrecordable) and followers have it. */
  done: Promise<void>;
  markDone: () => void;
  /** With a shared queue: the events handed to it so far are stored (in order). */
  published: Promise<void>;
}

function fail<T>(code: JobErrorCode, message: string, action?: string): JobResult<T> {
  return { ok: false, error: action ? { code, message, action } : { code, message } };
}

function storageStudioError(error: unknown): StudioError {
  const message =
    error instanceof StorageError || error instanceof ImageStoreError ? error.message : "Could not save the result in the data directory.";
  return createStudioError("internal", {
    message,
    action: "Check that the data directory exists, is writable and has free space, then retry.",
    retryable: true,
  });
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.max(1, Math.round(ms / 1000))} s`;
}

function safeCall(listener: JobListener, event: JobEvent): void {
  try {
    listener(event);
  } catch {
    // A follower that throws (e.g. a closed stream) must not take the job down with it.
  }
}

export function validateTurnRequest(request: TurnRequest): string | null {
  if (!generationSettingsSchema.safeParse(request.settings).success) return "The settings are not valid.";
  if (request.prompt.length > MAX_PROMPT_LENGTH) return `Prompts are limited to ${MAX_PROMPT_LENGTH} characters.`;
  if (request.prompt.trim() === "" && request.references.length === 0) return "Write a prompt or add a reference image.";
  return null;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { storage, queue: shared } = options;
  const now = options.now ?? (() => new Date());
  const elapsedClock = options.elapsedClock ?? (() => performance.now());
  const deadlineMs = options.deadlineMs ?? DEFAULT_JOB_DEADLINE_MS;
  const maxJobs = options.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT_JOBS;
  const maxQueued = options.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS;
  /** Every job here, running or queued. */
  const jobs = new Map<string, Job>();
  /** The queued jobs, first in line first. */
  const waiting: Job[] = [];
  /** Jobs holding a slot. */
  let running = 0;
  /** Starts between the capacity check and their job being registered. */
  let reserved = 0;
  const secrets = options.secrets ?? [];
  const finishRetryDelaysMs = options.finishRetryDelaysMs ?? DEFAULT_FINISH_RETRY_DELAYS_MS;
  const settleIntervalMs = options.settleIntervalMs ?? DEFAULT_SETTLE_INTERVAL_MS;
  /**
   * Final states that storage refused to record, so followers still see how those turns ended, and
   * so they are written as soon as storage takes writes again (see settleUnrecorded).
   */
  const unrecorded = new Map<string, Turn>();
  let settleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by shutdown(): a job claimed from the shared queue from now on goes back to it. */
  let closing = false;

  const clean = (error: StudioError): StudioError => redactStudioError(error, secrets);
  const historyCache = options.historyCache ?? createHistoryCache({ maxBytes: DEFAULT_HISTORY_CACHE_MB * 1_000_000 });
  const { loadReferences, buildHistory } = createHistoryBuilder(storage, historyCache);
  const { storeThought, storeImage, storeOutcome, knownInlineImages } = createOutcomeStore(storage);
  const requestSize = requestSizeEstimatorFor(storage);
  const batches = createBatchWatcher({ storage, gateway: options.gateway, secrets, now, ...(options.batchPoll ? { poll: options.batchPoll } : {}) });
  // Batch jobs outlive the process: pick up every one a turn still waits for.
  void batches.resume().catch(() => undefined);

  function emit(job: Job, body: JobEventBody): void {
    const safe = body.type === "retry" ? { ...body, error: clean(body.error) } : body;
    const event = { ...safe, turnId: job.turnId, seq: job.events.length + 1 } as JobEvent;
    job.events.push(event);
    if (event.type === "retry") job.retryWaitsFrom.set(event.seq, elapsedClock());
    for (const listener of [...job.listeners]) safeCall(listener, event);
    if (shared) {
      // Followers on other instances miss an event the database refused; the end is in the turn row.
      job.published = job.published.then(() => shared.publish(event)).catch(() => undefined);
    }
  }

  function stop(job: Job, reason: StopReason): void {
    if (job.stopReason || job.finalizing) return;
    job.stopReason = reason;
    job.controller.abort(reason);
    job.markStopped();
    if (job.state === "queued") {
      // It never reached Gemini: leave the line at once, so no slot goes to it, and close the turn.
      const index = waiting.indexOf(job);
      if (index !== -1) waiting.splice(index, 1);
      announcePositions(index);
      void endUnstarted(job);
    }
  }

  /** Ends a job stopped before its request began; a queued job only ever stops for these reasons. */
  function endUnstarted(job: Job): Promise<void> {
    job.finalizing = true;
    return job.stopReason === "shutdown"
      ? finish(job, "interrupted", { outcome: null, error: INTERRUPTED_TURN_ERROR, attempts: 0 })
      : finish(job, "cancelled", { outcome: null, error: createStudioError("cancelled"), attempts: 0 });
  }

  /** Tells the queued jobs from `from` on how many wait before them. */
  function announcePositions(from = 0): void {
    for (let index = Math.max(0, from); index < waiting.length; index += 1) {
      const job = waiting[index];
      if (job) emit(job, { type: "queued", ahead: index });
    }
  }

  /** Gives free slots to the oldest queued jobs. */
  function promote(): void {
    let moved = false;
    while (running < maxJobs) {
      const job = waiting.shift();
      if (!job) break;
      moved = true;
      running += 1;
      job.state = "running";
      void launch(job);
    }
    if (moved) announcePositions();
  }

  /** A queued job got its slot: record it running, tell the followers, and send the request. */
  async function launch(job: Job): Promise<void> {
    // Claimed as it was started (shared queue): recorded running, and told so, in the start itself.
    if (job.turn.status === "running" && job.events.some((event) => event.type === "started" && event.turn.status === "running")) return run(job);
    try {
      job.turn = await storage.turns.update(job.ownerId, job.turnId, { status: "running" });
    } catch (error) {
      job.finalizing = true;
      return finish(job, "failed", { outcome: null, error: storageStudioError(error), attempts: 0 });
    }
    // Cancelled while the row was being written: the request never goes out.
    if (job.stopReason) return endUnstarted(job);
    emit(job, { type: "started", turn: job.turn });
    return run(job);
  }

  /**
   * A failure that a later attempt may get past (a full disk, a locked or failing file), as opposed
   * to a turn that is gone (its session was deleted) or already finished.
   */
  function isTransient(error: unknown): boolean {
    return !(error instanceof StorageError && (error.code === "not_found" || error.code === "invalid_transition"));
  }

  async function recordEnd(ownerId: OwnerId, turnId: string, fields: { status: FinalStatus; outcome: TurnOutcome | null; error: StudioError | null; attempts: number }): Promise<Turn> {
    return storage.turns.update(ownerId, turnId, fields);
  }

  /** Tries once more to write every end storage refused; keeps trying on a timer while any is left. */
  async function settleUnrecorded(): Promise<void> {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = null;
    for (const [turnId, turn] of [...unrecorded]) {
      if (jobs.has(turnId)) continue;
      try {
        await recordEnd(turn.ownerId, turnId, {
          status: turn.status as FinalStatus,
          outcome: turn.outcome,
          error: turn.error,
          attempts: turn.attempts,
        });
        unrecorded.delete(turnId);
      } catch (error) {
        if (!isTransient(error)) unrecorded.delete(turnId);
      }
    }
    scheduleSettle();
  }

  function scheduleSettle(): void {
    if (settleTimer || unrecorded.size === 0) return;
    settleTimer = setTimeout(() => void settleUnrecorded(), settleIntervalMs);
    settleTimer.unref?.();
  }

  /**
   * Records the final state, tells the followers, and forgets the job. Storage that refuses the
   * write (disk full) is retried with backoff; if it still refuses, the end is kept in memory, shown
   * to followers, and written by settleUnrecorded as soon as storage works again, so the row never
   * stays "running" while its page offers Retry.
   */
  async function finish(
    job: Job,
    status: FinalStatus,
    given: { outcome: TurnOutcome | null; error: StudioError | null; attempts: number },
  ): Promise<void> {
    const fields = { ...given, error: given.error ? clean(given.error) : null };
    let turn: Turn | null = null;
    let failure: unknown = null;
    for (let attempt = 0; turn === null; attempt += 1) {
      try {
        turn = await recordEnd(job.ownerId, job.turnId, { status, ...fields });
      } catch (error) {
        failure = error;
        const delay = finishRetryDelaysMs[attempt];
        if (!isTransient(error) || delay === undefined) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (turn === null) {
      const at = new Date().toISOString();
      // A success that can't be recorded is reported as the failure it is; it is stored that way too.
      turn =
        status === "succeeded"
          ? { ...job.turn, ...fields, status: "failed", error: storageStudioError(failure), updatedAt: at }
          : { ...job.turn, ...fields, status, updatedAt: at };
      unrecorded.set(job.turnId, turn);
      // Only a broken disk fills this; keep the most recent ones.
      if (unrecorded.size > MAX_UNRECORDED) unrecorded.delete(unrecorded.keys().next().value ?? "");
      if (isTransient(failure)) scheduleSettle();
    }
    job.turn = turn;
    emit(job, { type: TERMINAL_EVENT[turn.status as FinalStatus], turn });
    if (shared) {
      await job.published;
      // Left behind if the database is down: the reaper of a later tick, or this one's next start, clears it.
      await shared.release(job.turnId).catch(() => undefined);
    }
    jobs.delete(job.turnId);
    job.listeners.clear();
    job.markDone();
    if (job.state === "running") {
      running -= 1;
      promote();
    }
  }

  async function run(job: Job): Promise<void> {
    const { gateway, chain } = job;
    const request = job.turn.request;
    const startedAt = now();
    const deadline = setTimeout(() => stop(job, "deadline"), deadlineMs);
    deadline.unref?.();

    // What has arrived in the current attempt, saved on the turn as it grows so that any image
    // file written is referenced by a row, even if the server dies before the end.
    let live = emptyOutcome();
    let attempts = 0;
    let storageFailure: StudioError | null = null;
    /** The answer held something that can't be an image (an SVG, base64 that isn't). */
    let answerFailure: StudioError | null = null;
    let accepting = true;
    let queue: Promise<void> = Promise.resolve();

    const savePartial = async () => {
      const turn = await storage.turns.update(job.ownerId, job.turnId, { outcome: live, attempts });
      job.turn = turn;
    };

    const handle = async (event: GenerationEvent) => {
      if (job.stopReason) return;
      switch (event.type) {
        case "attempt":
          attempts = event.attempt;
          emit(job, { type: "attempt", attempt: event.attempt, maxAttempts: event.maxAttempts });
          return;
        case "retry":
          live = emptyOutcome();
          emit(job, { type: "retry", attempt: event.attempt, maxAttempts: event.maxAttempts, delayMs: event.delayMs, error: event.error });
          return;
        case "phase":
          emit(job, { type: "phase", phase: event.phase });
          return;
        case "text":
          live.text += event.text;
          emit(job, { type: "text", text: event.text });
          return;
        case "thought": {
          if (event.thought.kind === "image") refuseUnusable(event.thought.data, event.thought.mimeType);
          const thought = await storeThought(event.thought);
          live.thoughts.push(thought);
          emit(job, { type: "thought", thought });
          if (thought.kind === "image") await savePartial();
          return;
        }
        case "image": {
          refuseUnusable(event.image.data, event.image.mimeType);
          const image = await storeImage(event.image);
          live.images.push(image);
          emit(job, { type: "image", image });
          await savePartial();
          return;
        }
      }
    };

    const refuseUnusable = (bytes: Uint8Array, mimeType: string) => {
      const problem = unusableImageError(bytes, mimeType);
      if (problem) throw new JobFailure(problem);
    };

    // The gateway reports synchronously; storing images is not. One queue keeps events in order.
    const onEvent = (event: GenerationEvent) => {
      if (!accepting) return;
      queue = queue
        .then(() => handle(event))
        .catch((error: unknown) => {
          if (error instanceof JobFailure) {
            answerFailure ??= error.error;
            stop(job, "unusable_answer");
            return;
          }
          storageFailure ??= storageStudioError(error);
          stop(job, "storage");
        });
    };

    try {
      const history = await buildHistory(job.ownerId, chain);
      const references = await loadReferences(request.references);
      const generation: GenerationRequest = { history, prompt: request.prompt, references, settings: request.settings };
      // From here a lost instance's job is finished as interrupted, never sent a second time.
      if (shared) await shared.markSent(job.turnId);
      const pending = gateway.generate(generation, { signal: job.controller.signal, onEvent });
      // A gateway that ignores the abort must not keep the job (and the turn) running.
      pending.catch(() => undefined);
      const result = await Promise.race([pending, job.stopped]);
      accepting = false;
      await queue;
      job.finalizing = true;

      const partial = live.images.length > 0 || live.thoughts.length > 0 || live.text !== "" ? live : null;
      switch (job.stopReason) {
        case "cancelled":
          return await finish(job, "cancelled", { outcome: partial, error: createStudioError("cancelled"), attempts });
        case "shutdown":
          return await finish(job, "interrupted", { outcome: partial, error: INTERRUPTED_TURN_ERROR, attempts });
        case "deadline":
          return await finish(job, "failed", {
            outcome: partial,
            attempts,
            error: createStudioError("timeout", {
              message: `The generation took longer than the studio allows (${formatDuration(deadlineMs)}) and was stopped.`,
            }),
          });
        case "storage":
          return await finish(job, "failed", { outcome: partial, error: storageFailure ?? storageStudioError(null), attempts });
        case "unusable_answer":
          return await finish(job, "failed", { outcome: partial, error: answerFailure ?? createStudioError("no_image", { retryable: true }), attempts });
        case null:
          break;
      }
      if (result === null) throw new Error("The job stopped without a reason.");

      if (result.ok) {
        // Images that never came as events are checked here, before anything is stored.
        for (const image of [...result.outcome.images, ...result.outcome.thoughts.flatMap((thought) => (thought.kind === "image" ? [thought] : []))]) {
          const problem = unusableImageError(image.data, image.mimeType);
          if (problem) return await finish(job, "failed", { outcome: partial, error: problem, attempts });
        }
        const kind = outputKind({
          hasReferences: request.references.length > 0,
          hasHistory: history.length > 0,
          grounded: result.outcome.grounding !== null,
        });
        let outcome: TurnOutcome;
        try {
          // Side by side, as both stand between the model's last byte and `done`: the named copies
          // (on S3 two HEADs and a copy each) and the model turn (its ~600 KB of signatures are one
          // row in PostgreSQL). Both are stored before the turn is recorded succeeded, so a
          // succeeded turn always has one to replay. Images that arrived as events are in the
          // store already, so the model turn names them by hash without waiting for the copies.
          const writes = Promise.allSettled([
            storeOutcome(result.outcome, { prompt: request.prompt, kind, at: startedAt }),
            storage.modelTurns.put(job.ownerId, job.turnId, result.outcome.modelTurn, knownInlineImages(result.outcome)),
          ]);
          // Measured while the writes wait on the disk.
          const replayBytes = replayBytesOf({ prompt: request.prompt, references: sizedReferences(references), modelTurn: result.outcome.modelTurn });
          const [stored, modelTurn] = await writes;
          if (stored.status === "rejected" || modelTurn.status === "rejected") {
            // A failed save leaves no model turn behind (a failed turn is not continued from it).
            if (modelTurn.status === "fulfilled") await storage.modelTurns.delete(job.ownerId, job.turnId).catch(() => undefined);
            throw stored.status === "rejected" ? stored.reason : (modelTurn as PromiseRejectedResult).reason;
          }
          outcome = stored.value;
          outcome.replayBytes = replayBytes;
        } catch (error) {
          return await finish(job, "failed", { outcome: partial, error: storageStudioError(error), attempts });
        }
        return await finish(job, "succeeded", { outcome, error: null, attempts });
      }

      let outcome: TurnOutcome | null = partial;
      if (result.outcome) {
        // Keep whatever the model did say (text, a blocked image's reason), without export copies.
        outcome = await storeOutcome(result.outcome, null).catch(() => partial);
      }
      return await finish(job, "failed", { outcome, error: result.error, attempts });
    } catch (error) {
      job.finalizing = true;
      const failure =
        error instanceof JobFailure
          ? error.error
          : error instanceof StorageError || error instanceof ImageStoreError
            ? storageStudioError(error)
            : createStudioError("internal", { detail: error instanceof Error ? error.message : String(error) });
      const partial = live.images.length > 0 || live.thoughts.length > 0 || live.text !== "" ? live : null;
      await finish(job, "failed", { outcome: partial, error: failure, attempts });
    } finally {
      clearTimeout(deadline);
    }
  }

  async function guarded<T>(work: () => Promise<JobResult<T>>): Promise<JobResult<T>> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StorageError && error.code === "not_found") return fail("not_found", "That session or turn doesn't exist.");
      if (error instanceof StorageError && error.code === "invalid_transition") return fail("conflict", error.message);
      if (error instanceof StorageError || error instanceof ImageStoreError) {
        return fail("storage_failed", error.message, "Check that the data directory exists, is writable and has free space.");
      }
      return fail("internal", "Something went wrong inside the studio.", "Try again; if it keeps happening, report it.");
    }
  }

  function newJob(given: Pick<Job, "turn" | "state" | "gateway" | "chain" | "events">): Job {
    let markStopped = () => {};
    const stopped = new Promise<null>((resolve) => {
      markStopped = () => resolve(null);
    });
    let markDone = () => {};
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    return {
      ...given,
      turnId: given.turn.id,
      ownerId: given.turn.ownerId,
      sessionId: given.turn.sessionId,
      controller: new AbortController(),
      stopReason: null,
      finalizing: false,
      retryWaitsFrom: new Map(),
      listeners: new Set(),
      stopped,
      markStopped,
      done,
      markDone,
      published: Promise.resolve(),
    };
  }

  /**
   * Checks a start (session, parent, references, the size of the request it makes) and returns the
   * chain it continues.
   */
  async function checkStart({ ownerId, sessionId, parentId, request }: StartTurnInput): Promise<JobResult<Turn[]>> {
    if (!(await storage.sessions.get(ownerId, sessionId))) return fail("not_found", "That session doesn't exist.");
    let chain: Turn[] = [];
    if (parentId !== null) {
      const found = await storage.turns.chain(ownerId, parentId);
      if (!found || found.at(-1)?.sessionId !== sessionId) return fail("not_found", "The turn to continue doesn't exist in this session.");
      if (!isFinishedStatus(found.at(-1)?.status ?? "queued")) {
        return fail("conflict", "The turn to continue hasn't finished yet.", "Wait for it to finish, or cancel it.");
      }
      chain = found;
    }
    const references: SizedReference[] = [];
    for (const reference of request.references) {
      const stored = await storage.images.get(reference.hash);
      if (!stored) return fail("invalid_request", "A reference image is no longer available.", "Add the image again.");
      references.push({ mimeType: reference.mimeType, byteLength: stored.image.byteLength, ...(reference.role ? { role: reference.role } : {}) });
    }
    // Google would take the whole upload and then answer 400: refuse before anything is stored or sent.
    const size = await requestSize.estimate(ownerId, chain, { prompt: request.prompt, references });
    if (size.level === "refuse") {
      const { message, action } = tooLargeReason(size.bytes, size.replayedTurns);
      return fail("request_too_large", message, action);
    }
    return { ok: true, data: chain };
  }

  const busy = <T>(): JobResult<T> =>
    fail(
      "busy",
      `The studio's queue is full: ${maxJobs} images are being made and ${maxQueued} more are waiting for a free slot.`,
      "Wait for some of them to finish, then try again. Whoever runs the studio can raise STUDIO_MAX_CONCURRENT_JOBS or STUDIO_MAX_QUEUED_JOBS.",
    );

  /** With a shared queue: the turn and its job are committed together; whichever instance claims it runs it. */
  async function enqueueShared(queue: SharedJobQueue, input: StartTurnInput): Promise<JobResult<Turn>> {
    return guarded(async () => {
      const checked = await checkStart(input);
      if (!checked.ok) return checked;
      const { ownerId, sessionId, parentId, request } = input;
      const queued = await queue.enqueue({ ownerId, sessionId, parentId, request }, { maxQueued });
      if (queued === "busy") return busy();
      // Registered before the start answers, so the event stream the page opens next finds it here.
      if (queued.claimed) void runClaimed(queued.claimed, queued.turn, checked.data);
      return { ok: true, data: queued.turn };
    });
  }

  /** A job of the shared queue this instance claimed: load what it needs and run it as any other. */
  async function adopt(claimed: ClaimedJob): Promise<void> {
    if (closing) {
      // Claimed as this instance began to stop: another instance runs it instead.
      await shared?.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    let turn: Turn | null;
    try {
      turn = await storage.turns.get(claimed.ownerId, claimed.turnId);
    } catch {
      // Storage can't be read right now: back to the front of the line, for any instance.
      await shared?.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    if (!turn || isFinishedStatus(turn.status)) {
      await shared?.release(claimed.turnId).catch(() => undefined);
      return;
    }
    const chain = turn.parentId === null ? [] : ((await storage.turns.chain(turn.ownerId, turn.parentId).catch(() => null)) ?? []);
    return runClaimed(claimed, turn, chain);
  }

  /** A claimed job whose turn and conversation are at hand (read by adopt, or just written by the start). */
  async function runClaimed(claimed: ClaimedJob, turn: Turn, chain: Turn[]): Promise<void> {
    if (closing) {
      // Claimed as this instance began to stop: another instance runs it instead.
      await shared?.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    running += 1;
    const gateway = options.gateway();
    const job = newJob({ turn, state: "running", gateway: gateway ?? ({} as GeminiGateway), chain, events: claimed.events });
    jobs.set(turn.id, job);
    if (!gateway) {
      job.finalizing = true;
      return finish(job, "failed", {
        outcome: null,
        error: createStudioError("internal", {
          message: "The studio instance that took this job has no Gemini API key configured.",
          action: "Give every studio instance the same GEMINI_API_KEY, then retry.",
        }),
        attempts: 0,
      });
    }
    return launch(job);
  }

  if (shared) {
    shared.attach({
      run: (claimed) => void adopt(claimed),
      cancel: (turnId) => {
        const job = jobs.get(turnId);
        if (job) stop(job, "cancelled");
      },
    });
  }

  async function startTurn(input: StartTurnInput): Promise<JobResult<Turn>> {
    const { ownerId, sessionId, parentId, request } = input;
    const problem = validateTurnRequest(request);
    if (problem) return fail("invalid_request", problem);
    const gateway = options.gateway();
    if (!gateway) {
      return fail(
        "not_configured",
        "No Gemini API key is configured on this server.",
        "Start the studio with GEMINI_API_KEY set, or run `npm start` without a key for the offline preview.",
      );
    }
    if (shared) return enqueueShared(shared, input);
    if (closing) {
      return fail("busy", "The studio is shutting down and takes no new images.", "Try again in a moment, once it has restarted.");
    }
    if (jobs.size + reserved >= maxJobs + maxQueued) return busy();
    reserved += 1;
    try {
      return await guarded(async () => {
        const checked = await checkStart(input);
        if (!checked.ok) return checked;
        const chain = checked.data;

        let turn = await storage.turns.create({ ownerId, sessionId, parentId, request });
        // Claimed before the write below, so no other start takes the same slot meanwhile.
        const slot = running < maxJobs && waiting.length === 0;
        if (slot) {
          running += 1;
          try {
            turn = await storage.turns.update(ownerId, turn.id, { status: "running" });
          } catch (error) {
            running -= 1;
            promote();
            throw error;
          }
        }
        const job = newJob({ turn, state: slot ? "running" : "queued", gateway, chain, events: [] });
        jobs.set(turn.id, job);
        emit(job, { type: "started", turn });
        if (slot) {
          void run(job);
        } else {
          waiting.push(job);
          emit(job, { type: "queued", ahead: waiting.length - 1 });
        }
        return { ok: true, data: turn };
      });
    } finally {
      reserved -= 1;
    }
  }

  async function cancel(ownerId: OwnerId, turnId: string): Promise<JobResult<Turn>> {
    const job = jobs.get(turnId);
    if (job && job.ownerId === ownerId) {
      stop(job, "cancelled");
      await job.done;
      return { ok: true, data: job.turn };
    }
    return guarded(async () => {
      const turn = await storage.turns.get(ownerId, turnId);
      if (!turn) return fail("not_found", "That turn doesn't exist.");
      if (isFinishedStatus(turn.status)) return { ok: true, data: turn };
      if (shared && !turn.request.batch) {
        const ended = await cancelShared(shared, ownerId, turnId);
        if (ended) return ended;
      }
      // Active in storage but not running here: nothing left to stop, so close the record.
      const cancelled = await storage.turns.update(ownerId, turnId, { status: "cancelled", error: createStudioError("cancelled") });
      // The batch job is cancelled at Google as soon as none of its turns waits for it any more;
      // while some still do, it is looked at now. A storage hiccup leaves it to the next poll.
      const batchName = turn.request.batch?.name;
      if (batchName && !(await batches.release(batchName, ownerId).catch(() => false))) batches.nudge(batchName);
      return { ok: true, data: cancelled };
    });
  }

  /**
   * A turn of the shared queue that no job here runs: taken out of the line if it still waits,
   * else stopped by the instance running it (told by NOTIFY, again each second until it answers).
   * Null when no instance has a job for it.
   */
  async function cancelShared(queue: SharedJobQueue, ownerId: OwnerId, turnId: string): Promise<JobResult<Turn> | null> {
    if (await queue.dequeue(turnId)) {
      const cancelled = await storage.turns.update(ownerId, turnId, { status: "cancelled", error: createStudioError("cancelled") });
      await queue.publishNext(turnId, { type: "cancelled", turn: cancelled }).catch(() => undefined);
      return { ok: true, data: cancelled };
    }
    if (!(await queue.isActive(turnId))) return null;
    const until = elapsedClock() + SHARED_CANCEL_WAIT_MS;
    for (let tick = 0; elapsedClock() < until; tick += 1) {
      if (tick % 10 === 0) await queue.requestCancel(turnId);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const turn = await storage.turns.get(ownerId, turnId);
      if (!turn) return fail("not_found", "That turn doesn't exist.");
      if (isFinishedStatus(turn.status)) return { ok: true, data: turn };
    }
    return fail("internal", "The studio instance running this image did not stop it in time.", "Try again in a few seconds.");
  }

  async function retry(ownerId: OwnerId, turnId: string): Promise<JobResult<Turn>> {
    const found = await guarded<Turn>(async () => {
      const turn = await storage.turns.get(ownerId, turnId);
      return turn ? { ok: true, data: turn } : fail("not_found", "That turn doesn't exist.");
    });
    if (!found.ok) return found;
    let turn = found.data;
    if (!isFinishedStatus(turn.status) && !jobs.has(turnId) && unrecorded.has(turnId)) {
      // Its end is known here but storage refused it so far: write it now, then retry as usual.
      await settleUnrecorded();
      if (unrecorded.has(turnId)) {
        return fail("storage_failed", "The studio still can't save to its data directory.", "Check that the data directory exists, is writable and has free space, then retry.");
      }
      const settled = await guarded<Turn>(async () => {
        const stored = await storage.turns.get(ownerId, turnId);
        return stored ? { ok: true, data: stored } : fail("not_found", "That turn doesn't exist.");
      });
      if (!settled.ok) return settled;
      turn = settled.data;
    }
    if (!isFinishedStatus(turn.status)) return fail("conflict", "This turn is still running.", "Wait for it to finish, or cancel it.");
    const { batch, ...request } = turn.request;
    if (batch) {
      const started = await startBatch({ ownerId, sessionId: turn.sessionId, parentId: turn.parentId, request, count: 1 });
      return started.ok ? { ok: true, data: started.data[0] as Turn } : started;
    }
    return startTurn({ ownerId, sessionId: turn.sessionId, parentId: turn.parentId, request });
  }

  async function startBatch(input: StartTurnInput & { count: number }): Promise<JobResult<Turn[]>> {
    const { count, ...start } = input;
    const problem = validateTurnRequest(start.request);
    if (problem) return fail("invalid_request", problem);
    if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH_SIZE) return fail("invalid_request", `A batch holds 1 to ${MAX_BATCH_SIZE} requests.`);
    if (!options.gateway()) {
      return fail("not_configured", "No Gemini API key is configured on this server.", "Start the studio with GEMINI_API_KEY set.");
    }
    return guarded(async () => {
      const checked = await checkStart(start);
      if (!checked.ok) return checked;
      const { batch: _ignored, ...request } = start.request;
      const sent = await batches.submit({ ...start, request, chain: checked.data, count });
      if (!sent.ok) return fail(sent.error.code === "invalid_request" || sent.error.code === "request_too_large" ? "invalid_request" : "internal", sent.error.message, sent.error.action);
      return { ok: true, data: sent.turns };
    });
  }

  function subscribe(ownerId: OwnerId, turnId: string, listener: JobListener, { afterSeq = 0 } = {}): (() => void) | null {
    const job = jobs.get(turnId);
    if (!job || job.ownerId !== ownerId) return null;
    for (const event of job.events) if (event.seq > afterSeq) safeCall(listener, replayed(job, event));
    job.listeners.add(listener);
    return () => {
      job.listeners.delete(listener);
    };
  }

  /**
   * A retry's delayMs counts from when the wait began: a follower who joins during it (a page that
   * opened the turn late, a reload) is told only what is left, so its countdown is not restarted.
   */
  function replayed(job: Job, event: JobEvent): JobEvent {
    if (event.type !== "retry") return event;
    const from = job.retryWaitsFrom.get(event.seq);
    if (from === undefined) return event;
    return { ...event, delayMs: Math.max(0, Math.round(event.delayMs - (elapsedClock() - from))) };
  }

  async function follow(ownerId: OwnerId, turnId: string, listener: JobListener, options: { afterSeq?: number } = {}): Promise<JobResult<FollowResult>> {
    const unsubscribe = subscribe(ownerId, turnId, listener, options);
    if (unsubscribe) return { ok: true, data: { live: true, unsubscribe } };
    if (shared) {
      // Queued, or running on another instance: its events come through the database.
      const remote = await shared.follow(ownerId, turnId, listener, options.afterSeq ?? 0).catch(() => null);
      if (remote) return { ok: true, data: { live: true, unsubscribe: remote } };
    }
    return guarded(async () => {
      const lost = unrecorded.get(turnId);
      const turn = lost?.ownerId === ownerId ? lost : await storage.turns.get(ownerId, turnId);
      if (!turn) return fail("not_found", "That turn doesn't exist.");
      safeCall(listener, snapshotEvent(turn));
      return { ok: true, data: { live: false, unsubscribe: () => {} } };
    });
  }

  async function idle(): Promise<void> {
    while (jobs.size > 0) await Promise.all([...jobs.values()].map((job) => job.done));
  }

  async function stopAll(filter: (job: Job) => boolean, reason: StopReason): Promise<void> {
    const stopping = [...jobs.values()].filter(filter);
    for (const job of stopping) stop(job, reason);
    await Promise.all(stopping.map((job) => job.done));
  }

  return {
    startTurn,
    startBatch,
    cancel,
    retry,
    subscribe,
    follow,
    isRunning: (turnId) => jobs.get(turnId)?.state === "running",
    runningTurnIds: () => [...jobs.values()].filter((job) => job.state === "running").map((job) => job.turnId),
    queuedTurnIds: () => waiting.map((job) => job.turnId),
    async cancelSession(ownerId, sessionId) {
      await stopAll((job) => job.ownerId === ownerId && job.sessionId === sessionId, "cancelled");
      if (!shared) return;
      const elsewhere = await shared.activeTurnsOfSession(ownerId, sessionId).catch(() => []);
      await Promise.all(elsewhere.map((turnId) => cancel(ownerId, turnId)));
    },
    idle,
    async checkQueue() {
      if (!shared) return;
      await shared.ping();
    },
    async shutdown({ graceMs = 0 } = {}) {
      // No new claims while this instance's own jobs are being ended.
      closing = true;
      // Waiting batch turns stay as they are: the next start watches their jobs again.
      batches.close();
      shared?.stopClaiming();
      if (graceMs > 0 && jobs.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const graceOver = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([idle(), graceOver]);
        clearTimeout(timer);
      }
      await stopAll(() => true, "shutdown");
      await shared?.close();
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = null;
    },
  };
}
