import "server-only";

import type pg from "pg";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { countersPool, createDatabaseCounter } from "@/lib/server/shared-counters";

/**
 * Upload bytes per user per hour. Anyone who can reach the port could otherwise fill the disk at
 * network speed (42 MB/s in the attack this answers). Points are bytes, the window an hour; the
 * memory store fits one studio process per data directory (lib/storage/lock.ts); with DATABASE_URL
 * the bytes are counted in PostgreSQL (lib/server/shared-counters.ts), so every instance sees them.
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

export function createUploadQuota(bytesPerHour: number, pool?: pg.Pool): UploadQuota {
  if (bytesPerHour <= 0) {
    return { bytesPerHour: 0, spend: async () => ({ ok: true }), check: async () => ({ ok: true }) };
  }
  if (pool) return createDatabaseUploadQuota(bytesPerHour, pool);
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

/**
 * The same rule, counted in PostgreSQL: a refused upload is not counted. The library's column is a
 * 32-bit integer, so the count is in KiB (an upload counts at least 1 KiB), not bytes, and an
 * allowance past 2 TiB an hour (in effect none) is held at that.
 */
function createDatabaseUploadQuota(bytesPerHour: number, pool: pg.Pool): UploadQuota {
  const limitKib = Math.min(2 ** 31 - 1, Math.max(1, Math.floor(bytesPerHour / 1024)));
  const counter = createDatabaseCounter({ pool, prefix: "upload-kib", points: limitKib, durationSeconds: HOUR_SECONDS });
  const refusal = (retryAfterMs: number): QuotaDecision => ({ ok: false, retryAfterMs: Math.max(1_000, retryAfterMs), limitBytes: bytesPerHour });
  return {
    bytesPerHour,
    async spend(ownerId, bytes) {
      const kib = Math.max(1, Math.ceil(bytes / 1024));
      const used = await counter.used(ownerId);
      if (used.consumed + kib > limitKib) return refusal(used.retryAfterMs);
      // Another instance may have spent the rest meanwhile: then this is refused, and not counted.
      const spent = await counter.consume(ownerId, kib);
      return spent.ok ? { ok: true } : refusal(spent.retryAfterMs);
    },
    async check(ownerId) {
      const used = await counter.used(ownerId);
      return used.consumed >= limitKib ? refusal(used.retryAfterMs) : { ok: true };
    },
  };
}

const QUOTA_KEY = Symbol.for("nano-banana-studio.upload-quota");
type QuotaGlobal = typeof globalThis & { [QUOTA_KEY]?: { quota: UploadQuota; databaseUrl: string | null } };

/** The process-wide quota (on globalThis: the dev server re-evaluates modules); with `databaseUrl`, in PostgreSQL. */
export function getUploadQuota(bytesPerHour: number, databaseUrl: string | null = null): UploadQuota {
  const holder = globalThis as QuotaGlobal;
  const current = holder[QUOTA_KEY];
  if (current && current.databaseUrl === databaseUrl && current.quota.bytesPerHour === Math.max(0, bytesPerHour)) return current.quota;
  const quota = createUploadQuota(bytesPerHour, databaseUrl ? countersPool(databaseUrl) : undefined);
  holder[QUOTA_KEY] = { quota, databaseUrl };
  return quota;
}
