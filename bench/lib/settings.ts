import type { GenerationSettings, ImageSize } from "../../lib/gemini/types";

/** The studio's defaults for its default model (lib/studio/model-switch.ts defaultSettings), at a given size. */
export function flashSettings(imageSize: ImageSize, overrides: Partial<GenerationSettings> = {}): GenerationSettings {
  return {
    model: "gemini-3.1-flash-image",
    imageSize,
    aspectRatio: "1:1",
    thinkingLevel: "minimal",
    showThoughts: true,
    webSearch: false,
    imageSearch: false,
    imageOnly: false,
    ...overrides,
  };
}
