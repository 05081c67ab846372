import { describe, expect, it } from "vitest";
import { findModel } from "@/lib/gemini/catalog";
import type { GenerationSettings } from "@/lib/gemini/types";
import { adaptSettingsToModel, defaultSettings, suggestModelSwitch } from "./model-switch";

const flash = findModel("gemini-3.1-flash-image")!;
const pro = findModel("gemini-3-pro-image")!;
const legacy = findModel("gemini-2.5-flash-image")!;

describe("adaptSettingsToModel", () => {
  const flashSettings: GenerationSettings = {
    ...defaultSettings(flash),
    imageSize: "512",
    aspectRatio: "8:1",
    thinkingLevel: "high",
    showThoughts: true,
    webSearch: true,
    imageSearch: true,
  };

  it("keeps what still fits and names every change when moving Flash → Pro", () => {
    const { settings, changes } = adaptSettingsToModel(flashSettings, pro);
    expect(settings).toMatchObject({
      model: "gemini-3-pro-image",
      imageSize: "1K",
      aspectRatio: "1:1",
      thinkingLevel: undefined,
      showThoughts: true,
      webSearch: true,
      imageSearch: false,
    });
    expect(changes).toHaveLength(4);
    expect(changes.join("\n")).toMatch(/Size 512 → 1K/);
    expect(changes.join("\n")).toMatch(/8:1 → 1:1/);
    expect(changes.join("\n")).toMatch(/Image Search off/);
  });

  it("turns off everything 2.5 Flash lacks", () => {
    const { settings, changes } = adaptSettingsToModel({ ...flashSettings, imageSize: "2K", aspectRatio: "16:9" }, legacy);
    expect(settings).toMatchObject({ imageSize: "1K", aspectRatio: "16:9", showThoughts: false, webSearch: false, imageSearch: false });
    expect(changes.some((change) => change.includes("Google Search off"))).toBe(true);
  });

  it("changes nothing when every setting fits, and keeps match-input", () => {
    const input = { ...defaultSettings(pro), aspectRatio: "match-input" as const, imageSize: "4K" as const };
    const { settings, changes } = adaptSettingsToModel(input, flash);
    expect(changes).toEqual([]);
    expect(settings.aspectRatio).toBe("match-input");
    expect(settings.imageSize).toBe("4K");
    expect(settings.thinkingLevel).toBe("minimal");
  });
});

describe("suggestModelSwitch", () => {
  const models = [legacy, flash, pro];

  it("offers a retired model's replacement by name", () => {
    expect(suggestModelSwitch({ code: "model_retired", replacementModel: "gemini-3.1-flash-image" }, "gemini-2.5-flash-image", models)).toEqual({
      id: "gemini-3.1-flash-image",
      label: flash.displayName,
    });
    // A replacement the key's list lacks is still offered, by id.
    expect(suggestModelSwitch({ code: "model_retired", replacementModel: "gemini-9-image" }, "gemini-2.5-flash-image", models)).toEqual({
      id: "gemini-9-image",
      label: "gemini-9-image",
    });
  });

  it("offers another stable model the key can use when it may not use this one", () => {
    expect(suggestModelSwitch({ code: "model_access" }, "gemini-3-pro-image", [...models, findModel("gemini-nano-banana-2.1")!])?.id).toBe(
      "gemini-nano-banana-2.1",
    );
    expect(suggestModelSwitch({ code: "model_access" }, "gemini-3.1-flash-image", [flash])).toBeNull();
  });

  it("offers nothing for failures another model would not fix", () => {
    expect(suggestModelSwitch({ code: "service_unavailable" }, "gemini-3.1-flash-image", models)).toBeNull();
    expect(suggestModelSwitch({ code: "model_retired" }, "gemini-3.1-flash-image", models)).toBeNull();
    expect(suggestModelSwitch(null, "gemini-3.1-flash-image", models)).toBeNull();
  });
});
