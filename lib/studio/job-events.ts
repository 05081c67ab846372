import type { GenerationPhase, StudioError } from "@/lib/gemini/types";
import type { StoredImageRef, StoredThought, Turn, TurnStatus } from "@/lib/storage/types";

/**
 * What a generation job reports as it runs, JSON-safe (images as content hashes), in the order it
 * happened. The server sends these over SSE (lib/server/jobs/event-stream.ts); the browser folds
 * them into its live view (lib/store/live-progress.ts). Shared by both sides, so nothing here
 * may reach for server-only code.
 */

export type JobEventBody =
  /**
   * First event of every job, with the turn queued or running; a queued job sends it again, with
   * the turn running, when it gets a slot. Also sent from storage for a turn that is active elsewhere.
   */
  | { type: "started"; turn: Turn }
  /** The job waits for a free slot behind `ahead` others; sent again each time it moves up. */
  | { type: "queued"; ahead: number }
  | { type: "attempt"; attempt: number; maxAttempts: number }
  /** What arrived so far belongs to a failed attempt: followers clear their live view. */
  | { type: "retry"; attempt: number; maxAttempts: number; delayMs: number; error: StudioError }
  | { type: "phase"; phase: GenerationPhase }
  | { type: "thought"; thought: StoredThought }
  /** A piece of the model's text, to append. */
  | { type: "text"; text: string }
  /** A final image. Its fileName is null until the turn is done; the done event carries the names. */
  | { type: "image"; image: StoredImageRef }
  | { type: "done"; turn: Turn }
  | { type: "failed"; turn: Turn }
  | { type: "cancelled"; turn: Turn }
  | { type: "interrupted"; turn: Turn };

/** `seq` counts from 1 within a job (the SSE event id); 0 marks an event built from storage. */
export type JobEvent = JobEventBody & { turnId: string; seq: number };
export type JobEventType = JobEvent["type"];

export const JOB_EVENT_TYPES = [
  "started",
  "queued",
  "attempt",
  "retry",
  "phase",
  "thought",
  "text",
  "image",
  "done",
  "failed",
  "cancelled",
  "interrupted",
] as const satisfies readonly JobEventType[];

export const TERMINAL_JOB_EVENT_TYPES = ["done", "failed", "cancelled", "interrupted"] as const satisfies readonly JobEventType[];

export function isTerminalJobEvent(event: JobEvent): event is Extract<JobEvent, { type: (typeof TERMINAL_JOB_EVENT_TYPES)[number] }> {
  return (TERMINAL_JOB_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** The event that tells a follower where a turn stands when no job is running it here. */
export function snapshotEvent(turn: Turn): JobEvent {
  const base = { turnId: turn.id, seq: 0, turn };
  const byStatus: Record<TurnStatus, JobEvent> = {
    queued: { ...base, type: "started" },
    running: { ...base, type: "started" },
    succeeded: { ...base, type: "done" },
    failed: { ...base, type: "failed" },
    cancelled: { ...base, type: "cancelled" },
    interrupted: { ...base, type: "interrupted" },
  };
  return byStatus[turn.status];
}

export type JobListener = (event: JobEvent) => void;
