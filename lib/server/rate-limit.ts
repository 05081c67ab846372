import "server-only";

import { BlockList, isIP } from "node:net";
import type pg from "pg";
import { countersPool, createDatabaseCounter } from "./shared-counters";

/**
 * A per-client token bucket for generation requests, kept in this process's memory. Every
 * generation spends the team's Gemini quota (and money), so one runaway client or script must not
 * spend it all: each client may start `perMinute` generations in a burst, then one more every
 * 60 / perMinute seconds.
 *
 * One studio process serves one data directory (see lib/storage/lock.ts), so memory is the right
 * place; a restart forgets the buckets, which only ever errs towards allowing. With DATABASE_URL,
 * several instances share the team's limit: it is counted in PostgreSQL (createDatabaseRateLimiter).
 *
 * Hand-written rather than rate-limiter-flexible (which the upload quota uses): its memory limiter
 * counts in fixed windows, which lets a client start twice the limit across a window edge, while a
 * bucket refills evenly; and the refund of a start that turned out not to happen is exact here.
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

export type ManyDecision = { ok: true; refunds: Array<() => void> } | { ok: false; retryAfterMs: number };

/**
 * Takes `count` tokens for one client, all or none: a set of N starts (variations, a comparison)
 * costs N, and when fewer are left the ones taken go back and the whole set is refused. Each
 * token keeps its own refund, for runs that then did not start.
 */
export async function takeMany(limiter: { take(client: string): RateDecision | Promise<RateDecision> }, client: string, count: number): Promise<ManyDecision> {
  const refunds: Array<() => void> = [];
  try {
    while (refunds.length < count) {
      const decision = await limiter.take(client);
      if (!decision.ok) {
        for (const refund of refunds) refund();
        return decision;
      }
      refunds.push(decision.refund);
    }
  } catch (error) {
    // The store failed part-way (the database went away): give back what was taken.
    for (const refund of refunds) refund();
    throw error;
  }
  return { ok: true, refunds };
}

/** The request headers the client key is read from (a Headers or Next's ReadonlyHeaders). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** One bucket for everyone, when clients cannot be told apart safely. */
export const SHARED_CLIENT = "local";

const MAX_CLIENT_LENGTH = 64;

/** An IP address as one spelling: lower case, IPv4-mapped IPv6 as plain IPv4; null if it isn't one. */
export function normalizeAddress(value: string | null | undefined): string | null {
  const trimmed = value?.trim().toLowerCase().replace(/^\[|\]$/g, "") ?? "";
  // IPv4 clients often reach a dual-stack socket as ::ffff:a.b.c.d; both spellings are one client.
  const address = trimmed.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return address.length <= MAX_CLIENT_LENGTH && isIP(address) !== 0 ? address : null;
}

/**
 * STUDIO_TRUSTED_PROXIES as a matcher: IPs and CIDRs (`10.0.0.0/8`, `::1`, `fd00::/8`). Entries
 * that are neither are reported, so a typo fails loudly instead of trusting nothing (or everyone).
 */
export function parseTrustedProxies(entries: readonly string[]): { matches(address: string): boolean; invalid: string[] } {
  const list = new BlockList();
  const invalid: string[] = [];
  for (const entry of entries) {
    const [base = "", prefix] = entry.trim().split("/");
    const address = normalizeAddress(base);
    const family = address ? (isIP(address) === 6 ? "ipv6" : "ipv4") : null;
    const bits = prefix === undefined ? null : Number(prefix);
    if (!address || !family || (bits !== null && (!Number.isInteger(bits) || bits < 0 || bits > (family === "ipv6" ? 128 : 32)))) {
      invalid.push(entry);
      continue;
    }
    if (bits === null) list.addAddress(address, family);
    else list.addSubnet(address, bits, family);
  }
  return {
    invalid,
    matches(address) {
      const normalized = normalizeAddress(address);
      if (!normalized) return false;
      return list.check(normalized, isIP(normalized) === 6 ? "ipv6" : "ipv4");
    },
  };
}

