import { describe, expect, it } from "vitest";
import { SHARED_CLIENT, clientKey, createRateLimiter, formatRetryAfter, getGenerationLimiter } from "./rate-limit";

function clock(start = 1_000_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe("createRateLimiter", () => {
  it("allows a burst of perMinute, then refuses with the time until the next token", () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 3, now: time.now });
    expect([1, 2, 3].map(() => limiter.take("a").ok)).toEqual([true, true, true]);
    const refused = limiter.take("a");
    expect(refused).toEqual({ ok: false, retryAfterMs: 20_000 });
    time.advance(5_000);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 15_000 });
  });

  it("refills one token every 60 / perMinute seconds, up to the bucket size", () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 6, now: time.now });
    for (let index = 0; index < 6; index += 1) limiter.take("a");
    expect(limiter.take("a").ok).toBe(false);
    time.advance(10_000);
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    time.advance(3_600_000);
    const decision = limiter.take("a");
    expect(decision.ok && decision.remaining).toBe(5);
  });

  it("keeps one bucket per client", () => {
    const limiter = createRateLimiter({ perMinute: 1, now: clock().now });
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    expect(limiter.take("b").ok).toBe(true);
  });

  it("gives a token back once when the request did not start a generation", () => {
    const limiter = createRateLimiter({ perMinute: 1, now: clock().now });
    const first = limiter.take("a");
    expect(first.ok).toBe(true);
    if (first.ok) {
      first.refund();
      first.refund();
    }
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
  });

  it("is off at 0 per minute", () => {
    const limiter = createRateLimiter({ perMinute: 0 });
    for (let index = 0; index < 1000; index += 1) expect(limiter.take("a").ok).toBe(true);
    expect(limiter.size()).toBe(0);
  });

  it("holds at most maxClients buckets, forgetting full (idle) ones first", () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 2, now: time.now, maxClients: 3 });
    limiter.take("busy");
    limiter.take("busy");
    limiter.take("idle-1");
    limiter.take("idle-2");
    time.advance(60_000);
    limiter.take("busy");
    limiter.take("busy");
    limiter.take("new");
    expect(limiter.size()).toBeLessThanOrEqual(3);
    // The busy client's spent bucket survived the eviction.
    expect(limiter.take("busy").ok).toBe(false);
  });

  it("never grows past maxClients under a flood of distinct clients", () => {
    const limiter = createRateLimiter({ perMinute: 5, now: clock().now, maxClients: 100 });
    for (let index = 0; index < 1000; index += 1) limiter.take(`client-${index}`);
    expect(limiter.size()).toBeLessThanOrEqual(100);
  });
});

describe("clientKey", () => {
  const headers = (value: string | null) => ({ get: (name: string) => (name === "x-forwarded-for" ? value : null) });

  it("shares one bucket when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    expect(clientKey(headers("203.0.113.9"), { trustProxy: false })).toBe(SHARED_CLIENT);
    expect(clientKey(headers(null), { trustProxy: false })).toBe(SHARED_CLIENT);
  });

  it("behind a trusted proxy uses the address the proxy appended, not what the client claimed", () => {
    expect(clientKey(headers("203.0.113.9"), { trustProxy: true })).toBe("203.0.113.9");
    expect(clientKey(headers("1.2.3.4, 10.0.0.7"), { trustProxy: true })).toBe("10.0.0.7");
    expect(clientKey(headers("::ffff:192.0.2.1"), { trustProxy: true })).toBe("192.0.2.1");
    expect(clientKey(headers("2001:DB8::1"), { trustProxy: true })).toBe("2001:db8::1");
  });

  it("falls back to the shared bucket for a missing or malformed address", () => {
    expect(clientKey(headers(null), { trustProxy: true })).toBe(SHARED_CLIENT);
    expect(clientKey(headers("1.2.3.4, "), { trustProxy: true })).toBe(SHARED_CLIENT);
    expect(clientKey(headers("<script>"), { trustProxy: true })).toBe(SHARED_CLIENT);
    expect(clientKey(headers("1".repeat(100)), { trustProxy: true })).toBe(SHARED_CLIENT);
  });
});

describe("getGenerationLimiter", () => {
  it("keeps one limiter per process and replaces it when the configured rate changes", () => {
    const a = getGenerationLimiter(7);
    expect(getGenerationLimiter(7)).toBe(a);
    const b = getGenerationLimiter(8);
    expect(b).not.toBe(a);
    expect(b.perMinute).toBe(8);
  });
});

describe("formatRetryAfter", () => {
  it("rounds up to whole seconds, then minutes", () => {
    expect(formatRetryAfter(1)).toBe("1 s");
    expect(formatRetryAfter(12_300)).toBe("13 s");
    expect(formatRetryAfter(120_000)).toBe("2 min");
  });
});
