import "server-only";

import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Counters that must hold across studio instances (the generation rate limit, the upload quota),
 * kept by rate-limiter-flexible in the studio's PostgreSQL database when DATABASE_URL is set. The
 * embedded setup (one process per data directory) keeps them in memory instead.
 *
 * rate-limiter-flexible counts in fixed windows: a client may use its allowance at the end of one
 * window and again at the start of the next. The memory limiter for generations (rate-limit.ts) is
 * an even token bucket; across instances the kept library's window is the better trade.
 */

/** One table for every counter; each kind of counter has its own key prefix. */
export const COUNTERS_TABLE = "studio_rate_limits";

const POOL_KEY = Symbol.for("nano-banana-studio.counters-pool");
type PoolGlobal = typeof globalThis & { [POOL_KEY]?: { url: string; pool: pg.Pool } };

/** A small pool of its own (on globalThis: the dev server re-evaluates modules). */
export function countersPool(databaseUrl: string): pg.Pool {
  const holder = globalThis as PoolGlobal;
  if (holder[POOL_KEY]?.url === databaseUrl) return holder[POOL_KEY].pool;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, idleTimeoutMillis: 30_000 });
  // An idle connection that drops is replaced on the next query; it must not crash the process.
  pool.on("error", () => undefined);
  holder[POOL_KEY] = { url: databaseUrl, pool };
  return pool;
}

export interface DatabaseCounter {
  /** Spends `points` for `key`; refused, and not counted, when they would pass the limit (with how long until the window ends). */
  consume(key: string, points: number): Promise<{ ok: true; remaining: number } | { ok: false; retryAfterMs: number; consumed: number }>;
  /** Points spent in the current window (0 when none). */
  used(key: string): Promise<{ consumed: number; retryAfterMs: number }>;
  /** Gives points back (a request that turned out not to happen). */
  refund(key: string, points: number): Promise<void>;
}

/**
 * A counter of `points` per `durationSeconds` per key, in PostgreSQL. The table is created on first
 * use (rate-limiter-flexible's own schema); every instance shares it.
 */
export function createDatabaseCounter(options: { pool: pg.Pool; prefix: string; points: number; durationSeconds: number }): DatabaseCounter {
  // Created on first use; a failed creation (the database was down) is tried again by the next call.
  let ready: Promise<RateLimiterPostgres> | null = null;
  const store = (): Promise<RateLimiterPostgres> => {
    ready ??= new Promise<RateLimiterPostgres>((resolve, reject) => {
      const created: RateLimiterPostgres = new RateLimiterPostgres(
        {
          storeClient: options.pool,
          tableName: COUNTERS_TABLE,
          keyPrefix: options.prefix,
          points: options.points,
          duration: options.durationSeconds,
          clearExpiredByTimeout: true,
        },
        (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(created)),
      );
    }).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };

  return {
    async consume(key, points) {
      const limiter = await store();
      try {
        const result = await limiter.consume(key, points);
        return { ok: true, remaining: result.remainingPoints };
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        // The library counts refused points too; give them back, so hammering while refused
        // doesn't eat into the next allowance or a refund.
        await limiter.reward(key, points);
        return { ok: false, retryAfterMs: Math.max(1, error.msBeforeNext), consumed: error.consumedPoints - points };
      }
    },
    async used(key) {
      const result = await (await store()).get(key);
      return { consumed: result?.consumedPoints ?? 0, retryAfterMs: result?.msBeforeNext ?? 0 };
    },
    async refund(key, points) {
      await (await store()).reward(key, points);
    },
  };
}
