import { describe, expect, it } from "vitest";
import { batchWaitLabel, isWaitingForBatch } from "./batch-wait";

const submittedAt = "2026-12-06T10:00:00.000Z";
const at = (iso: string) => Date.parse(iso);

describe("batchWaitLabel", () => {
  it("says how long ago the batch went to Google, in whole minutes", () => {
    expect(batchWaitLabel(submittedAt, at("2026-12-06T10:00:40.000Z"))).toBe("Queued at Google (batch) · submitted less than a minute ago");
    expect(batchWaitLabel(submittedAt, at("2026-12-06T10:03:59.000Z"))).toBe("Queued at Google (batch) · submitted 3 min ago");
    expect(batchWaitLabel(submittedAt, at("2026-12-06T12:00:00.000Z"))).toBe("Queued at Google (batch) · submitted 120 min ago");
  });

  it("never counts backwards when the browser's clock is behind, and drops a time it can't read", () => {
    expect(batchWaitLabel(submittedAt, at("2026-12-06T09:58:00.000Z"))).toBe("Queued at Google (batch) · submitted less than a minute ago");
    expect(batchWaitLabel("not a time", at("2026-12-06T10:00:00.000Z"))).toBe("Queued at Google (batch)");
  });
});

describe("isWaitingForBatch", () => {
  const request = { prompt: "p", references: [], settings: {} as never };
  it("is true only for an active turn of a batch", () => {
    expect(isWaitingForBatch({ status: "queued", request: { ...request, batch: { name: "batches/a", index: 0, submittedAt } } })).toBe(true);
    expect(isWaitingForBatch({ status: "succeeded", request: { ...request, batch: { name: "batches/a", index: 0, submittedAt } } })).toBe(false);
    expect(isWaitingForBatch({ status: "queued", request })).toBe(false);
  });
});
