import "server-only";

import { createStudioError } from "@/lib/gemini/errors";
import type { StudioError } from "@/lib/gemini/types";
import { INTERRUPTED_TURN_ERROR, StorageError, type OwnerId, type Storage, type Turn, type TurnOutcome } from "@/lib/storage/types";
import type { JobEventType } from "@/lib/studio/job-events";
import { storageStudioError, type EmitJobEvent, type FinalStatus, type Job } from "./job";
import type { SharedJobQueue } from "./shared-queue";

/**
 * The end of a job: its final state recorded on the turn, the terminal event, the job forgotten and
 * its slot given back. Apart from the generation because every path ends here (a cancel in the
 * queue, a start that could not be recorded, a claimed job without an API key, each way a request
 * ends), and because recording can fail: storage that refuses the write is retried, and an end it
 * keeps refusing is held in memory (`unrecorded`) and written on a timer once storage takes writes.
 */

const MAX_UNRECORDED = 100;

const TERMINAL_EVENT = {
  succeeded: "done",
  failed: "failed",
  cancelled: "cancelled",
  interrupted: "interrupted",
} as const satisfies Record<FinalStatus, JobEventType>;

export interface JobEndOptions {
  storage: Storage;
  /** Every job here, running or queued; an ended job leaves it. */
  jobs: Map<string, Job>;
  emit: EmitJobEvent;
  /** Takes the secrets out of an error before it is recorded or sent. */
  clean: (error: StudioError) => StudioError;
  /** A job that held a slot ended: the slot goes to the next one in line (local-queue.ts). */
  freeSlot: () => void;
  /** With PostgreSQL: the job leaves the shared queue once its events are published. */
  shared: Pick<SharedJobQueue, "release"> | undefined;
  finishRetryDelaysMs: readonly number[];
  settleIntervalMs: number;
}

export function createJobEnd({ storage, jobs, emit, clean, freeSlot, shared, finishRetryDelaysMs, settleIntervalMs }: JobEndOptions) {
  /**
   * Final states that storage refused to record, so followers still see how those turns ended, and
   * so they are written as soon as storage takes writes again (see settleUnrecorded).
   */
  const unrecorded = new Map<string, Turn>();
  let settleTimer: ReturnType<typeof setTimeout> | null = null;

  /** Ends a job stopped before its request began; a queued job only ever stops for these reasons. */
  function endUnstarted(job: Job): Promise<void> {
    job.finalizing = true;
    return job.stopReason === "shutdown"
      ? finish(job, "interrupted", { outcome: null, error: INTERRUPTED_TURN_ERROR, attempts: 0 })
      : finish(job, "cancelled", { outcome: null, error: createStudioError("cancelled"), attempts: 0 });
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
    if (job.state === "running") freeSlot();
  }

  return {
    finish,
    endUnstarted,
    settleUnrecorded,
    /** Ends known here that storage has not taken yet, by turn id. */
    unrecorded: unrecorded as ReadonlyMap<string, Turn>,
    /** For shutdown: the ends still unrecorded are not tried again. */
    stopSettling(): void {
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = null;
    },
  };
}

export type JobEnd = ReturnType<typeof createJobEnd>;
