import { describe, expect, it } from "vitest";
import type { GenerationSettings } from "@/lib/gemini/types";
import { startTurnSchema } from "./session-schemas";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const mask = { hash: "b".repeat(64), role: "mask" };
const turn = { sessionId: "s1", parentId: "t1", prompt: "Change only the marked area: a kite.", references: [mask], settings };

describe("startTurnSchema and masks", () => {
  it("takes one mask on a turn that continues a result", () => {
    expect(startTurnSchema.parse(turn).references).toEqual([mask]);
  });

  it("refuses a mask on a new conversation, a second mask and an unknown role", () => {
    expect(startTurnSchema.safeParse({ ...turn, parentId: null }).error?.issues[0]).toMatchObject({
      path: ["references"],
      message: "A mask marks an area of an earlier result: continue from that result to use one.",
    });
    expect(startTurnSchema.safeParse({ ...turn, references: [mask, { ...mask, hash: "c".repeat(64) }] }).error?.issues[0]?.message).toBe(
      "A turn takes one mask at most.",
    );
    expect(startTurnSchema.safeParse({ ...turn, references: [{ ...mask, role: "stencil" }] }).success).toBe(false);
  });
});
