import { describe, expect, it } from "vitest";
import { createStudioError } from "@/lib/gemini/errors";
import type { Turn } from "@/lib/storage/types";
import type { JobEvent, JobListener } from "@/lib/studio/job-events";
import { createLogger } from "./log";
import { logTurnEvents } from "./turn-log";

const turn = {
  id: "t1",
  sessionId: "s1",
  ownerId: "local",
  parentId: null,
  status: "running",
  attempts: 0,
  request: {
    prompt: "A secret product launch poster",
    references: [],
    settings: { model: "gemini-3.1-flash-image", imageSize: "1K", aspectRatio: "1:1", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false },
  },
  outcome: null,
  error: null,
} as unknown as Turn;

function run(events: JobEvent[]) {
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line), secrets: () => [] });
  const runner = {
    async follow(_owner: string, _turnId: string, listener: JobListener) {
      for (const event of events) listener(event);
      return { ok: true as const, data: { live: false, unsubscribe: () => {} } };
    },
  };
  logTurnEvents(runner, "local", turn, { via: "retry", retryOf: "t0", logger });
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("logTurnEvents", () => {
  it("logs the start, each retry with its reason, and the end, without the prompt", async () => {
    const failed = { ...turn, status: "failed", attempts: 4, error: createStudioError("quota_exhausted", { httpStatus: 429, detail: "quota" }) } as Turn;
    const lines = run([
      { type: "started", turn, turnId: "t1", seq: 1 },
      { type: "retry", attempt: 2, maxAttempts: 4, delayMs: 3000, error: createStudioError("quota_exhausted", { httpStatus: 429 }), turnId: "t1", seq: 2 },
      { type: "failed", turn: failed, turnId: "t1", seq: 3 },
    ]);
    await Promise.resolve();
    expect(lines.map((line) => [line.level, line.event])).toEqual([
      ["info", "turn.started"],
      ["warn", "turn.retry"],
      ["warn", "turn.failed"],
    ]);
    expect(lines[0]).toMatchObject({ turnId: "t1", sessionId: "s1", via: "retry", retryOf: "t0", model: "gemini-3.1-flash-image", promptChars: 30 });
    expect(lines[1]).toMatchObject({ attempt: 2, delayMs: 3000, code: "quota_exhausted", httpStatus: 429 });
    expect(lines[2]).toMatchObject({ code: "quota_exhausted", attempts: 4, retryable: true });
    expect(JSON.stringify(lines)).not.toContain("secret product launch");
  });

  it("logs a queued start, then the start when the job gets its slot", () => {
    const queued = { ...turn, status: "queued" } as Turn;
    const lines = run([
      { type: "started", turn: queued, turnId: "t1", seq: 1 },
      { type: "queued", ahead: 2, turnId: "t1", seq: 2 },
      { type: "started", turn: { ...turn, status: "running" } as Turn, turnId: "t1", seq: 3 },
    ]);
    expect(lines.map((line) => [line.level, line.event])).toEqual([
      ["info", "turn.queued"],
      ["info", "turn.started"],
    ]);
  });

  it("logs a fault of the studio itself as an error", () => {
    const failed = { ...turn, status: "failed", error: createStudioError("internal", { detail: "boom" }) } as Turn;
    expect(run([{ type: "failed", turn: failed, turnId: "t1", seq: 1 }])[0]).toMatchObject({ level: "error", event: "turn.failed" });
  });
});
