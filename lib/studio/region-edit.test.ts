import { describe, expect, it } from "vitest";
import { MAX_PROMPT_LENGTH } from "./limits";
import {
  DEFAULT_REGION,
  EMPTY_INSTRUCTION_MESSAGE,
  EMPTY_REGION_MESSAGE,
  MAX_REGION_INSTRUCTION_LENGTH,
  buildRegionInstruction,
  checkRegionEdit,
  clampRegion,
  describeRegion,
  pointInFrame,
  readRegionEdit,
  regionEditSettings,
  regionForKey,
  regionFromPoints,
  regionToPixels,
} from "./region-edit";

const box = { x: 20, y: 10, width: 30, height: 30 };

describe("checkRegionEdit", () => {
  it("accepts a marked box and an instruction, trimmed", () => {
    expect(checkRegionEdit({ region: box, instruction: "  a red kite  " })).toEqual({ ok: true, edit: { region: box, instruction: "a red kite" } });
  });

  it("refuses no box, a click without a drag, and a blank instruction, each on its own field", () => {
    expect(checkRegionEdit({ region: null, instruction: "" })).toEqual({
      ok: false,
      problems: [
        { field: "region", message: EMPTY_REGION_MESSAGE },
        { field: "instruction", message: EMPTY_INSTRUCTION_MESSAGE },
      ],
    });
    expect(checkRegionEdit({ region: { x: 40, y: 40, width: 0.5, height: 30 }, instruction: "sky" })).toEqual({
      ok: false,
      problems: [{ field: "region", message: EMPTY_REGION_MESSAGE }],
    });
    expect(checkRegionEdit({ region: box, instruction: " \n " })).toEqual({ ok: false, problems: [{ field: "instruction", message: EMPTY_INSTRUCTION_MESSAGE }] });
  });

  it("refuses a box past the edge, numbers outside 0–100 and an instruction too long for the prompt", () => {
    expect(checkRegionEdit({ region: { x: 80, y: 0, width: 30, height: 10 }, instruction: "x" })).toMatchObject({ ok: false, problems: [{ field: "region" }] });
    expect(checkRegionEdit({ region: { x: -5, y: 0, width: 30, height: 10 }, instruction: "x" })).toMatchObject({ ok: false, problems: [{ field: "region" }] });
    expect(checkRegionEdit({ region: { x: Number.NaN, y: 0, width: 30, height: 10 }, instruction: "x" })).toMatchObject({ ok: false });
    expect(checkRegionEdit({ region: box, instruction: "x".repeat(MAX_REGION_INSTRUCTION_LENGTH + 1) })).toMatchObject({
      ok: false,
      problems: [{ field: "instruction" }],
    });
  });
});

describe("geometry", () => {
  it("spans a drag in any direction, clamped to the image", () => {
    expect(regionFromPoints({ x: 60, y: 50 }, { x: 20, y: 10 })).toEqual({ x: 20, y: 10, width: 40, height: 40 });
    expect(regionFromPoints({ x: -10, y: 90 }, { x: 30, y: 130 })).toEqual({ x: 0, y: 90, width: 30, height: 10 });
    expect(regionFromPoints({ x: 12.345, y: 0 }, { x: 12.345, y: 0 })).toEqual({ x: 12.3, y: 0, width: 0, height: 0 });
  });

  it("keeps a typed box inside the image", () => {
    expect(clampRegion({ x: 90, y: -4, width: 30, height: 200 })).toEqual({ x: 90, y: 0, width: 10, height: 100 });
  });

  it("reads a pointer over the shown image as percent of the image", () => {
    const frame = { left: 100, top: 50, width: 400, height: 200 };
    expect(pointInFrame(200, 100, frame)).toEqual({ x: 25, y: 25 });
    expect(pointInFrame(0, 400, frame)).toEqual({ x: 0, y: 100 });
    expect(pointInFrame(10, 10, { left: 0, top: 0, width: 0, height: 0 })).toEqual({ x: 0, y: 0 });
  });

  it("converts to whole pixels, at least one each way, never past the edge", () => {
    expect(regionToPixels(box, { width: 1024, height: 768 })).toEqual({ left: 205, top: 77, width: 307, height: 230 });
    expect(regionToPixels({ x: 99.9, y: 99.9, width: 0.1, height: 0.1 }, { width: 100, height: 100 })).toEqual({ left: 99, top: 99, width: 1, height: 1 });
    expect(regionToPixels({ x: 0, y: 0, width: 100, height: 100 }, { width: 5504, height: 3072 })).toEqual({ left: 0, top: 0, width: 5504, height: 3072 });
  });
});

