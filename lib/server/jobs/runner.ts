import "server-only";

import { createStudioError } from "@/lib/gemini/errors";
import { generationSettingsSchema, type StudioError } from "@/lib/gemini/types";
import { redactStudioError } from "@/lib/server/redact";
import { isFinishedStatus, type OwnerId, type Turn, type TurnRequest } from "@/lib/storage/types";
import { snapshotEvent, type JobEvent, type JobEventBody, type JobListener } from "@/lib/studio/job-events";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { tooLargeReason } from "@/lib/studio/request-size";
import { createBatchWatcher } from "./batch-watcher";
import { createGeneration } from "./generation";
import { createHistoryBuilder } from "./history";
import { DEFAULT_HISTORY_CACHE_MB, createHistoryCache } from "./history-cache";
import { fail, guarded, newJob, type Job, type StopReason } from "./job";
import { createJobEnd } from "./job-end";
import { createLocalQueue } from "./local-queue";
import { createOutcomeStore } from "./outcome-store";
import { requestSizeEstimatorFor, type SizedReference } from "./request-size";
import {
  DEFAULT_FINISH_RETRY_DELAYS_MS,
  DEFAULT_JOB_DEADLINE_MS,
  DEFAULT_MAX_CONCURRENT_JOBS,
  DEFAULT_MAX_QUEUED_JOBS,
  DEFAULT_SETTLE_INTERVAL_MS,
  MAX_BATCH_SIZE,
  type FollowResult,
  type JobResult,
  type JobRunner,
  type JobRunnerOptions,
  type StartTurnInput,
} from "./runner-api";
import { createSharedJobs } from "./shared-jobs";

export * from "./runner-api";

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
 *
 * This file checks and starts turns, keeps each job's event log and followers, and wires together
 * the parts of a job's life, each in its own file so it reads in one sitting: runner-api.ts (what
 * callers see), job.ts (the record of one job), local-queue.ts (slots and the line in this
 * process), shared-jobs.ts (this instance's side of the shared queue), generation.ts (one request,
 * from its slot to the stored outcome) and job-end.ts (recording how it ended, retried while
 * storage refuses).
 */

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
  const secrets = options.secrets ?? [];
  /** Set by shutdown(): a job claimed from the shared queue from now on goes back to it. */
  let closing = false;

  const clean = (error: StudioError): StudioError => redactStudioError(error, secrets);
  const historyCache = options.historyCache ?? createHistoryCache({ maxBytes: DEFAULT_HISTORY_CACHE_MB * 1_000_000 });
  const line = createLocalQueue({ jobs, maxJobs, maxQueued, emit, launch: (job) => generation.launch(job) });
  const ends = createJobEnd({
    storage,
    jobs,
    emit,
    clean,
    freeSlot: line.freeSlot,
    shared,
    finishRetryDelaysMs: options.finishRetryDelaysMs ?? DEFAULT_FINISH_RETRY_DELAYS_MS,
    settleIntervalMs: options.settleIntervalMs ?? DEFAULT_SETTLE_INTERVAL_MS,
  });
  const { finish, endUnstarted, settleUnrecorded, unrecorded } = ends;
  const generation = createGeneration({
    storage,
    history: createHistoryBuilder(storage, historyCache),
    outcomes: createOutcomeStore(storage),
    emit,
    stop,
    finish,
    endUnstarted,
    now,
    deadlineMs,
    shared,
  });
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
      line.leave(job);
      void endUnstarted(job);
    }
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

  const sharedJobs = shared
    ? createSharedJobs({
        storage,
        shared,
        jobs,
        gateway: options.gateway,
        isClosing: () => closing,
        occupySlot: line.occupySlot,
        launch: generation.launch,
        stop,
        finish,
        checkStart,
        busy,
        maxQueued,
        elapsedClock,
      })
    : null;

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
    if (sharedJobs) return sharedJobs.enqueue(input);
    if (closing) {
      return fail("busy", "The studio is shutting down and takes no new images.", "Try again in a moment, once it has restarted.");
    }
    if (!line.reserve()) return busy();
    try {
      return await guarded(async () => {
        const checked = await checkStart(input);
        if (!checked.ok) return checked;
        const chain = checked.data;

        let turn = await storage.turns.create({ ownerId, sessionId, parentId, request });
        // Claimed before the write below, so no other start takes the same slot meanwhile.
        const slot = line.takeFreeSlot();
        if (slot) {
          try {
            turn = await storage.turns.update(ownerId, turn.id, { status: "running" });
          } catch (error) {
            line.freeSlot();
            throw error;
          }
        }
        const job = newJob({ turn, state: slot ? "running" : "queued", gateway, chain, events: [] });
        jobs.set(turn.id, job);
        emit(job, { type: "started", turn });
        if (slot) {
          void generation.run(job);
        } else {
          line.enqueue(job);
        }
        return { ok: true, data: turn };
      });
    } finally {
      line.unreserve();
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
      if (sharedJobs && !turn.request.batch) {
        const ended = await sharedJobs.cancel(ownerId, turnId);
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
    queuedTurnIds: line.queuedTurnIds,
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
      ends.stopSettling();
    },
  };
}
