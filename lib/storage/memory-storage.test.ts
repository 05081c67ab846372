import { describe, expect, it } from "vitest";
import { describeStorageContract, fakePng } from "./contract";
import { createMemoryImageStore, createMemoryStorage } from "./memory-storage";

describeStorageContract("memory", async () => ({ storage: createMemoryStorage() }));

describe("memory image store", () => {
  it("gives a taken export name to other bytes with a numbered suffix, and reuses it for the same bytes", async () => {
    const images = createMemoryImageStore();
    const first = await images.put(fakePng());
    const second = await images.put(fakePng());
    expect(await images.exportAs(first.hash, "gen-cat-20261122-101500.png")).toBe("/memory/gen-cat-20261122-101500.png");
    expect(await images.exportAs(first.hash, "gen-cat-20261122-101500.png")).toBe("/memory/gen-cat-20261122-101500.png");
    expect(await images.exportAs(second.hash, "gen-cat-20261122-101500.png")).toBe("/memory/gen-cat-20261122-101500-2.png");
  });
});
