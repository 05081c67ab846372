import { describe, expect, it, vi } from "vitest";
import type { ModelTurn } from "@/lib/gemini/types";
import { approximateBytes, createHistoryCache, type CachedImage } from "./history-cache";

const image = (bytes: number, fill = 1): CachedImage => ({ mimeType: "image/png", bytes: Buffer.alloc(bytes, fill) });
const signedTurn = (label: string): ModelTurn => ({
  parts: [
    { text: `answer ${label}`, thoughtSignature: "c2ln".repeat(50) },
    { inlineData: { mimeType: "image/jpeg", data: "QUJD".repeat(100) }, thoughtSignature: "c2ln".repeat(50) },
  ],
});

/** A loader that counts its calls. */
function counted<T>(value: () => T | null) {
  const load = vi.fn(async () => value());
  return load;
}

describe("history cache", () => {
  it("answers a hit with the very object and bytes it loaded, without loading again", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    const turn = signedTurn("one");
    const sent = JSON.stringify(turn);
    const loadTurn = counted(() => turn);
    const first = await cache.modelTurn("alice", "t1", loadTurn);
    const again = await cache.modelTurn("alice", "t1", loadTurn);
    expect(again).toBe(first);
    expect(JSON.stringify(again)).toBe(sent);
    expect(loadTurn).toHaveBeenCalledTimes(1);

    const picture = image(100);
    const loadImage = counted(() => picture);
    expect(await cache.image("h1", loadImage)).toBe(picture);
    const hit = await cache.image("h1", loadImage);
    expect(hit?.bytes.equals(Buffer.alloc(100, 1))).toBe(true);
    expect(hit).toBe(picture);
    expect(loadImage).toHaveBeenCalledTimes(1);
  });

  it("keeps turns apart by owner and turn id", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    expect(await cache.modelTurn("alice", "t1", async () => signedTurn("alice"))).toEqual(signedTurn("alice"));
    expect(await cache.modelTurn("bob", "t1", async () => signedTurn("bob"))).toEqual(signedTurn("bob"));
    expect(await cache.modelTurn("alice", "t2", async () => signedTurn("other"))).toEqual(signedTurn("other"));
    expect(await cache.modelTurn("alice", "t1", async () => signedTurn("never"))).toEqual(signedTurn("alice"));
  });

  it("evicts the least recently used entries once the bytes go over the cap", async () => {
    // An image counts its bytes, its base64 and that base64's bytes (what requests keep beside it): 1,000 + 2 × 1,336.
    const each = 3_672;
    const cache = createHistoryCache({ maxBytes: 3 * each });
    const loads = { a: counted(() => image(1_000, 1)), b: counted(() => image(1_000, 2)), c: counted(() => image(1_000, 3)), d: counted(() => image(1_000, 4)) };
    await cache.image("a", loads.a);
    await cache.image("b", loads.b);
    await cache.image("c", loads.c);
    expect(cache.size).toEqual({ entries: 3, bytes: 3 * each });
    // "a" is used again, so "b" is now the one used longest ago.
    await cache.image("a", loads.a);
    await cache.image("d", loads.d);
    expect(cache.size).toEqual({ entries: 3, bytes: 3 * each });
    await cache.image("a", loads.a);
    await cache.image("c", loads.c);
    await cache.image("d", loads.d);
    expect([loads.a, loads.c, loads.d].map((load) => load.mock.calls.length)).toEqual([1, 1, 1]);
    await cache.image("b", loads.b);
    expect(loads.b).toHaveBeenCalledTimes(2);
  });

  it("counts a model turn by its strings, twice (the gateway keeps them as bytes beside it), so a few big turns fill it", async () => {
    const big: ModelTurn = { parts: [{ inlineData: { mimeType: "image/jpeg", data: "A".repeat(400_000) }, thoughtSignature: "B".repeat(200_000) }] };
    expect(approximateBytes(big)).toBeGreaterThanOrEqual(600_000);
    expect(approximateBytes(big)).toBeLessThan(601_000);
    const cache = createHistoryCache({ maxBytes: 2_500_000 });
    const loads = [0, 1, 2].map(() => counted(() => structuredClone(big)));
    for (const [index, load] of loads.entries()) await cache.modelTurn("alice", `t${index}`, load);
    expect(cache.size.entries).toBe(2);
    expect(cache.size.bytes).toBeGreaterThanOrEqual(2_400_000);
    await cache.modelTurn("alice", "t0", loads[0]!);
    expect(loads[0]).toHaveBeenCalledTimes(2);
  });

  it("hands back but does not keep an entry bigger than the whole cache", async () => {
    const cache = createHistoryCache({ maxBytes: 500 });
    const load = counted(() => image(1_000));
    expect((await cache.image("huge", load))?.bytes.length).toBe(1_000);
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    await cache.image("huge", load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("drops an entry left unused for the idle time, and a use restarts the clock", async () => {
    let now = 1_000;
    const cache = createHistoryCache({ maxBytes: 1_000_000, idleMs: 60_000, now: () => now });
    const load = counted(() => signedTurn("one"));
    await cache.modelTurn("alice", "t1", load);
    now += 50_000;
    await cache.modelTurn("alice", "t1", load);
    now += 50_000;
    await cache.modelTurn("alice", "t1", load);
    expect(load).toHaveBeenCalledTimes(1);
    now += 60_001;
    await cache.modelTurn("alice", "t1", load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("keeps nothing for a turn or image storage doesn't have, so it is found once it exists", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    let stored: ModelTurn | null = null;
    const load = counted(() => stored);
    expect(await cache.modelTurn("alice", "t1", load)).toBeNull();
    stored = signedTurn("late");
    expect(await cache.modelTurn("alice", "t1", load)).toEqual(signedTurn("late"));
    expect(await cache.image("nope", async () => null)).toBeNull();
    expect(cache.size.entries).toBe(1);
  });

  it("passes a storage failure on and keeps nothing", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    await expect(cache.modelTurn("alice", "t1", async () => Promise.reject(new Error("disk on fire")))).rejects.toThrow("disk on fire");
    expect(await cache.modelTurn("alice", "t1", async () => signedTurn("ok"))).toEqual(signedTurn("ok"));
  });

  it("shares one load between callers that ask at the same moment", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = vi.fn(async () => {
      await gate;
      return signedTurn("shared");
    });
    const waiting = [cache.modelTurn("alice", "t1", load), cache.modelTurn("alice", "t1", load), cache.modelTurn("alice", "t1", load)];
    release();
    const [a, b, c] = await Promise.all(waiting);
    expect(load).toHaveBeenCalledTimes(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("still hands over a load that other entries pushed out while it was in flight", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000 });
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = cache.modelTurn("alice", "slow", async () => {
      await gate;
      return signedTurn("slow");
    });
    for (const hash of ["a", "b", "c"]) await cache.image(hash, async () => image(600));
    release();
    expect(await slow).toEqual(signedTurn("slow"));
  });

  it("freezes what it keeps, so nothing can change what a later follow-up replays", async () => {
    const cache = createHistoryCache({ maxBytes: 1_000_000 });
    const turn = await cache.modelTurn("alice", "t1", async () => signedTurn("one"));
    const part = turn?.parts[1];
    expect(() => {
      if (part) part.thoughtSignature = "tampered";
    }).toThrow(TypeError);
    expect(() => turn?.parts.push({ text: "extra" })).toThrow(TypeError);
    expect((await cache.modelTurn("alice", "t1", async () => null))?.parts[1]?.thoughtSignature).toBe("c2ln".repeat(50));
  });

  it("with 0 bytes reads storage every time, and refuses a negative size", async () => {
    const cache = createHistoryCache({ maxBytes: 0 });
    const load = counted(() => signedTurn("one"));
    await cache.modelTurn("alice", "t1", load);
    await cache.modelTurn("alice", "t1", load);
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    expect(() => createHistoryCache({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => createHistoryCache({ maxBytes: Number.NaN })).toThrow(RangeError);
  });
});
