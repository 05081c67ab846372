import "server-only";

/**
 * A per-client token bucket for generation requests, kept in this process's memory. Every
 * generation spends the team's Gemini quota (and money), so one runaway client or script must not
 * spend it all: each client may start `perMinute` generations in a burst, then one more every
 * 60 / perMinute seconds.
 *
 * One studio process serves one data directory (see lib/storage), so memory is the right place; a
 * restart forgets the buckets, which only ever errs towards allowing.
 */

export interface RateLimiterOptions {
  /** Bucket size and refill per minute; 0 turns the limit off. */
  perMinute: number;
  now?: () => number;
  /** Buckets kept at most; idle ones are forgotten first. */
  maxClients?: number;
}

export type RateDecision =
  | {
      ok: true;
      /** Whole tokens left after this one. */
      remaining: number;
      /** Gives the token back, for a request that turned out not to start a generation. */
      refund(): void;
    }
  | { ok: false; retryAfterMs: number };

export interface RateLimiter {
  readonly perMinute: number;
  take(client: string): RateDecision;
  /** Buckets currently held, for tests and diagnostics. */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const DEFAULT_MAX_CLIENTS = 10_000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const perMinute = Math.max(0, Math.floor(options.perMinute));
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, at: number): void {
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
    bucket.at = at;
  }

  function evict(at: number): void {
    // Full buckets carry no information: forgetting one is the same as keeping it.
    for (const [client, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= perMinute) buckets.delete(client);
    }
    // Still too many (a flood of distinct clients): drop the oldest entries.
    for (const client of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(client);
    }
  }

  return {
    perMinute,
    take(client) {
      if (perMinute === 0) return { ok: true, remaining: Number.POSITIVE_INFINITY, refund: () => {} };
      const at = now();
      let bucket = buckets.get(client);
      if (!bucket) {
        if (buckets.size >= maxClients) evict(at);
        bucket = { tokens: perMinute, at };
        buckets.set(client, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens < 1) return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs)) };
      bucket.tokens -= 1;
      const taken = bucket;
      let refunded = false;
      return {
        ok: true,
        remaining: Math.floor(bucket.tokens),
        refund() {
          if (refunded) return;
          refunded = true;
          taken.tokens = Math.min(perMinute, taken.tokens + 1);
        },
      };
    },
    size: () => buckets.size,
  };
}

/** The request headers the client key is read from (a Headers or Next's ReadonlyHeaders). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** One bucket for everyone, when clients cannot be told apart safely. */
export const SHARED_CLIENT = "local";

const MAX_CLIENT_LENGTH = 64;

/**
 * Who is asking, for the rate limit. Behind a trusted reverse proxy (STUDIO_TRUST_PROXY=1) that is
 * the last X-Forwarded-For entry: the address the proxy itself saw. Earlier entries are whatever
 * the client claimed and are never used.
 *
 * Without a trusted proxy every client shares one bucket. Next.js fills X-Forwarded-For from the
 * socket only when the request did not bring one (`??=` in its base server), and it gives route
 * handlers and server actions no other way to read the socket address, so a header value there may
 * be the client's own invention: trusting it would let a script pick a fresh bucket per request.
 */
export function clientKey(headers: HeaderSource, { trustProxy }: { trustProxy: boolean }): string {
  if (!trustProxy) return SHARED_CLIENT;
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim().toLowerCase();
  if (!last) return SHARED_CLIENT;
  // IPv4 clients often reach a dual-stack proxy as ::ffff:a.b.c.d; both spellings are one client.
  const address = last.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return /^[0-9a-f.:]+$/.test(address) && address.length <= MAX_CLIENT_LENGTH ? address : SHARED_CLIENT;
}

// On globalThis for the same reason as the job runner: the dev server re-evaluates modules, and a
// second limiter would start every bucket full again.
const LIMITER_KEY = Symbol.for("nano-banana-studio.generation-limiter");
type LimiterGlobal = typeof globalThis & { [LIMITER_KEY]?: RateLimiter };

/** The process-wide limiter for starting generations. */
export function getGenerationLimiter(perMinute: number): RateLimiter {
  const holder = globalThis as LimiterGlobal;
  const current = holder[LIMITER_KEY];
  if (current && current.perMinute === Math.max(0, Math.floor(perMinute))) return current;
  holder[LIMITER_KEY] = createRateLimiter({ perMinute });
  return holder[LIMITER_KEY];
}

/** "12 s", "2 min": how long until the next generation is allowed. */
export function formatRetryAfter(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
