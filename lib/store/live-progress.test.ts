import { describe, expect, it } from "vitest";
import type { StudioError } from "@/lib/gemini/types";
import type { Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";
import { initialProgress, reduceProgress, retrySecondsLeft } from "./live-progress";

const turn = { id: "t1", createdAt: "2026-11-22T10:00:00.000Z", status: "running" } as Turn;
const error = { code: "quota_exhausted", message: "Quota used up.", action: "Wait.", retryable: true } as StudioError;
const event = (body: Record<string, unknown>, seq = 1) => ({ turnId: "t1", seq, ...body }) as JobEvent;

describe("reduceProgress", () => {
  it("follows phases, thoughts, text and images in order", () => {
    let progress = initialProgress(1000);
    progress = reduceProgress(progress, event({ type: "phase", phase: "thinking" }), 1100);
    progress = reduceProgress(progress, event({ type: "thought", thought: { kind: "text", text: "Composing", at: 50 } }), 1200);
    progress = reduceProgress(progress, event({ type: "thought", thought: { kind: "image", hash: "a".repeat(64), mimeType: "image/jpeg", width: 10, height: 10, at: 80 } }), 1300);
    progress = reduceProgress(progress, event({ type: "text", text: "Here " }), 1400);
    progress = reduceProgress(progress, event({ type: "text", text: "it is." }), 1400);
    expect(progress.phase).toBe("thinking");
    expect(progress.thoughts.map((thought) => thought.kind)).toEqual(["text", "image"]);
    expect(progress.text).toBe("Here it is.");
    expect(progress.images).toEqual([]);
  });

  it("shows a retry countdown and drops what the failed attempt sent", () => {
    let progress = reduceProgress(initialProgress(0), event({ type: "text", text: "partial" }), 10);
    progress = reduceProgress(progress, event({ type: "retry", attempt: 2, maxAttempts: 4, delayMs: 12_000, error }), 1_000);
    expect(progress.retry).toEqual({ until: 13_000, delayMs: 12_000, attempt: 2, maxAttempts: 4, message: "Quota used up." });
    expect(progress.text).toBe("");
    progress = reduceProgress(progress, event({ type: "attempt", attempt: 2, maxAttempts: 4 }), 13_000);
    expect(progress.retry).toBeNull();
    expect(progress.attempt).toBe(2);
  });

  it("counts a retry wait down in whole seconds, never above the wait itself", () => {
    const progress = reduceProgress(initialProgress(0), event({ type: "retry", attempt: 2, maxAttempts: 4, delayMs: 1_000, error }), 5_000);
    // The view's clock ticks every 250 ms, so it can still read a time before the event arrived.
    expect(retrySecondsLeft(progress.retry, 4_800)).toBe(1);
    expect(retrySecondsLeft(progress.retry, 5_000)).toBe(1);
    expect(retrySecondsLeft(progress.retry, 5_999)).toBe(1);
    expect(retrySecondsLeft(progress.retry, 6_000)).toBe(0);
    const longer = reduceProgress(initialProgress(0), event({ type: "retry", attempt: 2, maxAttempts: 4, delayMs: 3_000, error }), 5_000);
    expect([4_900, 5_100, 6_100, 7_100, 8_100].map((now) => retrySecondsLeft(longer.retry, now))).toEqual([3, 3, 2, 1, 0]);
    expect(retrySecondsLeft(null, 5_000)).toBe(0);
  });

  it("counts elapsed time from the turn's creation after a reload", () => {
    const now = Date.parse("2026-11-22T10:00:30.000Z");
    const progress = reduceProgress(initialProgress(now), event({ type: "started", turn }, 0), now);
    expect(progress.startedAt).toBe(Date.parse("2026-11-22T10:00:00.000Z"));
  });

  it("keeps the place in the queue until the job gets its slot", () => {
    const queued = { ...turn, status: "queued" } as Turn;
    let progress = reduceProgress(initialProgress(0), event({ type: "started", turn: queued }), 0);
    expect(progress.ahead).toBeNull();
    progress = reduceProgress(progress, event({ type: "queued", ahead: 3 }, 2), 10);
    progress = reduceProgress(progress, event({ type: "started", turn: queued }, 0), 20);
    expect(progress.ahead).toBe(3);
    progress = reduceProgress(progress, event({ type: "queued", ahead: 0 }, 3), 30);
    expect(progress.ahead).toBe(0);
    progress = reduceProgress(progress, event({ type: "started", turn }, 4), 40);
    expect(progress).toMatchObject({ ahead: null, turn: { status: "running" } });
  });

  it("ends with the stored turn", () => {
    const done = { ...turn, status: "succeeded" } as Turn;
    const progress = reduceProgress(initialProgress(0), event({ type: "done", turn: done }), 5);
    expect(progress.finished).toBe(true);
    expect(progress.turn?.status).toBe("succeeded");
  });
});
