/**
 * The emulator's own model table. It is deliberately independent of the app's catalog so that a
 * mistake in the app's catalog shows up as a test failure instead of being mirrored here.
 * Pixel sizes and token counts: seed 004 ("Aspect ratios and image size") and docs/gemini-facts.md.
 */

export type ImageSize = "512" | "1K" | "2K" | "4K";
export type ThinkingLevel = "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";
type PixelTable = Readonly<Record<string, readonly [number, number]>>;

export interface ImageModelSpec {
  kind: "image";
  id: string;
  displayName: string;
  description: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  outputMimeType: "image/jpeg" | "image/png";
  /** Output pixels per size and aspect ratio; the key order is the order the docs list them in. */
  pixels: Readonly<Partial<Record<ImageSize, PixelTable>>>;
  imageTokens: Readonly<Partial<Record<ImageSize, number>>>;
  /** Reference images in one user turn. The real split (objects vs characters) cannot be observed on the wire. */
  maxReferenceImages: number;
  referenceBreakdown: { objects: number; characters: number };
  grounding: { webSearch: boolean; imageSearch: boolean };
  thinking:
    | { mode: "none" }
    | { mode: "configurable"; levels: readonly ThinkingLevel[]; defaultLevel: ThinkingLevel }
    | { mode: "always"; levels: readonly ThinkingLevel[] };
  /** Gemini 3 models sign their output and demand the signature back on replayed model images. */
  signsOutput: boolean;
  /**
   * Prompt tokens per input image. Gemini 3 bills a flat amount per image; 2.x bills 258 per
   * 768x768 tile (258 in total for images up to 384px on both sides).
   */
  inputImageTokens: { perImage: number; tiled: boolean };
}

export interface TextModelSpec {
  kind: "text";
  id: string;
  displayName: string;
  description: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
}

/** Listed by models.list like the real service, but not callable through generateContent. */
export interface OtherModelSpec {
  kind: "other";
  id: string;
  displayName: string;
  description: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  supportedGenerationMethods: readonly string[];
}

export type ModelSpec = ImageModelSpec | TextModelSpec | OtherModelSpec;

const FLASH_31_PIXELS: Readonly<Record<ImageSize, PixelTable>> = {
  "512": {
    "1:1": [512, 512],
    "1:4": [256, 1024],
    "1:8": [192, 1536],
    "2:3": [424, 632],
    "3:2": [632, 424],
    "3:4": [448, 600],
    "4:1": [1024, 256],
    "4:3": [600, 448],
    "4:5": [464, 576],
    "5:4": [576, 464],
    "8:1": [1536, 192],
    "9:16": [384, 688],
    "16:9": [688, 384],
    // Google's table prints 792x168 here (4.7:1, not 21:9). Every other 512 entry is exactly half
    // its 1K entry (1K 21:9 is 1584x672), and 512 costs the same 747 tokens at every ratio, so 168
    // is a misprint of 336. The studio's catalog carries the same correction (lib/gemini/catalog.ts).
    "21:9": [792, 336],
  },
  "1K": {
    "1:1": [1024, 1024],
    "1:4": [512, 2048],
    "1:8": [384, 3072],
    "2:3": [848, 1264],
    "3:2": [1264, 848],
    "3:4": [896, 1200],
    "4:1": [2048, 512],
    "4:3": [1200, 896],
    "4:5": [928, 1152],
    "5:4": [1152, 928],
    "8:1": [3072, 384],
    "9:16": [768, 1376],
    "16:9": [1376, 768],
    "21:9": [1584, 672],
  },
  "2K": {
    "1:1": [2048, 2048],
    "1:4": [1024, 4096],
    "1:8": [768, 6144],
    "2:3": [1696, 2528],
    "3:2": [2528, 1696],
    "3:4": [1792, 2400],
    "4:1": [4096, 1024],
    "4:3": [2400, 1792],
    "4:5": [1856, 2304],
    "5:4": [2304, 1856],
    "8:1": [6144, 768],
    "9:16": [1536, 2752],
    "16:9": [2752, 1536],
    "21:9": [3168, 1344],
  },
  "4K": {
    "1:1": [4096, 4096],
    "1:4": [2048, 8192],
    "1:8": [1536, 12288],
    "2:3": [3392, 5056],
    "3:2": [5056, 3392],
    "3:4": [3584, 4800],
    "4:1": [8192, 2048],
    "4:3": [4800, 3584],
    "4:5": [3712, 4608],
    "5:4": [4608, 3712],
    "8:1": [12288, 1536],
    "9:16": [3072, 5504],
    "16:9": [5504, 3072],
    "21:9": [6336, 2688],
  },
};

