import type { StoredImageRef, StoredThought, Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";

/** What the browser shows of a running turn, folded from its job events. */
export interface LiveProgress {
  phase: "sending" | "thinking" | "rendering" | null;
  /** Jobs in line before this one while it waits for a free slot; null when unknown or running. */
  ahead: number | null;
  /** Browser clock when following began, for the elapsed counter. */
  startedAt: number;
  attempt: number;
  maxAttempts: number;
  /** A wait before the next attempt: it ends at `until` (browser clock) and lasts delayMs in all. */
  retry: { until: number; delayMs: number; attempt: number; maxAttempts: number; message: string } | null;
  thoughts: StoredThought[];
  images: StoredImageRef[];
  text: string;
  /** The turn as the last event that carried it said (started or terminal). */
  turn: Turn | null;
  finished: boolean;
}

export function initialProgress(now: number, turn: Turn | null = null): LiveProgress {
  return { phase: null, ahead: null, startedAt: now, attempt: 1, maxAttempts: 1, retry: null, thoughts: [], images: [], text: "", turn, finished: false };
}

/** Pure: folds one job event into the progress. `now` is the browser clock. */
export function reduceProgress(progress: LiveProgress, event: JobEvent, now: number): LiveProgress {
  switch (event.type) {
    case "started": {
      // Measure elapsed time from when the server created the turn, so a reload keeps counting.
      const created = Date.parse(event.turn.createdAt);
      return {
        ...progress,
        turn: event.turn,
        ahead: event.turn.status === "queued" ? progress.ahead : null,
        startedAt: Number.isFinite(created) ? Math.min(created, now) : progress.startedAt,
      };
    }
    case "queued":
      return { ...progress, ahead: event.ahead };
    case "attempt":
      return { ...progress, attempt: event.attempt, maxAttempts: event.maxAttempts, retry: null };
    case "retry":
      // What arrived belongs to the failed attempt.
      return {
        ...progress,
        phase: null,
        thoughts: [],
        images: [],
        text: "",
        retry: { until: now + event.delayMs, delayMs: event.delayMs, attempt: event.attempt, maxAttempts: event.maxAttempts, message: event.error.message },
      };
    case "phase":
      return { ...progress, phase: event.phase, retry: null };
    case "thought":
      return { ...progress, thoughts: [...progress.thoughts, event.thought] };
    case "text":
      return { ...progress, text: progress.text + event.text };
    case "image":
      return { ...progress, images: [...progress.images, event.image] };
    case "done":
    case "failed":
    case "cancelled":
    case "interrupted":
      return { ...progress, turn: event.turn, finished: true, retry: null };
  }
}

/**
 * Whole seconds left of a retry wait, for its countdown. Never more than the wait itself: the
 * view's ticking clock can lag the event's arrival by a tick, which would show a 1 s wait as "2 s".
 */
export function retrySecondsLeft(retry: LiveProgress["retry"], now: number): number {
  if (!retry) return 0;
  return Math.max(0, Math.min(Math.ceil(retry.delayMs / 1000), Math.ceil((retry.until - now) / 1000)));
}
