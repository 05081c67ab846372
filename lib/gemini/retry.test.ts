import { describe, expect, it, vi } from "vitest";
import { createStudioError } from "./errors";
import { DEFAULT_RETRY_POLICY, abortableSleep, retryDelay, withRetries, type AttemptResult, type RetryEvent, type Sleep } from "./retry";
import type { StudioError } from "./types";

/** A clock that only moves when the code under test sleeps. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    if (signal?.aborted) throw signal.reason;
    sleeps.push(ms);
    now += ms;
  };
  return { now: () => now, sleep, sleeps, advance: (ms: number) => (now += ms) };
}

function failing(error: StudioError): AttemptResult<string> {
  return { ok: false, error };
}

const unavailable = createStudioError("service_unavailable", { httpStatus: 503 });

describe("withRetries", () => {
  it("retries 503s with growing, jittered delays and reports every attempt", async () => {
    const time = fakeTime();
    const events: RetryEvent[] = [];
    const results = [failing(unavailable), failing(unavailable), { ok: true as const, value: "image" }];
    const result = await withRetries(async () => results.shift() ?? failing(unavailable), {
      ...time,
      random: () => 0.5,
      onEvent: (event) => events.push(event),
    });
    expect(result).toEqual({ ok: true, value: "image", attempts: 3 });
    expect(time.sleeps).toEqual([750, 1500]);
    expect(events).toEqual([
      { type: "attempt", attempt: 1, maxAttempts: 4 },
      { type: "retry", attempt: 2, maxAttempts: 4, delayMs: 750, error: unavailable },
      { type: "attempt", attempt: 2, maxAttempts: 4 },
      { type: "retry", attempt: 3, maxAttempts: 4, delayMs: 1500, error: unavailable },
      { type: "attempt", attempt: 3, maxAttempts: 4 },
    ]);
  });

  it("stops after maxAttempts and returns the last error", async () => {
    const time = fakeTime();
    const attempt = vi.fn(async () => failing(unavailable));
    const result = await withRetries(attempt, { ...time, random: () => 0 });
    expect(result).toEqual({ ok: false, error: unavailable, attempts: 4 });
    expect(attempt).toHaveBeenCalledTimes(4);
    expect(time.sleeps).toEqual([500, 1000, 2000]);
  });

  it.each([
    ["invalid_key", 400],
    ["key_blocked", 403],
    ["model_access", 404],
    ["invalid_request", 400],
    ["safety_block", undefined],
    ["no_image", undefined],
  ] as const)("never retries %s", async (code, httpStatus) => {
    const time = fakeTime();
    const attempt = vi.fn(async () => failing(createStudioError(code, { httpStatus })));
    const result = await withRetries(attempt, time);
    expect(result.ok).toBe(false);
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(time.sleeps).toEqual([]);
  });

  it("waits at least the server's retryDelay, even above the backoff cap", async () => {
    const time = fakeTime();
    const quota = createStudioError("quota_exhausted", { retryAfterMs: 34_400 });
    const results = [failing(quota), { ok: true as const, value: "done" }];
    const result = await withRetries(async () => results.shift() ?? failing(quota), {
      ...time,
      policy: { maxDelayMs: 10_000 },
      random: () => 1,
    });
    expect(result.ok).toBe(true);
    expect(time.sleeps).toEqual([34_400]);
  });

  it("fails at once with quota_exhausted and the wait when retryDelay exceeds the budget", async () => {
    const time = fakeTime();
    const quota = createStudioError("quota_exhausted", { retryAfterMs: 600_000 });
    const attempt = vi.fn(async () => failing(quota));
    const events: RetryEvent[] = [];
    const result = await withRetries(attempt, { ...time, onEvent: (event) => events.push(event) });
    expect(result).toEqual({ ok: false, error: quota, attempts: 1 });
    expect(result.ok || result.error.retryAfterMs).toBe(600_000);
    expect(events.map((event) => event.type)).toEqual(["attempt"]);
    expect(time.sleeps).toEqual([]);
  });

  it("does not schedule a retry past the total time budget", async () => {
    const time = fakeTime();
    const attempt = vi.fn(async () => {
      time.advance(70_000);
      return failing(unavailable);
    });
    const result = await withRetries(attempt, { ...time, random: () => 0 });
    // 70 s, a 0.5 s wait, 70 s more: a third attempt would start after the 120 s budget.
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(result.attempts).toBe(2);
  });

  it("maps what an attempt throws and retries dropped connections", async () => {
    const time = fakeTime();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw new TypeError("terminated");
        return { ok: true, value: calls };
      },
      time,
    );
    expect(result).toEqual({ ok: true, value: 2, attempts: 2 });
  });

  it("keeps the value of a failed attempt for the caller", async () => {
    const error = createStudioError("no_image");
    const result = await withRetries(async () => ({ ok: false, error, value: "partial" }), fakeTime());
    expect(result).toEqual({ ok: false, error, value: "partial", attempts: 1 });
  });

  it("stops at once when cancelled during a backoff wait", async () => {
    const controller = new AbortController();
    const attempt = vi.fn(async () => failing(unavailable));
    const started = Date.now();
    const pending = withRetries(attempt, {
      signal: controller.signal,
      policy: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      onEvent: (event) => {
        if (event.type === "retry") setTimeout(() => controller.abort(), 10);
      },
    });
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, error: { code: "cancelled" }, attempts: 1 });
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it("returns cancelled, whatever the attempt says, once the signal fired", async () => {
    const controller = new AbortController();
    const result = await withRetries(
      async () => {
        controller.abort();
        throw new DOMException("aborted", "AbortError");
      },
      { signal: controller.signal, ...fakeTime() },
    );
    expect(result).toMatchObject({ ok: false, error: { code: "cancelled" } });
    const before = await withRetries(async () => ({ ok: true, value: 1 }), { signal: AbortSignal.abort(), ...fakeTime() });
    expect(before).toMatchObject({ ok: false, error: { code: "cancelled" }, attempts: 0 });
  });
});

describe("retryDelay", () => {
  it("doubles from the base up to the cap, half of it jittered", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelay(DEFAULT_RETRY_POLICY, attempt, unavailable, () => 0.5));
    expect(delays).toEqual([750, 1500, 3000, 6000, 12000, 22500, 22500]);
    expect(retryDelay(DEFAULT_RETRY_POLICY, 1, unavailable, () => 0)).toBe(500);
  });
});

describe("abortableSleep", () => {
  it("resolves after the delay and rejects at once on abort", async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    await expect(abortableSleep(10, AbortSignal.abort())).rejects.toBeDefined();
  });
});
