import { describe, expect, it } from "vitest";
import type { GenerationSettings } from "@/lib/gemini/types";
import { parseVariationsParam, requestedRunCount, runsOf, startTurnSetSchema } from "./turn-set-schemas";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const base = { sessionId: "s1", parentId: null, prompt: "a banana", references: [] };

describe("startTurnSetSchema", () => {
  it("takes 1 to 4 variations of one request and expands them into that many runs", () => {
    const parsed = startTurnSetSchema.parse({ kind: "variations", ...base, count: 3, settings });
    expect(runsOf(parsed)).toEqual([settings, settings, settings]);
    for (const count of [0, 5, 2.5, -1]) {
      expect(startTurnSetSchema.safeParse({ kind: "variations", ...base, count, settings }).success).toBe(false);
    }
  });

  it("compares 2 to 4 different model/size pairs, each a full, valid setting", () => {
    const pro = { ...settings, model: "gemini-3-pro-image", imageSize: "2K" as const };
    const parsed = startTurnSetSchema.parse({ kind: "compare", ...base, runs: [settings, pro] });
    expect(runsOf(parsed)).toEqual([settings, pro]);
    expect(startTurnSetSchema.safeParse({ kind: "compare", ...base, runs: [settings] }).success).toBe(false);
    expect(startTurnSetSchema.safeParse({ kind: "compare", ...base, runs: [settings, pro, settings] }).error?.issues[0]?.message).toBe(
      "Each model or setting in a comparison must differ from the others.",
    );
    const five = ["512", "1K", "2K", "4K", "1K"].map((imageSize, index) => ({ ...settings, imageSize, aspectRatio: index === 4 ? "16:9" : "1:1" }));
    expect(startTurnSetSchema.safeParse({ kind: "compare", ...base, runs: five }).success).toBe(false);
    expect(startTurnSetSchema.safeParse({ kind: "compare", ...base, runs: [settings, { ...settings, imageSize: "8K" }] }).success).toBe(false);
  });

  it("refuses junk ids, an empty request, unknown kinds and extra references", () => {
    expect(startTurnSetSchema.safeParse({ kind: "variations", ...base, sessionId: "../x", count: 2, settings }).success).toBe(false);
    expect(startTurnSetSchema.safeParse({ kind: "variations", ...base, prompt: "  ", count: 2, settings }).success).toBe(false);
    expect(startTurnSetSchema.safeParse({ kind: "batch", ...base, count: 2, settings }).success).toBe(false);
    const references = Array.from({ length: 15 }, () => ({ hash: "a".repeat(64) }));
    expect(startTurnSetSchema.safeParse({ kind: "variations", ...base, references, count: 2, settings }).success).toBe(false);
  });

  it("takes a region edit's mask only when continuing a result, and only one", () => {
    const mask = { hash: "b".repeat(64), role: "mask" };
    const continuing = { ...base, parentId: "t1" };
    expect(startTurnSetSchema.safeParse({ kind: "variations", ...continuing, references: [mask], count: 2, settings }).success).toBe(true);
    expect(startTurnSetSchema.safeParse({ kind: "variations", ...base, references: [mask], count: 2, settings }).error?.issues[0]?.message).toMatch(
      /continue from that result/,
    );
    expect(
      startTurnSetSchema.safeParse({ kind: "variations", ...continuing, references: [mask, { ...mask, hash: "c".repeat(64) }], count: 2, settings }).error
        ?.issues[0]?.message,
    ).toBe("A turn takes one mask at most.");
  });
});

describe("requestedRunCount", () => {
  it("reads how many starts an untrusted input asks for, clamped to 1..4", () => {
    expect(requestedRunCount({ kind: "variations", count: 3 })).toBe(3);
    expect(requestedRunCount({ kind: "variations", count: 400 })).toBe(4);
    expect(requestedRunCount({ kind: "variations", count: "3" })).toBe(1);
    expect(requestedRunCount({ kind: "compare", runs: [1, 2] })).toBe(2);
    expect(requestedRunCount({ kind: "compare", runs: "x" })).toBe(1);
    expect(requestedRunCount(null)).toBe(1);
  });
});

describe("parseVariationsParam", () => {
  it("keeps well-formed, distinct ids, at most 4", () => {
    expect(parseVariationsParam("a,b,a,../x,c,d,e")).toEqual(["a", "b", "c", "d"]);
    expect(parseVariationsParam(undefined)).toEqual([]);
    expect(parseVariationsParam(["a", "b"])).toEqual(["a", "b"]);
  });
});