export interface ClientKeyOptions {
  /** Proxies whose X-Forwarded-For is believed (STUDIO_TRUSTED_PROXIES). */
  trustedProxies: readonly string[];
  /** The header carrying the TCP peer's address (lib/server/peer-address.ts); null when unknown. */
  peerHeader: string | null;
  /** The signed-in user, once there are accounts: counted per user, wherever they connect from. */
  userId?: string | null;
}

/**
 * Who is asking, for the rate limit:
 *
 * - a signed-in user is counted as that user;
 * - otherwise by the address of the TCP peer (every direct client its own bucket);
 * - when that peer is a trusted proxy, by the X-Forwarded-For entry it appended: walking from the
 *   right, the first address that is not itself a trusted proxy. Entries left of it are whatever
 *   the client claimed and are never used, and a client that reaches the port directly is counted
 *   by its own address however it fills the header.
 *
 * Without the peer address (the hook isn't installed) nothing can be believed: one shared bucket.
 */
export function clientKey(headers: HeaderSource, options: ClientKeyOptions): string {
  if (options.userId) return `user:${options.userId.slice(0, MAX_CLIENT_LENGTH)}`;
  const peer = options.peerHeader ? normalizeAddress(headers.get(options.peerHeader)) : null;
  if (!peer) return SHARED_CLIENT;
  const trusted = parseTrustedProxies(options.trustedProxies);
  if (!trusted.matches(peer)) return peer;
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").reverse();
  for (const hop of hops) {
    const address = normalizeAddress(hop);
    if (!address) return peer;
    if (!trusted.matches(address)) return address;
  }
  return peer;
}

/** The limiter generations pass through: in memory, or shared by every instance in PostgreSQL. */
export interface GenerationLimiter {
  readonly perMinute: number;
  /** Where the counts live, for the log. */
  readonly store: "memory" | "postgres";
  take(client: string): Promise<RateDecision>;
}

/**
 * `perMinute` generations per client per minute counted in PostgreSQL (shared-counters.ts), so the
 * limit holds however many instances serve the team.
 */
export function createDatabaseRateLimiter(options: { perMinute: number; pool: pg.Pool }): GenerationLimiter {
  const perMinute = Math.max(0, Math.floor(options.perMinute));
  const counter = perMinute > 0 ? createDatabaseCounter({ pool: options.pool, prefix: "generation", points: perMinute, durationSeconds: 60 }) : null;
  return {
    perMinute,
    store: "postgres",
    async take(client) {
      if (!counter) return { ok: true, remaining: Number.POSITIVE_INFINITY, refund: () => {} };
      const decision = await counter.consume(client, 1);
      if (!decision.ok) return { ok: false, retryAfterMs: decision.retryAfterMs };
      let refunded = false;
      return {
        ok: true,
        remaining: decision.remaining,
        refund() {
          if (refunded) return;
          refunded = true;
          // Best effort: a refund that fails only errs towards limiting.
          counter.refund(client, 1).catch(() => undefined);
        },
      };
    },
  };
}

// On globalThis for the same reason as the job runner: the dev server re-evaluates modules, and a
// second limiter would start every bucket full again.
const LIMITER_KEY = Symbol.for("nano-banana-studio.generation-limiter");
type LimiterGlobal = typeof globalThis & { [LIMITER_KEY]?: { limiter: GenerationLimiter; databaseUrl: string | null } };

/** The process-wide limiter for starting generations; with `databaseUrl`, counted in PostgreSQL. */
export function getGenerationLimiter(perMinute: number, databaseUrl: string | null = null): GenerationLimiter {
  const holder = globalThis as LimiterGlobal;
  const current = holder[LIMITER_KEY];
  if (current && current.databaseUrl === databaseUrl && current.limiter.perMinute === Math.max(0, Math.floor(perMinute))) return current.limiter;
  let limiter: GenerationLimiter;
  if (databaseUrl) {
    limiter = createDatabaseRateLimiter({ perMinute, pool: countersPool(databaseUrl) });
  } else {
    const buckets = createRateLimiter({ perMinute });
    limiter = { perMinute: buckets.perMinute, store: "memory", take: async (client) => buckets.take(client) };
  }
  holder[LIMITER_KEY] = { limiter, databaseUrl };
  return limiter;
}

/** "12 s", "2 min": how long until the next generation is allowed. */
export function formatRetryAfter(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
