import { describe, expect, it } from "vitest";
import { findModel, type ModelProfile } from "./catalog";
import { checkReferences, describeModelOptions, resolveEffectiveSettings } from "./settings";
import type { GenerationSettings, ReferenceImage } from "./types";

function profile(id: string): ModelProfile {
  const found = findModel(id);
  if (!found) throw new Error(`missing ${id}`);
  return found;
}

const flash = profile("gemini-3.1-flash-image");
const pro = profile("gemini-3-pro-image");
const flash25 = profile("gemini-2.5-flash-image");

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "2K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: true,
  imageOnly: false,
};

function reference(role?: ReferenceImage["role"], mimeType = "image/png"): ReferenceImage {
  return { mimeType, data: new Uint8Array([1, 2, 3]), role };
}

describe("resolveEffectiveSettings", () => {
  it("keeps everything 3.1 Flash supports and predicts the pixel size", () => {
    const effective = resolveEffectiveSettings(settings, flash, { hasInputImages: false });
    expect(effective).toEqual({
      imageSize: "2K",
      aspectRatio: "16:9",
      thinkingLevel: "high",
      includeThoughts: true,
      webSearch: true,
      imageSearch: true,
      imageOnly: false,
      expectedPixelSize: { width: 2752, height: 1536 },
      adjustments: [],
    });
  });

  it("explains every option Pro cannot take", () => {
    const effective = resolveEffectiveSettings({ ...settings, imageSize: "512", aspectRatio: "1:8" }, pro, { hasInputImages: false });
    expect(effective).toMatchObject({ imageSize: "1K", aspectRatio: "9:16", thinkingLevel: null, includeThoughts: true, imageSearch: false, webSearch: true });
    expect(effective.expectedPixelSize).toEqual({ width: 768, height: 1376 });
    expect(effective.adjustments.map((adjustment) => adjustment.setting)).toEqual(["imageSize", "aspectRatio", "thinkingLevel", "imageSearch"]);
    expect(effective.adjustments[0]?.message).toBe("512 px isn't available on Nano Banana Pro; generating at 1K.");
  });

  it("sends no size, thinking or search to 2.5 Flash", () => {
    const effective = resolveEffectiveSettings(settings, flash25, { hasInputImages: false });
    expect(effective).toMatchObject({ imageSize: null, aspectRatio: "16:9", thinkingLevel: null, includeThoughts: false, webSearch: false, imageSearch: false });
    expect(effective.expectedPixelSize).toEqual({ width: 1344, height: 768 });
    expect(effective.adjustments.map((adjustment) => adjustment.setting)).toEqual([
      "imageSize",
      "thinkingLevel",
      "showThoughts",
      "webSearch",
      "imageSearch",
    ]);
  });

  it("leaves the ratio to the model when matching an input image, else asks for its default", () => {
    const match = { ...settings, aspectRatio: "match-input" as const };
    expect(resolveEffectiveSettings(match, flash, { hasInputImages: true })).toMatchObject({ aspectRatio: null, expectedPixelSize: null });
    expect(resolveEffectiveSettings(match, flash, { hasInputImages: false })).toMatchObject({
      aspectRatio: "1:1",
      expectedPixelSize: { width: 2048, height: 2048 },
    });
  });

  it("does not send a thinking level nobody chose", () => {
    const effective = resolveEffectiveSettings({ ...settings, thinkingLevel: undefined, showThoughts: false }, flash, { hasInputImages: false });
    expect(effective).toMatchObject({ thinkingLevel: null, includeThoughts: false, adjustments: [] });
  });
});

describe("checkReferences", () => {
  it("blocks more images than the model takes and unsupported formats", () => {
    const many = Array.from({ length: 15 }, () => reference());
    expect(checkReferences(many, flash).errors).toEqual(["Nano Banana 2 takes up to 14 reference images; this request has 15."]);
    expect(checkReferences([reference(undefined, "image/gif")], flash).errors[0]).toMatch(/image\/gif/);
    expect(checkReferences([{ mimeType: "image/png", data: new Uint8Array() }], flash).errors).toEqual(["Image 1 is empty."]);
  });

  it("warns, without blocking, past the fidelity limits per role and 2.5 Flash's advice", () => {
    const objects = Array.from({ length: 7 }, () => reference("object"));
    const characters = Array.from({ length: 6 }, () => reference("character"));
    expect(checkReferences([...objects, ...characters], pro)).toEqual({
      errors: [],
      warnings: [
        "Nano Banana Pro keeps up to 6 objects faithful; 7 are marked as objects.",
        "Nano Banana Pro keeps up to 5 characters consistent; 6 are marked as characters.",
      ],
    });
    const four = Array.from({ length: 4 }, () => reference());
    expect(checkReferences(four, flash25).errors).toEqual([]);
    expect(checkReferences(four, flash25).warnings[0]).toMatch(/up to 3/);
  });
});

describe("describeModelOptions", () => {
  it("disables and explains what a model lacks", () => {
    const options = describeModelOptions(pro);
    expect(options.imageSizes.find((option) => option.value === "512")).toEqual({
      value: "512",
      enabled: false,
      reason: "Nano Banana Pro draws 1K, 2K, 4K only.",
    });
    expect(options.imageSearch).toMatchObject({ enabled: false });
    expect(options.webSearch).toEqual({ value: true, enabled: true, reason: null });
    expect(options.thinkingLevels.every((option) => !option.enabled)).toBe(true);
    expect(describeModelOptions(flash).aspectRatios.every((option) => option.enabled)).toBe(true);
  });

  it("says when a model's capabilities are not verified", () => {
    const lite = describeModelOptions(profile("gemini-3.1-flash-lite-image"));
    expect(lite.webSearch.reason).toMatch(/\(not verified\)/);
    expect(lite.imageSizes.find((option) => option.value === "2K")?.reason).not.toMatch(/verified/);
  });
});
