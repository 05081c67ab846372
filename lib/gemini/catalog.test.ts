import { describe, expect, it } from "vitest";
import {
  MODEL_CATALOG,
  closestAspectRatio,
  conservativeProfile,
  findModel,
  modelName,
  newestStableFlash,
  outputPixelSize,
  resolveModel,
  staticModels,
  supportedSizes,
  tokensPerImage,
  type ModelProfile,
} from "./catalog";
import { ASPECT_RATIOS, IMAGE_SIZES } from "./types";

function profile(id: string): ModelProfile {
  const found = findModel(id);
  if (!found) throw new Error(`missing ${id}`);
  return found;
}

const flash = profile("gemini-3.1-flash-image");
const pro = profile("gemini-3-pro-image");
const flash25 = profile("gemini-2.5-flash-image");

describe("MODEL_CATALOG", () => {
  it("is plain JSON data the UI can receive as is", () => {
    expect(JSON.parse(JSON.stringify(MODEL_CATALOG))).toEqual(MODEL_CATALOG);
  });

  it("has unique ids and aliases, and every replacement exists", () => {
    const ids = MODEL_CATALOG.flatMap((model) => [model.id, ...model.aliases.map((alias) => alias.id)]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const model of MODEL_CATALOG) {
      if (model.status.replacement) expect(findModel(model.status.replacement)).not.toBeNull();
      expect(model.imageSizes).toContain(model.defaultImageSize);
      expect(model.aspectRatios).toContain(model.defaultAspectRatio);
    }
  });

  it("lists every size x ratio a verified model offers in its pixel table", () => {
    for (const model of MODEL_CATALOG.filter((candidate) => candidate.verified)) {
      for (const size of model.imageSizes) {
        for (const ratio of model.aspectRatios) {
          expect(outputPixelSize(model, size, ratio), `${model.id} ${size} ${ratio}`).not.toBeNull();
        }
      }
    }
  });

  it("matches the seed's tables for 3.1 Flash, 3 Pro and 2.5 Flash", () => {
    expect(outputPixelSize(flash, "512", "16:9")).toEqual({ width: 688, height: 384 });
    expect(outputPixelSize(flash, "1K", "16:9")).toEqual({ width: 1376, height: 768 });
    expect(outputPixelSize(flash, "2K", "16:9")).toEqual({ width: 2752, height: 1536 });
    expect(outputPixelSize(flash, "4K", "16:9")).toEqual({ width: 5504, height: 3072 });
    expect(outputPixelSize(flash, "4K", "1:8")).toEqual({ width: 1536, height: 12288 });
    // Google's table misprints this row as 792x168; every 512 entry is half of its 1K entry.
    expect(outputPixelSize(flash, "512", "21:9")).toEqual({ width: 792, height: 336 });
    for (const ratio of flash.aspectRatios) {
      const full = outputPixelSize(flash, "1K", ratio);
      expect(outputPixelSize(flash, "512", ratio), ratio).toEqual(full && { width: full.width / 2, height: full.height / 2 });
    }
    expect(outputPixelSize(pro, "2K", "4:5")).toEqual({ width: 1856, height: 2304 });
    expect(outputPixelSize(pro, "1K", "1:4")).toBeNull();
    expect(outputPixelSize(flash25, "1K", "21:9")).toEqual({ width: 1536, height: 672 });
    // 2.5 Flash has one fixed table: the size setting does not change what it draws.
    expect(outputPixelSize(flash25, "4K", "16:9")).toEqual({ width: 1344, height: 768 });
  });

  it("records each model's options as the facts page gives them", () => {
    expect(supportedSizes(flash)).toEqual(["512", "1K", "2K", "4K"]);
    expect(flash.aspectRatios).toHaveLength(14);
    expect(flash.references).toMatchObject({ total: 14, objects: 10, characters: 4 });
    expect(flash.search).toEqual({ web: true, image: true });
    expect(flash.thinking).toMatchObject({ levels: ["minimal", "high"], defaultLevel: "minimal", canShowThoughts: true });

    expect(supportedSizes(pro)).toEqual(["1K", "2K", "4K"]);
    expect(pro.aspectRatios).toHaveLength(10);
    expect(pro.references).toMatchObject({ total: 14, objects: 6, characters: 5 });
    expect(pro.search).toEqual({ web: true, image: false });
    expect(pro.thinking).toMatchObject({ levels: [], alwaysOn: true, canShowThoughts: true });

    expect(flash25.acceptsImageSize).toBe(false);
    expect(flash25.search).toEqual({ web: false, image: false });
    expect(flash25.thinking).toMatchObject({ levels: [], alwaysOn: false, canShowThoughts: false });
    expect(flash25.status).toMatchObject({ stage: "deprecated", shutdownOn: "2026-10-02", replacement: "gemini-nano-banana-2.1" });
  });

  it("knows tokens per output image", () => {
    expect(tokensPerImage(flash, "512")).toBe(747);
    expect(tokensPerImage(flash, "2K")).toBe(1120);
    expect(tokensPerImage(pro, "4K")).toBe(2000);
    expect(tokensPerImage(flash25, "1K")).toBe(1290);
  });

  it("records the models of December 2026, marking what only third parties report (gemini-facts.md, Update December 2026)", () => {
    const banana21 = profile("gemini-nano-banana-2.1");
    expect(banana21).toMatchObject({
      status: { stage: "stable", since: "2026-10-06" },
      imageSizes: ["1K", "2K", "4K"],
      thinking: { levels: ["minimal", "medium", "high"], defaultLevel: "medium" },
    });
    expect(banana21.aspectRatios).toEqual(expect.arrayContaining(["1:4", "4:1", "1:8", "8:1"]));
    expect(banana21.unverified).toEqual(expect.arrayContaining(["aspectRatios", "thinking"]));

    const lite = profile("gemini-3.1-flash-lite-image");
    expect(lite).toMatchObject({ nickname: "Nano Banana 2 Lite", imageSizes: ["1K"], acceptsImageSize: false, references: { total: 14 } });
    expect(lite.aspectRatios).toHaveLength(14);
    // Not reported either way: not offered, and said so.
    expect(lite.search).toEqual({ web: false, image: false });
    expect(lite.thinking.levels).toEqual([]);
    expect(lite.unverified).toEqual(expect.arrayContaining(["thinking", "search"]));

    expect(profile("gemini-3.1-flash-image").status).toMatchObject({ stage: "deprecated", replacement: "gemini-nano-banana-2.1", shutdownOn: null });
  });
});

