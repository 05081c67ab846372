import { describe, expect, it } from "vitest";
import { findModel } from "@/lib/gemini/catalog";
import type { Turn } from "@/lib/storage/types";
import { defaultSettings } from "./model-switch";
import { shownTurnIds, summarizeTurn, summarizeTurns } from "./turn-summary";

const settings = defaultSettings(findModel("gemini-3.1-flash-image") ?? undefined);

function turn(id: string, parentId: string | null, minute: number, extra: Partial<Turn> = {}): Turn {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return {
    id,
    sessionId: "s1",
    ownerId: "local",
    parentId,
    createdAt: at,
    updatedAt: at,
    status: "succeeded",
    request: { prompt: `Prompt ${id}`, references: [], settings },
    outcome: null,
    error: null,
    attempts: 1,
    ...extra,
  };
}

describe("summarizeTurn", () => {
  it("keeps what a timeline row and the tree need, and none of the turn's details", () => {
    const whole = turn("t1", null, 0, {
      request: { prompt: "A harbour", references: [{ hash: "r".repeat(64), mimeType: "image/png", width: 10, height: 10, role: "style" }], settings },
      outcome: {
        images: [{ hash: "a".repeat(64), mimeType: "image/png", width: 1024, height: 768, fileName: "gen.png", requested: null, sizeMismatch: false }],
        thoughts: [{ kind: "text", text: "Thinking about the harbour", at: 400 }],
        text: "Here is your harbour.",
        grounding: null,
        usage: { promptTokens: 1, outputTokens: 2, imageTokens: 1, thoughtsTokens: 1, totalTokens: 3 },
        finishReason: "STOP",
        blockReason: null,
        modelVersion: "v",
        responseId: "response-1",
        warnings: [],
      },
      cost: { model: settings.model, status: "priced", microUsd: 68_381, unpriced: [], pricesReadOn: "2026-02-01", billedAt: "2026-01-01T00:00:00.000Z" },
    });
    const summary = summarizeTurn(whole);
    expect(summary).toEqual({
      id: "t1",
      parentId: null,
      createdAt: whole.createdAt,
      updatedAt: whole.updatedAt,
      status: "succeeded",
      prompt: "A harbour",
      settings,
      referenceCount: 1,
      image: { hash: "a".repeat(64), width: 1024, height: 768 },
    });
    expect(JSON.stringify(summary)).not.toMatch(/Thinking|Here is|response-1|68381|r{64}/);
  });

  it("has no image until the turn has one", () => {
    expect(summarizeTurn(turn("t1", null, 0, { status: "running" })).image).toBeNull();
  });
});

describe("shownTurnIds", () => {
  // t1 → t2 → t3, and a later branch t1 → t4: the newest branch ends at t4.
  const turns = [turn("t1", null, 0), turn("t2", "t1", 1), turn("t3", "t2", 2), turn("t4", "t1", 3)];

  it("is the selected turn, else the newest turn of the newest branch", () => {
    expect(shownTurnIds(turns, "t2", [])).toEqual(["t2"]);
    expect(shownTurnIds(turns, null, [])).toEqual(["t4"]);
    expect(shownTurnIds([], null, [])).toEqual([]);
  });

  it("is the grid's turns when the URL names a grid", () => {
    expect(shownTurnIds(turns, "t2", ["t3", "t4"])).toEqual(["t3", "t4"]);
  });
});

describe("summarizeTurns", () => {
  it("gives turns with equal settings one settings object, and others their own", () => {
    const other = { ...settings, imageSize: "2K" as const };
    const turns = [turn("t1", null, 0), turn("t2", "t1", 1), turn("t3", "t2", 2, { request: { prompt: "2K", references: [], settings: other } })];
    const [first, second, third] = summarizeTurns(turns);
    expect(second?.settings).toBe(first?.settings);
    expect(third?.settings).not.toBe(first?.settings);
    expect(third?.settings).toEqual(other);
    expect(summarizeTurns(turns).map((summary) => ({ ...summary }))).toEqual(turns.map(summarizeTurn));
  });
});
