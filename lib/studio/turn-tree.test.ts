import { describe, expect, it } from "vitest";
import { branchCount, buildTurnTree, continuationOf, numberTurns, siblingsOf, visiblePath } from "./turn-tree";

const turn = (id: string, parentId: string | null, minute: number) => ({
  id,
  parentId,
  createdAt: `2026-11-22T10:${String(minute).padStart(2, "0")}:00.000Z`,
});

// a ─ b ─ c
//  └─ d ─ e      (d branches from a, newer than b)
const turns = [turn("a", null, 0), turn("b", "a", 1), turn("c", "b", 2), turn("d", "a", 3), turn("e", "d", 4)];

describe("turn tree", () => {
  const tree = buildTurnTree(turns);

  it("shows the newest branch when nothing is selected", () => {
    expect(visiblePath(tree, null).map((t) => t.id)).toEqual(["a", "d", "e"]);
  });

  it("shows root to the selected turn, then down its newest children", () => {
    expect(visiblePath(tree, "b").map((t) => t.id)).toEqual(["a", "b", "c"]);
    expect(visiblePath(tree, "a").map((t) => t.id)).toEqual(["a", "d", "e"]);
    expect(visiblePath(tree, "c").map((t) => t.id)).toEqual(["a", "b", "c"]);
  });

  it("falls back to the newest branch for an unknown selection", () => {
    expect(visiblePath(tree, "zzz").map((t) => t.id)).toEqual(["a", "d", "e"]);
  });

  it("lists siblings in creation order with the position", () => {
    const d = tree.byId.get("d")!;
    const { siblings, index } = siblingsOf(tree, d);
    expect(siblings.map((t) => t.id)).toEqual(["b", "d"]);
    expect(index).toBe(1);
    expect(branchCount(tree)).toBe(2);
  });

  it("treats turns whose parent is missing as roots instead of losing them", () => {
    const orphanTree = buildTurnTree([turn("x", "gone", 0), turn("y", "x", 1)]);
    expect(visiblePath(orphanTree, null).map((t) => t.id)).toEqual(["x", "y"]);
  });

  it("handles an empty session", () => {
    expect(visiblePath(buildTurnTree([]), null)).toEqual([]);
  });
});

describe("turn numbers and continuation", () => {
  it("numbers turns by creation order, whatever branch they are on or the order they arrive in", () => {
    const numbers = numberTurns([...turns].reverse());
    expect(["a", "b", "c", "d", "e"].map((id) => numbers.get(id))).toEqual([1, 2, 3, 4, 5]);
  });

  it("continues from the selected turn when it succeeded, else from its nearest successful ancestor", () => {
    const withStatus = [
      { ...turn("a", null, 0), status: "succeeded" },
      { ...turn("b", "a", 1), status: "failed" },
      { ...turn("c", "b", 2), status: "failed" },
      { ...turn("d", "a", 3), status: "succeeded" },
    ];
    const tree = buildTurnTree(withStatus);
    expect(continuationOf(tree, tree.byId.get("c")!)?.id).toBe("a");
    expect(continuationOf(tree, tree.byId.get("d")!)?.id).toBe("d");
    expect(continuationOf(tree, null)).toBeNull();
    const allFailed = buildTurnTree([{ ...turn("x", null, 0), status: "failed" }]);
    expect(continuationOf(allFailed, allFailed.byId.get("x")!)).toBeNull();
  });
});
