import { describe, expect, it } from "vitest";
import { clampPercent, fitRect, frameSize, leftClipPath, percentFromPointer, rightClipPath, stepPercent } from "./compare";

describe("clampPercent", () => {
  it("keeps the divider within the frame", () => {
    expect(clampPercent(-5)).toBe(0);
    expect(clampPercent(140)).toBe(100);
    expect(clampPercent(37.5)).toBe(37.5);
    expect(clampPercent(Number.NaN)).toBe(50);
  });
});

describe("percentFromPointer", () => {
  const frame = { left: 100, width: 400 };

  it("maps the pointer to a share of the frame's width", () => {
    expect(percentFromPointer(100, frame)).toBe(0);
    expect(percentFromPointer(300, frame)).toBe(50);
    expect(percentFromPointer(500, frame)).toBe(100);
  });

  it("clamps a drag that leaves the frame", () => {
    expect(percentFromPointer(20, frame)).toBe(0);
    expect(percentFromPointer(900, frame)).toBe(100);
  });

  it("stays centered for a frame with no width yet", () => {
    expect(percentFromPointer(10, { left: 0, width: 0 })).toBe(50);
  });
});

describe("stepPercent", () => {
  it.each([
    ["ArrowLeft", false, 49],
    ["ArrowDown", false, 49],
    ["ArrowRight", false, 51],
    ["ArrowUp", false, 51],
    ["ArrowLeft", true, 40],
    ["ArrowRight", true, 60],
    ["PageDown", false, 40],
    ["PageUp", false, 60],
    ["Home", false, 0],
    ["End", false, 100],
  ])("%s (shift %s) moves 50 to %d", (key, shift, expected) => {
    expect(stepPercent(50, key, shift)).toBe(expected);
  });

  it("stops at the ends", () => {
    expect(stepPercent(95, "ArrowRight", true)).toBe(100);
    expect(stepPercent(0.5, "ArrowLeft", false)).toBe(0);
  });

  it("leaves other keys alone", () => {
    expect(stepPercent(50, "Tab", false)).toBeNull();
    expect(stepPercent(50, "Escape", false)).toBeNull();
  });
});

describe("clip paths", () => {
  it("shows the left image up to the divider and the right one from it, never overlapping", () => {
    expect(leftClipPath(30)).toBe("inset(0 70% 0 0)");
    expect(rightClipPath(30)).toBe("inset(0 0 0 30%)");
  });

  it("clamps at the ends", () => {
    expect(leftClipPath(0)).toBe("inset(0 100% 0 0)");
    expect(rightClipPath(0)).toBe("inset(0 0 0 0%)");
    expect(leftClipPath(250)).toBe("inset(0 0% 0 0)");
    expect(rightClipPath(250)).toBe("inset(0 0 0 100%)");
  });
});

describe("fitRect", () => {
  it("fits a wide image into a square, letterboxed and centered", () => {
    expect(fitRect({ width: 1600, height: 900 }, { width: 400, height: 400 })).toEqual({ x: 0, y: 87.5, width: 400, height: 225 });
  });

  it("fits a tall image into a wide box, pillarboxed", () => {
    expect(fitRect({ width: 768, height: 1376 }, { width: 800, height: 430 })).toMatchObject({ y: 0, height: 430 });
  });

  it("scales up small images to the box", () => {
    expect(fitRect({ width: 100, height: 100 }, { width: 300, height: 200 })).toEqual({ x: 50, y: 0, width: 200, height: 200 });
  });

  it("fills the box when a size is unknown", () => {
    expect(fitRect({ width: 0, height: 0 }, { width: 300, height: 200 })).toEqual({ x: 0, y: 0, width: 300, height: 200 });
  });
});

describe("frameSize", () => {
  it("takes the left image's shape, then the right's, then square", () => {
    expect(frameSize({ width: 1376, height: 768 }, { width: 1024, height: 1024 })).toEqual({ width: 1376, height: 768 });
    expect(frameSize({ width: null, height: 768 }, { width: 1024, height: 1024 })).toEqual({ width: 1024, height: 1024 });
    expect(frameSize(null, null)).toEqual({ width: 1, height: 1 });
  });
});
