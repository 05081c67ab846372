import "server-only";

import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Upload bytes per user per hour. Anyone who can reach the port could otherwise fill the disk at
 * network speed (42 MB/s in the attack this answers). Points are bytes, the window an hour; the
 * memory store fits one studio process per data directory (lib/storage/lock.ts), and
 * rate-limiter-flexible has database stores for when several instances share one.
 */

export type QuotaDecision = { ok: true } | { ok: false; retryAfterMs: number; limitBytes: number };

export interface UploadQuota {
  readonly bytesPerHour: number;
  /** Counts `bytes` against `ownerId`; refused (and not counted) when they would pass the hour's allowance. */
  spend(ownerId: string, bytes: number): Promise<QuotaDecision>;
  /** Whether `ownerId` has anything left this hour, without spending. */
  check(ownerId: string): Promise<QuotaDecision>;
}

const HOUR_SECONDS = 3_600;

export function createUploadQuota(bytesPerHour: number): UploadQuota {
  if (bytesPerHour <= 0) {
    return { bytesPerHour: 0, spend: async () => ({ ok: true }), check: async () => ({ ok: true }) };
  }
  const limiter = new RateLimiterMemory({ points: bytesPerHour, duration: HOUR_SECONDS });
  const refusal = (res: RateLimiterRes): QuotaDecision => ({ ok: false, retryAfterMs: Math.max(1_000, res.msBeforeNext), limitBytes: bytesPerHour });
  return {
    bytesPerHour,
    async spend(ownerId, bytes) {
      const used = await limiter.get(ownerId);
      if (used && used.consumedPoints + bytes > bytesPerHour) return refusal(used);
      try {
        await limiter.consume(ownerId, Math.max(1, bytes));
        return { ok: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) return refusal(error);
        throw error;
      }
    },
    async check(ownerId) {
      const used = await limiter.get(ownerId);
      return used && used.remainingPoints <= 0 ? refusal(used) : { ok: true };
    },
  };
}

const QUOTA_KEY = Symbol.for("nano-banana-studio.upload-quota");
type QuotaGlobal = typeof globalThis & { [QUOTA_KEY]?: UploadQuota };

/** The process-wide quota (on globalThis: the dev server re-evaluates modules). */
export function getUploadQuota(bytesPerHour: number): UploadQuota {
  const holder = globalThis as QuotaGlobal;
  const current = holder[QUOTA_KEY];
  if (current && current.bytesPerHour === Math.max(0, bytesPerHour)) return current;
  holder[QUOTA_KEY] = createUploadQuota(bytesPerHour);
  return holder[QUOTA_KEY];
}
