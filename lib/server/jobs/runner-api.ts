import type { GeminiGateway } from "@/lib/gemini/client";
import type { OwnerId, Storage, Turn, TurnRequest } from "@/lib/storage/types";
import type { JobListener } from "@/lib/studio/job-events";
import type { ActionResult } from "@/lib/studio/result";
import type { BatchWatcherOptions } from "./batch-watcher";
import type { HistoryCache } from "./history-cache";
import type { SharedJobQueue } from "./shared-queue";

/**
 * What callers of the job runner see: its methods, its options and their defaults, the codes its
 * results fail with. Kept apart from the machinery (runner.ts and the modules it wires together)
 * so the contract reads in one place; runner.ts re-exports all of it, so callers import "./runner".
 */

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
export const DEFAULT_FINISH_RETRY_DELAYS_MS: readonly number[] = [100, 500, 2_000];
export const DEFAULT_SETTLE_INTERVAL_MS = 10_000;
