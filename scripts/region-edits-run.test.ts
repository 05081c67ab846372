import { describe, expect, it } from "vitest";
import { runRegionEdits, summarize, type RegionEditMeasurement } from "./region-edits-run";

describe("runRegionEdits", () => {
  it("measures each edit: PNG keeps every outside pixel, JPEG nearly all within ±8, the box changed, the region reported where drawn", async () => {
    const results = await runRegionEdits({ edits: 3, tolerances: [0, 8] });
    expect(results.map((result) => result.mimeType)).toEqual(["image/jpeg", "image/png", "image/jpeg"]);
    for (const result of results) {
      if (result.mimeType === "image/png") expect(result.unchanged[0]).toBe(1);
      expect(result.unchanged[8]).toBeGreaterThan(0.99);
      expect(result.insideChanged).toBeGreaterThan(0.5);
      expect(result.reportedOffByPercent).toBeLessThanOrEqual(1);
    }
  });
});

describe("summarize", () => {
  const edit = (unchanged: number): RegionEditMeasurement => ({
    model: "m",
    mimeType: "image/png",
    aspectRatio: "1:1",
    region: { x: 0, y: 0, width: 10, height: 10 },
    unchanged: { 0: unchanged },
    insideChanged: 1,
    reportedOffByPercent: unchanged === 1 ? 0 : 2,
  });
  it("averages the shares, keeps the worst, and counts the edits that kept everything", () => {
    expect(summarize("png", [edit(1), edit(0.9)], [0])).toEqual({
      group: "png",
      edits: 2,
      mean: { 0: 0.95 },
      worst: { 0: 0.9 },
      allUnchanged: { 0: 1 },
      worstReportedOffByPercent: 2,
    });
  });
});
