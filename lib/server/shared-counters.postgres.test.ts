import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createUploadQuota } from "@/app/api/uploads/quota";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { createDatabaseRateLimiter } from "./rate-limit";

// The limits every instance shares with DATABASE_URL: two pools stand for two studio instances on
// one real PostgreSQL database.

describe.skipIf(skipPostgres)("limits counted in PostgreSQL", () => {
  const cluster = withPostgres();
  const pools: pg.Pool[] = [];
  const instance = (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(pool);
    return pool;
  };

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });

  it("holds the generation limit across instances, per client, and gives a refunded start back", async () => {
    const url = await cluster().createDatabase();
    const a = createDatabaseRateLimiter({ perMinute: 3, pool: instance(url) });
    const b = createDatabaseRateLimiter({ perMinute: 3, pool: instance(url) });
    const first = await a.take("user:alice");
    expect(first).toMatchObject({ ok: true, remaining: 2 });
    expect(await b.take("user:alice")).toMatchObject({ ok: true, remaining: 1 });
    const third = await a.take("user:alice");
    expect(third.ok).toBe(true);
    const refused = await b.take("user:alice");
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    // Someone else has their own allowance.
    expect(await b.take("user:bob")).toMatchObject({ ok: true, remaining: 2 });

    // A start that turned out not to happen gives its token back, seen by the other instance.
    if (third.ok) third.refund();
    await expect.poll(async () => (await b.take("user:alice")).ok, { timeout: 2_000 }).toBe(true);
    expect((await a.take("user:alice")).ok).toBe(false);
  });

  it("counts upload bytes per person across instances, refusing without counting what it refuses", async () => {
    const url = await cluster().createDatabase();
    const limit = 1_000 * 1024;
    const a = createUploadQuota(limit, instance(url));
    const b = createUploadQuota(limit, instance(url));
    expect(await a.spend("alice", 600 * 1024)).toEqual({ ok: true });
    const refused = await b.spend("alice", 500 * 1024);
    expect(refused).toMatchObject({ ok: false, limitBytes: limit });
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(3_000_000);
    // The refused bytes were not counted: 400 KiB still fit.
    expect(await b.spend("alice", 400 * 1024)).toEqual({ ok: true });
    expect((await a.check("alice")).ok).toBe(false);
    expect(await a.spend("bob", 10)).toEqual({ ok: true });
  });

  it("fails loudly, not open, when the database can't be reached", async () => {
    const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:1/none", max: 1, connectionTimeoutMillis: 2_000 });
    pools.push(pool);
    pool.on("error", () => undefined);
    const limiter = createDatabaseRateLimiter({ perMinute: 3, pool });
    await expect(limiter.take("user:alice")).rejects.toThrow();
  });
});
