import "server-only";

import type { GeminiGateway } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import type { StudioError } from "@/lib/gemini/types";
import { ImageStoreError } from "@/lib/storage/image-store";
import { StorageError, type OwnerId, type Turn } from "@/lib/storage/types";
import type { JobEvent, JobEventBody, JobListener } from "@/lib/studio/job-events";
import type { ActionResult } from "@/lib/studio/result";
import type { JobErrorCode, JobResult } from "./runner-api";

/**
 * One job as the runner's modules share it: its record (state, abort, event log, followers, the
 * promises that say it stopped or ended) and the few helpers each of them needs to turn a failure
 * into what a turn records (storageStudioError) or what a caller gets back (fail, guarded). Apart
 * so that the queue, the generation and the end of a job can each be read without the others.
 */

export type StopReason = "cancelled" | "deadline" | "storage" | "shutdown" | "unusable_answer";
export type FinalStatus = "succeeded" | "failed" | "cancelled" | "interrupted";

export interface Job {
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

/** Adds an event to the job's log and hands it to its followers (runner.ts). */
export type EmitJobEvent = (job: Job, body: JobEventBody) => void;

export function newJob(given: Pick<Job, "turn" | "state" | "gateway" | "chain" | "events">): Job {
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

export function fail<T>(code: JobErrorCode, message: string, action?: string): JobResult<T> {
  return { ok: false, error: action ? { code, message, action } : { code, message } };
}

/**
 * Runs `work`, turning a storage failure or an unexpected throw into a result from the closed set.
 * Any result whose codes include the job's (the session layer's too: lib/server/sessions.ts).
 */
export async function guarded<T, C extends string = JobErrorCode>(work: () => Promise<ActionResult<T, C | JobErrorCode>>): Promise<ActionResult<T, C | JobErrorCode>> {
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

export function storageStudioError(error: unknown): StudioError {
  const message =
    error instanceof StorageError || error instanceof ImageStoreError ? error.message : "Could not save the result in the data directory.";
  return createStudioError("internal", {
    message,
    action: "Check that the data directory exists, is writable and has free space, then retry.",
    retryable: true,
  });
}