const STANDARD_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"] as const;

function pickRatios(table: PixelTable, ratios: readonly string[]): PixelTable {
  const picked: Record<string, readonly [number, number]> = {};
  for (const ratio of ratios) {
    const size = table[ratio];
    if (size) picked[ratio] = size;
  }
  return picked;
}

const PRO_3_PIXELS: Readonly<Partial<Record<ImageSize, PixelTable>>> = {
  "1K": pickRatios(FLASH_31_PIXELS["1K"], STANDARD_RATIOS),
  "2K": pickRatios(FLASH_31_PIXELS["2K"], STANDARD_RATIOS),
  "4K": pickRatios(FLASH_31_PIXELS["4K"], STANDARD_RATIOS),
};

const FLASH_25_PIXELS: Readonly<Partial<Record<ImageSize, PixelTable>>> = {
  "1K": {
    "1:1": [1024, 1024],
    "2:3": [832, 1248],
    "3:2": [1248, 832],
    "3:4": [864, 1184],
    "4:3": [1184, 864],
    "4:5": [896, 1152],
    "5:4": [1152, 896],
    "9:16": [768, 1344],
    "16:9": [1344, 768],
    "21:9": [1536, 672],
  },
};

const GEMINI_3_IMAGE_TOKENS = { "512": 747, "1K": 1120, "2K": 1120, "4K": 2000 } as const;

export const MODELS: readonly ModelSpec[] = [
  {
    kind: "other",
    id: "gemini-embedding-001",
    displayName: "Gemini Embedding 001",
    description: "Obtain a distributed representation of a text.",
    version: "001",
    inputTokenLimit: 2048,
    outputTokenLimit: 1,
    supportedGenerationMethods: ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"],
  },
  {
    kind: "text",
    id: "gemini-2.5-flash",
    displayName: "Gemini 2.5 Flash",
    description:
      "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.",
    version: "001",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
  },
  {
    kind: "text",
    id: "gemini-2.5-pro",
    displayName: "Gemini 2.5 Pro",
    description: "Stable release (June 17th, 2025) of Gemini 2.5 Pro",
    version: "2.5",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
  },
  {
    kind: "image",
    id: "gemini-2.5-flash-image",
    displayName: "Nano Banana",
    description: "Gemini 2.5 Flash Image",
    version: "2.0",
    inputTokenLimit: 32_768,
    outputTokenLimit: 32_768,
    outputMimeType: "image/png",
    pixels: FLASH_25_PIXELS,
    imageTokens: { "1K": 1290 },
    maxReferenceImages: 3,
    referenceBreakdown: { objects: 3, characters: 0 },
    grounding: { webSearch: false, imageSearch: false },
    thinking: { mode: "none" },
    signsOutput: false,
    inputImageTokens: { perImage: 258, tiled: true },
  },
  {
    kind: "image",
    id: "gemini-3-pro-image",
    displayName: "Nano Banana Pro",
    description: "Gemini 3 Pro Image",
    version: "3.0",
    inputTokenLimit: 131_072,
    outputTokenLimit: 32_768,
    outputMimeType: "image/jpeg",
    pixels: PRO_3_PIXELS,
    imageTokens: { "1K": 1120, "2K": 1120, "4K": 2000 },
    maxReferenceImages: 14,
    referenceBreakdown: { objects: 6, characters: 5 },
    grounding: { webSearch: true, imageSearch: false },
    thinking: { mode: "always", levels: ["HIGH"] },
    signsOutput: true,
    inputImageTokens: { perImage: 560, tiled: false },
  },
  {
    kind: "image",
    id: "gemini-3.1-flash-image",
    displayName: "Nano Banana 2",
    description: "Gemini 3.1 Flash Image",
    version: "3.1",
    inputTokenLimit: 131_072,
    outputTokenLimit: 32_768,
    outputMimeType: "image/jpeg",
    pixels: FLASH_31_PIXELS,
    imageTokens: GEMINI_3_IMAGE_TOKENS,
    maxReferenceImages: 14,
    referenceBreakdown: { objects: 10, characters: 4 },
    grounding: { webSearch: true, imageSearch: true },
    thinking: { mode: "configurable", levels: ["MINIMAL", "HIGH"], defaultLevel: "MINIMAL" },
    signsOutput: true,
    inputImageTokens: { perImage: 560, tiled: false },
  },
  {
    // GA 2026-10-06 per Google's changelog; sizes, ratios and levels as third parties document
    // them (docs/gemini-facts.md, Update December 2026). Pixel sizes assumed to follow 3.1 Flash.
    kind: "image",
    id: "gemini-nano-banana-2.1",
    displayName: "Nano Banana 2.1",
    description: "Nano Banana 2.1",
    version: "2.1",
    inputTokenLimit: 131_072,
    outputTokenLimit: 32_768,
    outputMimeType: "image/jpeg",
    pixels: { "1K": FLASH_31_PIXELS["1K"], "2K": FLASH_31_PIXELS["2K"], "4K": FLASH_31_PIXELS["4K"] },
    imageTokens: { "1K": 1120, "2K": 1120, "4K": 2000 },
    maxReferenceImages: 14,
    referenceBreakdown: { objects: 10, characters: 4 },
    grounding: { webSearch: true, imageSearch: false },
    thinking: { mode: "configurable", levels: ["MINIMAL", "MEDIUM", "HIGH"], defaultLevel: "MEDIUM" },
    signsOutput: true,
    inputImageTokens: { perImage: 560, tiled: false },
  },
  {
    // GA 2026-06-30: 1K only, up to 14 input images, 14 aspect ratios (docs/gemini-facts.md).
    kind: "image",
    id: "gemini-3.1-flash-lite-image",
    displayName: "Nano Banana 2 Lite",
    description: "Gemini 3.1 Flash Lite Image",
    version: "3.1",
    inputTokenLimit: 131_072,
    outputTokenLimit: 32_768,
    outputMimeType: "image/jpeg",
    pixels: { "1K": FLASH_31_PIXELS["1K"] },
    imageTokens: { "1K": 1120 },
    maxReferenceImages: 14,
    referenceBreakdown: { objects: 10, characters: 4 },
    grounding: { webSearch: false, imageSearch: false },
    thinking: { mode: "none" },
    signsOutput: true,
    inputImageTokens: { perImage: 560, tiled: false },
  },
  {
    kind: "other",
    id: "imagen-4.0-generate-001",
    displayName: "Imagen 4",
    description: "Vertex served Imagen 4.0 model",
    version: "001",
    inputTokenLimit: 480,
    outputTokenLimit: 8192,
    supportedGenerationMethods: ["predict"],
  },
];

