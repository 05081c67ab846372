import "server-only";

import type { GeminiGateway } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import { isFinishedStatus, type OwnerId, type Storage, type Turn } from "@/lib/storage/types";
import { fail, guarded, newJob, type Job, type StopReason } from "./job";
import type { JobEnd } from "./job-end";
import type { JobResult, StartTurnInput } from "./runner-api";
import type { ClaimedJob, SharedJobQueue } from "./shared-queue";

/**
 * This instance's side of the queue shared with other instances (PostgreSQL, shared-queue.ts): a
 * start only enqueues (and runs here at once if this instance claims it in the same transaction),
 * a job claimed later is loaded and run through the same code as any other, and a cancel of a job
 * that runs elsewhere reaches the instance running it. Apart from runner.ts because none of it
 * happens embedded, where the line is local-queue.ts.
 */

/** How long a cancel waits for another instance to stop the job it runs. */
const SHARED_CANCEL_WAIT_MS = 15_000;

export interface SharedJobsOptions {
  storage: Storage;
  shared: SharedJobQueue;
  /** Every job here, running or queued. */
  jobs: Map<string, Job>;
  /** Asked for each claimed job; null when the server has no API key. */
  gateway: () => GeminiGateway | null;
  /** True once shutdown() began: a claimed job goes back to the line. */
  isClosing: () => boolean;
  /** A claimed job holds a slot here (local-queue.ts). */
  occupySlot: () => void;
  /** Records the turn running and sends the request (generation.ts). */
  launch: (job: Job) => Promise<void>;
  stop: (job: Job, reason: StopReason) => void;
  finish: JobEnd["finish"];
  /** Checks a start and returns the chain it continues (runner.ts). */
  checkStart: (input: StartTurnInput) => Promise<JobResult<Turn[]>>;
  /** The answer to a start the line has no room for. */
  busy: <T>() => JobResult<T>;
  maxQueued: number;
  /** Monotonic milliseconds, for how long a cancel waits. */
  elapsedClock: () => number;
}

export function createSharedJobs(options: SharedJobsOptions) {
  const { storage, shared, jobs, isClosing, occupySlot, launch, stop, finish, checkStart, busy, maxQueued, elapsedClock } = options;

  /** With a shared queue: the turn and its job are committed together; whichever instance claims it runs it. */
  async function enqueueShared(input: StartTurnInput): Promise<JobResult<Turn>> {
    return guarded(async () => {
      const checked = await checkStart(input);
      if (!checked.ok) return checked;
      const { ownerId, sessionId, parentId, request } = input;
      const queued = await shared.enqueue({ ownerId, sessionId, parentId, request }, { maxQueued });
      if (queued === "busy") return busy();
      // Registered before the start answers, so the event stream the page opens next finds it here.
      if (queued.claimed) void runClaimed(queued.claimed, queued.turn, checked.data);
      return { ok: true, data: queued.turn };
    });
  }

  /** A job of the shared queue this instance claimed: load what it needs and run it as any other. */
  async function adopt(claimed: ClaimedJob): Promise<void> {
    if (isClosing()) {
      // Claimed as this instance began to stop: another instance runs it instead.
      await shared.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    let turn: Turn | null;
    try {
      turn = await storage.turns.get(claimed.ownerId, claimed.turnId);
    } catch {
      // Storage can't be read right now: back to the front of the line, for any instance.
      await shared.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    if (!turn || isFinishedStatus(turn.status)) {
      await shared.release(claimed.turnId).catch(() => undefined);
      return;
    }
    const chain = turn.parentId === null ? [] : ((await storage.turns.chain(turn.ownerId, turn.parentId).catch(() => null)) ?? []);
    return runClaimed(claimed, turn, chain);
  }

  /** A claimed job whose turn and conversation are at hand (read by adopt, or just written by the start). */
  async function runClaimed(claimed: ClaimedJob, turn: Turn, chain: Turn[]): Promise<void> {
    if (isClosing()) {
      // Claimed as this instance began to stop: another instance runs it instead.
      await shared.requeue(claimed.turnId).catch(() => undefined);
      return;
    }
    occupySlot();
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

  /**
   * A turn of the shared queue that no job here runs: taken out of the line if it still waits,
   * else stopped by the instance running it (told by NOTIFY, again each second until it answers).
   * Null when no instance has a job for it.
   */
  async function cancelShared(ownerId: OwnerId, turnId: string): Promise<JobResult<Turn> | null> {
    if (await shared.dequeue(turnId)) {
      const cancelled = await storage.turns.update(ownerId, turnId, { status: "cancelled", error: createStudioError("cancelled") });
      await shared.publishNext(turnId, { type: "cancelled", turn: cancelled }).catch(() => undefined);
      return { ok: true, data: cancelled };
    }
    if (!(await shared.isActive(turnId))) return null;
    const until = elapsedClock() + SHARED_CANCEL_WAIT_MS;
    for (let tick = 0; elapsedClock() < until; tick += 1) {
      if (tick % 10 === 0) await shared.requestCancel(turnId);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const turn = await storage.turns.get(ownerId, turnId);
      if (!turn) return fail("not_found", "That turn doesn't exist.");
      if (isFinishedStatus(turn.status)) return { ok: true, data: turn };
    }
    return fail("internal", "The studio instance running this image did not stop it in time.", "Try again in a few seconds.");
  }

  shared.attach({
    run: (claimed) => void adopt(claimed),
    cancel: (turnId) => {
      const job = jobs.get(turnId);
      if (job) stop(job, "cancelled");
    },
  });

  return { enqueue: enqueueShared, cancel: cancelShared };
}
