import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "@/lib/gemini/catalog";
import type { GenerationSettings } from "@/lib/gemini/types";
import { compareRuns, duplicateRows, initialCompareRows, sizesFor } from "./compare-runs";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "2K",
  aspectRatio: "21:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: true,
  imageOnly: false,
};
const byId = (id: string) => {
  const found = MODEL_CATALOG.find((model) => model.id === id);
  if (!found) throw new Error(id);
  return found;
};

describe("comparison runs", () => {
  it("start with the composer's model and another one at the same size", () => {
    const rows = initialCompareRows(settings, MODEL_CATALOG);
    expect(rows[0]).toEqual({ model: "gemini-3.1-flash-image", imageSize: "2K" });
    expect(rows[1]?.model).not.toBe("gemini-3.1-flash-image");
  });

  it("send each model only the options it supports", () => {
    const [flash, pro, old] = compareRuns(
      settings,
      [
        { model: "gemini-3.1-flash-image", imageSize: "2K" },
        { model: "gemini-3-pro-image", imageSize: "2K" },
        { model: "gemini-2.5-flash-image", imageSize: "4K" },
      ],
      MODEL_CATALOG,
    );
    expect(flash).toMatchObject({ model: "gemini-3.1-flash-image", imageSize: "2K", imageSearch: true, webSearch: true });
    expect(pro).toMatchObject({ model: "gemini-3-pro-image", imageSize: "2K", imageSearch: false, webSearch: true });
    const oldProfile = byId("gemini-2.5-flash-image");
    expect(old).toMatchObject({ model: "gemini-2.5-flash-image", webSearch: false, imageSearch: false });
    expect(sizesFor(oldProfile)).toContain(old?.imageSize);
    expect(compareRuns(settings, [{ model: "nope", imageSize: "1K" }], MODEL_CATALOG)).toEqual([null]);
  });

  it("find rows that repeat another", () => {
    expect(
      duplicateRows([
        { model: "a", imageSize: "1K" },
        { model: "a", imageSize: "2K" },
        { model: "a", imageSize: "1K" },
      ]),
    ).toEqual([2]);
  });
});