describe("regionForKey", () => {
  const none = { shiftKey: false, altKey: false };
  it("places the default box on the first arrow, then moves by 1% or 10% with Shift, stopping at the edge", () => {
    expect(regionForKey(null, "ArrowRight", none)).toEqual(DEFAULT_REGION);
    expect(regionForKey(box, "ArrowRight", none)).toEqual({ ...box, x: 21 });
    expect(regionForKey(box, "ArrowUp", { shiftKey: true, altKey: false })).toEqual({ ...box, y: 0 });
    expect(regionForKey({ ...box, x: 65 }, "ArrowRight", { shiftKey: true, altKey: false })).toEqual({ ...box, x: 70 });
  });

  it("resizes with Alt: right and down grow, left and up shrink, never below zero", () => {
    expect(regionForKey(box, "ArrowRight", { shiftKey: false, altKey: true })).toEqual({ ...box, width: 31 });
    expect(regionForKey(box, "ArrowUp", { shiftKey: true, altKey: true })).toEqual({ ...box, height: 20 });
    expect(regionForKey({ ...box, width: 5 }, "ArrowLeft", { shiftKey: true, altKey: true })).toEqual({ ...box, width: 0 });
  });

  it("leaves other keys alone", () => {
    expect(regionForKey(box, "Escape", none)).toBeNull();
    expect(regionForKey(box, "Tab", none)).toBeNull();
  });
});

describe("buildRegionInstruction", () => {
  it("puts the designer's words first, then the guide's semantic-masking sentences naming the mask and the box", () => {
    const prompt = buildRegionInstruction({ region: box, instruction: "a red kite in the sky." }, 1);
    expect(prompt.split("\n")[0]).toBe("Change only the marked area: a red kite in the sky.");
    expect(prompt).toContain("change only the area shown in white on the mask (image 1)");
    expect(prompt).toContain("about 20–50% across and 10–40% down the image");
    expect(prompt).toContain("Keep everything else in the image exactly the same, preserving the original style, lighting, and composition.");
  });

  it("stays within the prompt limit for the longest instruction and the widest box", () => {
    const prompt = buildRegionInstruction({ region: { x: 0, y: 0, width: 100, height: 100 }, instruction: "é".repeat(MAX_REGION_INSTRUCTION_LENGTH) }, 14);
    expect(prompt.length).toBeLessThanOrEqual(MAX_PROMPT_LENGTH);
  });

  it("describes a box in whole percents", () => {
    expect(describeRegion({ x: 12.4, y: 0, width: 30.3, height: 99.6 })).toBe("12–43% across and 0–100% down");
  });
});

describe("readRegionEdit", () => {
  it("reads back what a built instruction asked for, box in whole percents", () => {
    const prompt = buildRegionInstruction({ region: { x: 20.4, y: 10, width: 30, height: 29.6 }, instruction: "a red kite.\nWith a long tail" }, 1);
    expect(readRegionEdit(prompt)).toEqual({ region: { x: 20, y: 10, width: 30, height: 30 }, instruction: "a red kite.\nWith a long tail" });
  });

  it("answers null for any other prompt", () => {
    expect(readRegionEdit("Change only the marked area: a kite")).toBeNull();
    expect(readRegionEdit("A beach at dawn")).toBeNull();
  });
});

describe("regionEditSettings", () => {
  it("keeps the result's model, size and shape and turns search off", () => {
    const settings = { model: "gemini-3-pro-image", imageSize: "2K", aspectRatio: "16:9", webSearch: true, imageSearch: true, imageOnly: false };
    expect(regionEditSettings(settings)).toEqual({ ...settings, webSearch: false, imageSearch: false });
  });
});
