import { describe, expect, it } from "vitest";
import { computeOffsets, computeWindow, rowAt, scrollToReveal, windowAround } from "./timeline-window";

const even = computeOffsets(Array.from({ length: 100 }, () => 10));

describe("computeOffsets", () => {
  it("starts at 0 and ends at the sum of the heights", () => {
    expect(computeOffsets([10, 20, 5])).toEqual([0, 10, 30, 35]);
    expect(computeOffsets([])).toEqual([0]);
  });
});

describe("rowAt", () => {
  it("finds the row covering a position, clamped to the list", () => {
    const offsets = computeOffsets([10, 20, 5]);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 9.9)).toBe(0);
    expect(rowAt(offsets, 10)).toBe(1);
    expect(rowAt(offsets, 29)).toBe(1);
    expect(rowAt(offsets, 30)).toBe(2);
    expect(rowAt(offsets, 1000)).toBe(2);
    expect(rowAt(offsets, -5)).toBe(0);
    expect(rowAt([0], 3)).toBe(0);
  });
});

describe("computeWindow", () => {
  it("renders the visible rows plus overscan, with padding for the rest", () => {
    // Rows 20..29 are visible in [200, 300).
    expect(computeWindow({ offsets: even, scrollTop: 200, viewportHeight: 100, overscan: 5 })).toEqual({
      first: 15,
      last: 34,
      paddingTop: 150,
      paddingBottom: 650,
    });
  });

  it("clamps at both ends of the list", () => {
    expect(computeWindow({ offsets: even, scrollTop: 0, viewportHeight: 50, overscan: 10 })).toEqual({
      first: 0,
      last: 14,
      paddingTop: 0,
      paddingBottom: 850,
    });
    expect(computeWindow({ offsets: even, scrollTop: 950, viewportHeight: 50, overscan: 10 })).toEqual({
      first: 85,
      last: 99,
      paddingTop: 850,
      paddingBottom: 0,
    });
  });

  it("handles rows of different heights", () => {
    const offsets = computeOffsets([100, 20, 20, 20, 100, 20]);
    // [110, 170) covers rows 1 (100..120), 2, 3 (140..160) and 4 (160..260).
    expect(computeWindow({ offsets, scrollTop: 110, viewportHeight: 60, overscan: 0 })).toEqual({
      first: 1,
      last: 4,
      paddingTop: 100,
      paddingBottom: 20,
    });
  });

  it("keeps a scroll position past the end (overscroll) inside the list", () => {
    const range = computeWindow({ offsets: even, scrollTop: 5000, viewportHeight: 100, overscan: 2 });
    expect(range.last).toBe(99);
    expect(range.first).toBe(97);
    expect(range.paddingBottom).toBe(0);
  });

  it("treats the list's top as 0 when the list starts below the scroll position", () => {
    expect(computeWindow({ offsets: even, scrollTop: -40, viewportHeight: 60, overscan: 0 })).toMatchObject({ first: 0, last: 1 });
  });

  it("renders nothing for an empty list", () => {
    expect(computeWindow({ offsets: [0], scrollTop: 0, viewportHeight: 500, overscan: 10 })).toEqual({
      first: 0,
      last: -1,
      paddingTop: 0,
      paddingBottom: 0,
    });
  });
});

describe("windowAround", () => {
  it("clamps the range and pads the rest", () => {
    expect(windowAround(even, 95, 120)).toEqual({ first: 95, last: 99, paddingTop: 950, paddingBottom: 0 });
    expect(windowAround(even, -3, 4)).toEqual({ first: 0, last: 4, paddingTop: 0, paddingBottom: 950 });
  });
});

describe("scrollToReveal", () => {
  it("moves only as far as needed to show the whole row", () => {
    expect(scrollToReveal(even, 25, 200, 100)).toBe(200);
    expect(scrollToReveal(even, 10, 200, 100)).toBe(100);
    expect(scrollToReveal(even, 40, 200, 100)).toBe(310);
  });

  it("shows the top of a row taller than the viewport", () => {
    const offsets = computeOffsets([10, 300, 10]);
    expect(scrollToReveal(offsets, 1, 0, 100)).toBe(10);
  });

  it("keeps the position for an unknown row", () => {
    expect(scrollToReveal(even, 100, 42, 100)).toBe(42);
  });
});