/** Shut down on 2026-06-25; the real service answers 404 for them. */
export const RETIRED_MODEL_IDS: readonly string[] = ["gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview"];

export const SUPPORTED_INPUT_MIME_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/heic",
  "image/heif",
];

export function findModel(id: string): ModelSpec | undefined {
  return MODELS.find((model) => model.id === id);
}

export function supportedImageSizes(model: ImageModelSpec): ImageSize[] {
  return (["512", "1K", "2K", "4K"] as const).filter((size) => model.pixels[size] !== undefined);
}

export function supportedAspectRatios(model: ImageModelSpec): string[] {
  const table = model.pixels["1K"] ?? Object.values(model.pixels)[0];
  return table ? Object.keys(table) : [];
}

export function outputPixels(model: ImageModelSpec, size: ImageSize, ratio: string): { width: number; height: number } | undefined {
  const entry = model.pixels[size]?.[ratio];
  return entry ? { width: entry[0], height: entry[1] } : undefined;
}

/** The model's default: the input image's shape when one is given, else a square. */
export function closestAspectRatio(model: ImageModelSpec, width: number, height: number): string {
  const target = Math.log(width / height);
  let best = "1:1";
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of supportedAspectRatios(model)) {
    const [w, h] = ratio.split(":").map(Number);
    if (!w || !h) continue;
    const distance = Math.abs(Math.log(w / h) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}

export function supportedGenerationMethods(model: ModelSpec): readonly string[] {
  if (model.kind === "other") return model.supportedGenerationMethods;
  if (model.kind === "image") return ["generateContent", "countTokens", "batchGenerateContent"];
  return ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"];
}

/** The resource shape of models.list / models.get (v1beta field names). */
export function toModelResource(model: ModelSpec): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    name: `models/${model.id}`,
    version: model.version,
    displayName: model.displayName,
    description: model.description,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: [...supportedGenerationMethods(model)],
  };
  if (model.kind !== "other") {
    resource.temperature = 1;
    resource.topP = 0.95;
    resource.topK = 64;
    resource.maxTemperature = 2;
  }
  if (model.kind === "text" || (model.kind === "image" && model.thinking.mode !== "none")) {
    resource.thinking = true;
  }
  return resource;
}