describe("resolveModel", () => {
  it("resolves stable ids, with or without the models/ prefix", () => {
    expect(resolveModel("gemini-3-pro-image")).toMatchObject({ profile: { id: "gemini-3-pro-image" }, retired: null });
    expect(resolveModel("models/gemini-3.1-flash-image").profile?.id).toBe("gemini-3.1-flash-image");
  });

  it("maps the seeds' preview ids to their stable replacements, marked retired", () => {
    expect(resolveModel("gemini-3.1-flash-image-preview")).toEqual({
      requestedId: "gemini-3.1-flash-image-preview",
      profile: flash,
      retired: { id: "gemini-3.1-flash-image-preview", shutdownOn: "2026-06-25", replacementId: "gemini-3.1-flash-image" },
    });
    expect(resolveModel("gemini-3-pro-image-preview").retired?.replacementId).toBe("gemini-3-pro-image");
  });

  it("follows a retired catalog entry to its replacement", () => {
    const catalog: ModelProfile[] = [
      ...MODEL_CATALOG,
      { ...conservativeProfile("gemini-old-image"), status: { stage: "retired", since: null, shutdownOn: "2026-01-01", replacement: "gemini-3-pro-image", note: null } },
    ];
    expect(resolveModel("gemini-old-image", catalog)).toMatchObject({
      profile: { id: "gemini-3-pro-image" },
      retired: { id: "gemini-old-image", replacementId: "gemini-3-pro-image" },
    });
  });

  it("returns no profile for an id the catalog does not know", () => {
    expect(resolveModel("gemini-9-image")).toEqual({ requestedId: "gemini-9-image", profile: null, retired: null });
  });
});

describe("helpers", () => {
  it("finds the closest supported aspect ratio on a log scale", () => {
    expect(closestAspectRatio(pro, 1, 8)).toBe("9:16");
    expect(closestAspectRatio(flash, 1, 8)).toBe("1:8");
    expect(closestAspectRatio(pro, 1920, 1080)).toBe("16:9");
    expect(closestAspectRatio(pro, 1000, 1010)).toBe("1:1");
  });

  it("offers the verified, non-retired models when the API cannot be asked", () => {
    // 2.5 Flash Image is past its announced shutdown: only a key that still lists it gets it.
    expect(staticModels(MODEL_CATALOG, "2026-12-05").map((model) => model.id)).toEqual([
      "gemini-3.1-flash-image",
      "gemini-3-pro-image",
      "gemini-nano-banana-2.1",
      "gemini-3.1-flash-lite-image",
    ]);
    expect(staticModels(MODEL_CATALOG, "2026-10-01").map((model) => model.id)).toContain("gemini-2.5-flash-image");
  });

  it("defaults to the newest stable Flash model", () => {
    expect(newestStableFlash(MODEL_CATALOG)?.id).toBe("gemini-nano-banana-2.1");
    // A deprecated Flash is no default, even when it is all a key offers.
    expect(newestStableFlash([profile("gemini-3.1-flash-image"), pro])).toBeNull();
    expect(newestStableFlash([pro, flash25])).toBeNull();
  });

  it("a conservative profile offers only what every image model accepts", () => {
    const unknown = conservativeProfile("gemini-x-image", "Gemini X");
    expect(unknown).toMatchObject({ id: "gemini-x-image", displayName: "Gemini X", verified: false, imageSizes: ["1K"] });
    expect(unknown.aspectRatios.every((ratio) => (ASPECT_RATIOS as readonly string[]).includes(ratio))).toBe(true);
    expect(IMAGE_SIZES.map((size) => outputPixelSize(unknown, size, "1:1"))).toEqual([null, null, null, null]);
  });
});

describe("modelName", () => {
  it("calls a model by its nickname, a model without one by its name, and an unknown id by the id", () => {
    expect(modelName("gemini-3.1-flash-image")).toBe("Nano Banana 2");
    expect(modelName("models/gemini-3-pro-image")).toBe("Nano Banana Pro");
    expect(modelName("gemini-x-image")).toBe("gemini-x-image");
    expect(modelName("gemini-x-image", [conservativeProfile("gemini-x-image", "Gemini X")])).toBe("Gemini X");
  });
});
