import { describe, expect, it } from "vitest";
import { SHARED_CLIENT, clientKey, createRateLimiter, formatRetryAfter, getGenerationLimiter, parseTrustedProxies, takeMany } from "./rate-limit";

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
  const PEER = "x-studio-peer-test";
  const headers = (peer: string | null, forwarded: string | null = null) => ({
    get: (name: string) => (name === PEER ? peer : name === "x-forwarded-for" ? forwarded : null),
  });
  const direct = { trustedProxies: [], peerHeader: PEER };
  const behind = { trustedProxies: ["127.0.0.1", "10.0.0.0/8", "fd00::/8"], peerHeader: PEER };

  it("counts each direct client by its own address, whatever X-Forwarded-For claims", () => {
    expect(clientKey(headers("203.0.113.9", "198.51.100.1"), direct)).toBe("203.0.113.9");
    expect(clientKey(headers("::ffff:192.0.2.1"), direct)).toBe("192.0.2.1");
    expect(clientKey(headers("2001:DB8::1"), direct)).toBe("2001:db8::1");
  });

  it("believes X-Forwarded-For only from a configured proxy, taking the last address that isn't a proxy", () => {
    expect(clientKey(headers("127.0.0.1", "203.0.113.9"), behind)).toBe("203.0.113.9");
    // The client claimed 1.2.3.4; the proxy appended what it saw.
    expect(clientKey(headers("10.0.0.7", "1.2.3.4, 198.51.100.7"), behind)).toBe("198.51.100.7");
    // Two proxies in a row (10.1.2.3 forwarded to 10.0.0.7): skip both.
    expect(clientKey(headers("10.0.0.7", "1.2.3.4, 198.51.100.7, 10.1.2.3"), behind)).toBe("198.51.100.7");
    expect(clientKey(headers("fd00::5", "2001:db8::9"), behind)).toBe("2001:db8::9");
  });

  it("ignores a forged X-Forwarded-For from a client that reaches the port directly", () => {
    // Trusting forwarded headers from anyone let each request pick a fresh bucket.
    for (const forged of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) expect(clientKey(headers("203.0.113.50", forged), behind)).toBe("203.0.113.50");
  });

  it("falls back to the proxy's own address for a missing or malformed entry, and to one bucket with no peer", () => {
    expect(clientKey(headers("127.0.0.1", null), behind)).toBe("127.0.0.1");
    expect(clientKey(headers("127.0.0.1", "<script>"), behind)).toBe("127.0.0.1");
    expect(clientKey(headers("127.0.0.1", "1".repeat(100)), behind)).toBe("127.0.0.1");
    expect(clientKey(headers(null, "203.0.113.9"), behind)).toBe(SHARED_CLIENT);
    expect(clientKey(headers("203.0.113.9"), { ...direct, peerHeader: null })).toBe(SHARED_CLIENT);
  });

  it("counts a signed-in user as that user, from any address", () => {
    expect(clientKey(headers("203.0.113.9"), { ...direct, userId: "user-42" })).toBe("user:user-42");
    expect(clientKey(headers("198.51.100.1"), { ...direct, userId: "user-42" })).toBe("user:user-42");
  });
});

describe("parseTrustedProxies", () => {
  it("matches IPs and CIDRs of both families and reports entries that are neither", () => {
    const trusted = parseTrustedProxies(["192.168.1.0/24", "::1", "bogus", "10.0.0.0/33"]);
    expect(trusted.invalid).toEqual(["bogus", "10.0.0.0/33"]);
    expect(trusted.matches("192.168.1.200")).toBe(true);
    expect(trusted.matches("::ffff:192.168.1.7")).toBe(true);
    expect(trusted.matches("192.168.2.1")).toBe(false);
    expect(trusted.matches("::1")).toBe(true);
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

describe("takeMany", () => {
  it("takes N starts at once, or none when fewer are left, and refunds each on its own", async () => {
    const limiter = createRateLimiter({ perMinute: 5, now: () => 0 });
    const three = await takeMany(limiter, "a", 3);
    if (!three.ok) throw new Error("refused");
    expect(three.refunds).toHaveLength(3);
    // Two left: a set of three is refused whole and spends nothing.
    expect(await takeMany(limiter, "a", 3)).toMatchObject({ ok: false });
    const two = await takeMany(limiter, "a", 2);
    expect(two.ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    // One run of the first set did not start: its token comes back.
    three.refunds[2]?.();
    expect(limiter.take("a").ok).toBe(true);
  });

  it("always allows when the limit is off", async () => {
    const limiter = createRateLimiter({ perMinute: 0 });
    expect(await takeMany(limiter, "a", 4)).toMatchObject({ ok: true });
  });
});
