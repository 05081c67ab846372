import { describe, expect, it } from "vitest";
import { discoverModels, type ListedModel } from "./models";

const listed: ListedModel[] = [
  { name: "models/gemini-3.1-flash-image", displayName: "Nano Banana 2", supportedActions: ["generateContent", "countTokens"] },
  { name: "models/gemini-3-pro-image", supportedActions: ["generateContent"] },
  { name: "models/gemini-2.5-flash", supportedActions: ["generateContent"] },
  { name: "models/imagen-4.0-generate-001", supportedActions: ["predict"] },
  { name: "models/gemini-3.5-flash-image", displayName: "Gemini 3.5 Flash Image", supportedActions: ["generateContent"] },
  { name: "models/gemini-3.1-flash-image-preview", supportedActions: ["generateContent"] },
  { name: "models/gemini-embedding-image-001", supportedActions: ["embedContent"] },
];

describe("discoverModels", () => {
  it("offers the catalog models the key can use and hides the rest", () => {
    const discovery = discoverModels(listed);
    const ids = discovery.models.map((model) => model.id);
    expect(ids).toContain("gemini-3.1-flash-image");
    expect(ids).toContain("gemini-3-pro-image");
    expect(ids).not.toContain("gemini-2.5-flash-image");
    expect(ids).not.toContain("gemini-3.1-flash-lite-image");
    expect(discovery.source).toBe("live");
  });

  it("never offers a retired alias, a text model, Imagen or a model that cannot generateContent", () => {
    const ids = discoverModels(listed).models.map((model) => model.id);
    expect(ids).not.toContain("gemini-3.1-flash-image-preview");
    expect(ids).not.toContain("gemini-2.5-flash");
    expect(ids).not.toContain("imagen-4.0-generate-001");
    expect(ids).not.toContain("gemini-embedding-image-001");
  });

  it("adds an unknown image model with a conservative, unverified profile", () => {
    const unknown = discoverModels(listed).models.find((model) => model.id === "gemini-3.5-flash-image");
    expect(unknown).toMatchObject({ displayName: "Gemini 3.5 Flash Image", verified: false, family: "unknown", imageSizes: ["1K"] });
    expect(unknown?.search).toEqual({ web: false, image: false });
  });

  it("shows a reported model under its catalog name once the key lists it", () => {
    const discovery = discoverModels([{ name: "models/gemini-nano-banana-2.1", supportedActions: ["generateContent"] }]);
    expect(discovery.models).toHaveLength(1);
    expect(discovery.models[0]).toMatchObject({ displayName: "Nano Banana 2.1", verified: true, unverified: expect.arrayContaining(["thinking"]) });
  });

  it("defaults to the newest stable Flash model, and says so when the key doesn't list it", () => {
    const withNew = discoverModels([...listed, { name: "models/gemini-nano-banana-2.1", supportedActions: ["generateContent"] }]);
    expect(withNew).toMatchObject({ defaultModel: "gemini-nano-banana-2.1", warnings: [] });
    const without = discoverModels(listed);
    expect(without.defaultModel).toBe("gemini-3.1-flash-image");
    expect(without.warnings).toEqual([
      "Nano Banana 2.1 (gemini-nano-banana-2.1) isn't available to this API key; the studio starts with Nano Banana 2 (gemini-3.1-flash-image).",
    ]);
  });

  it("honours STUDIO_DEFAULT_MODEL when the key can use it, resolving retired ids", () => {
    expect(discoverModels(listed, { defaultModelId: "gemini-3-pro-image" })).toMatchObject({
      defaultModel: "gemini-3-pro-image",
      warnings: [],
    });
    const retired = discoverModels(listed, { defaultModelId: "gemini-3-pro-image-preview" });
    expect(retired.defaultModel).toBe("gemini-3-pro-image");
    expect(retired.warnings[0]).toMatch(/retired/);
    expect(discoverModels(listed, { defaultModelId: "gemini-3.5-flash-image" }).defaultModel).toBe("gemini-3.5-flash-image");
  });

  it("falls back with a warning when STUDIO_DEFAULT_MODEL is not available", () => {
    const discovery = discoverModels(listed, { defaultModelId: "gemini-2.5-flash-image" });
    expect(discovery.defaultModel).toBe("gemini-3.1-flash-image");
    expect(discovery.warnings).toEqual([
      "STUDIO_DEFAULT_MODEL=gemini-2.5-flash-image isn't available to this API key; using the newest stable Flash model.",
    ]);
  });

  it("picks some usable model when no Flash model is listed, and none when nothing is", () => {
    expect(discoverModels([{ name: "models/gemini-3-pro-image" }]).defaultModel).toBe("gemini-3-pro-image");
    expect(discoverModels([])).toMatchObject({ models: [], defaultModel: null });
  });

  it("falls back to the verified catalog when the list could not be fetched", () => {
    const discovery = discoverModels(null);
    expect(discovery.source).toBe("catalog");
    expect(discovery.models.map((model) => model.id)).toEqual([
      "gemini-3.1-flash-image",
      "gemini-3-pro-image",
      "gemini-nano-banana-2.1",
      "gemini-3.1-flash-lite-image",
    ]);
    expect(discovery.defaultModel).toBe("gemini-nano-banana-2.1");
  });
});
