import "server-only";

import { createStudioError, toStudioError } from "./errors";
import type { GenerationEvent, StudioError } from "./types";

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap on a computed backoff; a server-sent retryDelay is honoured even above it. */
  maxDelayMs: number;
  /** No retry is scheduled that would start later than this after the first attempt began. */
  totalBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  totalBudgetMs: 120_000,
};

export type AttemptResult<T> = { ok: true; value: T } | { ok: false; error: StudioError; value?: T };
export type RetryResult<T> = AttemptResult<T> & { attempts: number };
export type RetryEvent = Extract<GenerationEvent, { type: "attempt" | "retry" }>;

export interface AttemptContext {
  attempt: number;
  maxAttempts: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  onEvent?: (event: RetryEvent) => void;
  sleep?: Sleep;
  /** Returns [0, 1); injectable for deterministic jitter in tests. */
  random?: () => number;
  now?: () => number;
  /** Maps what an attempt throws; defaults to toStudioError. */
  toError?: (error: unknown) => StudioError;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy runs out.
 * An attempt reports failure by returning `{ ok: false }` or by throwing. Cancelling the signal
 * ends the wait at once and returns a `cancelled` error.
 */
export async function withRetries<T>(
  attempt: (context: AttemptContext) => Promise<AttemptResult<T>>,
  options: RetryOptions = {},
): Promise<RetryResult<T>> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const toError = options.toError ?? ((error: unknown) => toStudioError(error));
  const { signal } = options;
  const startedAt = now();
  const cancelled = (attempts: number): RetryResult<T> => ({ ok: false, error: createStudioError("cancelled"), attempts });

  for (let number = 1; ; number += 1) {
    if (signal?.aborted) return cancelled(number - 1);
    options.onEvent?.({ type: "attempt", attempt: number, maxAttempts });

    let result: AttemptResult<T>;
    try {
      result = await attempt({ attempt: number, maxAttempts });
    } catch (error) {
      result = { ok: false, error: toError(error) };
    }
    if (signal?.aborted) return cancelled(number);
    if (result.ok || !result.error.retryable || number >= maxAttempts) return { ...result, attempts: number };

    const delayMs = retryDelay(policy, number, result.error, random);
    if (now() - startedAt + delayMs > policy.totalBudgetMs) return { ...result, attempts: number };

    options.onEvent?.({ type: "retry", attempt: number + 1, maxAttempts, delayMs, error: result.error });
    try {
      await sleep(delayMs, signal);
    } catch {
      return cancelled(number);
    }
    if (signal?.aborted) return cancelled(number);
  }
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), so clients that failed
 * together spread out but none retries almost at once. A server's retryDelay is a floor.
 */
export function retryDelay(policy: RetryPolicy, failedAttempt: number, error: StudioError, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  const backoff = Math.round(exponential / 2 + (random() * exponential) / 2);
  return error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, backoff) : backoff;
}

export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
