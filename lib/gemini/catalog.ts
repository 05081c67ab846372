import { ASPECT_RATIOS, type AspectRatio, type ImageSize, type PixelSize, type ThinkingLevel } from "./types";

// The model catalog is data: every difference between models the studio knows about lives in a
// profile, and code reads profiles instead of branching on ids. No SDK import: the UI reads this
// to enable, disable and explain controls. Everything here is JSON-safe (ISO date strings).

export type ModelStage = "stable" | "preview" | "deprecated" | "retired";
export type ModelFamily = "flash" | "pro" | "flash-lite" | "unknown";

export interface ModelStatus {
  stage: ModelStage;
  /** ISO date the model became available at this stage, when known. */
  since: string | null;
  /** ISO date the model stops (or stopped) answering; for a deprecated model, the earliest announced date. */
  shutdownOn: string | null;
  replacement: string | null;
  note: string | null;
}

/** Another id that names (or used to name) this model. A retired alias no longer answers. */
export interface ModelAlias {
  id: string;
  retired: boolean;
  shutdownOn: string | null;
}

export interface ReferenceLimits {
  total: number;
  /** High-fidelity object references; null when the model has no separate limit. */
  objects: number | null;
  /** Characters whose likeness is kept; null when the model has no separate limit. */
  characters: number | null;
  /** False when `total` is advice ("works best with up to 3") rather than what the service accepts. */
  totalEnforced: boolean;
}

export interface ThinkingProfile {
  /** Levels the studio may send in thinkingConfig.thinkingLevel; empty when it must not send one. */
  levels: ThinkingLevel[];
  defaultLevel: ThinkingLevel | null;
  /** The model always thinks and thinking cannot be switched off (billed either way). */
  alwaysOn: boolean;
  /** includeThoughts is accepted: thought summaries and interim thought images can be shown. */
  canShowThoughts: boolean;
}

export type OutputSizeTable = Partial<Record<ImageSize, Partial<Record<AspectRatio, PixelSize>>>>;

export interface ModelProfile {
  id: string;
  displayName: string;
  /** Google's marketing name ("Nano Banana 2"). */
  nickname: string | null;
  family: ModelFamily;
  status: ModelStatus;
  aliases: ModelAlias[];
  /** False for models the studio only knows by name: capabilities are a conservative guess. */
  verified: boolean;
  /**
   * For a verified model, the capabilities only third parties report (the UI says so): what the
   * studio offers for them may be refused by Google.
   */
  unverified?: UnverifiedCapability[];
  imageSizes: ImageSize[];
  defaultImageSize: ImageSize;
  /** Whether imageConfig.imageSize may be sent; models with one fixed size table reject or ignore it. */
  acceptsImageSize: boolean;
  aspectRatios: AspectRatio[];
  /** What the model draws without an aspect ratio and without input images. */
  defaultAspectRatio: AspectRatio;
  outputSizes: OutputSizeTable;
  references: ReferenceLimits;
  inputMimeTypes: string[];
  search: { web: boolean; image: boolean };
  thinking: ThinkingProfile;
  tokensPerImage: Partial<Record<ImageSize, number>>;
  notes: string[];
}

export type UnverifiedCapability = "imageSizes" | "aspectRatios" | "outputSizes" | "references" | "search" | "thinking";

export const UNVERIFIED_LABELS: Record<UnverifiedCapability, string> = {
  imageSizes: "output sizes",
  aspectRatios: "aspect ratios",
  outputSizes: "pixel sizes",
  references: "reference limits",
  search: "Google Search",
  thinking: "thinking levels",
};

export const STANDARD_ASPECT_RATIOS: AspectRatio[] = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];
export const INPUT_MIME_TYPES = ["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"];
export const PRICE_NOTE = "Indicative third-party prices (Nov 2026); check Google's pricing before quoting. Batch API is about half.";

/**
 * Parses a resolution table as printed in Google's image-generation guide (seed 004, "Aspect ratios
 * and image size"): one row per ratio, then "WxH tokens" per size column.
 */
function parseResolutionTable(sizes: ImageSize[], table: string) {
  const outputSizes: OutputSizeTable = {};
  const tokensPerImage: Partial<Record<ImageSize, number>> = {};
  for (const line of table.trim().split("\n")) {
    const [ratio, ...cells] = line.trim().split(/\s+/);
    if (!isAspectRatio(ratio) || cells.length !== sizes.length * 2) {
      throw new Error(`Malformed resolution table row: ${line}`);
    }
    sizes.forEach((size, column) => {
      const [width, height] = (cells[column * 2] ?? "").split("x").map(Number);
      const tokens = Number(cells[column * 2 + 1]);
      if (!width || !height || !tokens) throw new Error(`Malformed resolution table row: ${line}`);
      (outputSizes[size] ??= {})[ratio] = { width, height };
      tokensPerImage[size] = tokens;
    });
  }
  return { outputSizes, tokensPerImage };
}

// The seed's table, except 512 at 21:9: Google prints 792x168 (4.7:1). Every other 512 row is half
// its 1K row (1K 21:9 is 1584x672) at the same 747 tokens, so 168 is a misprint of 336. The emulator
// draws the same corrected size (emulator/models.ts).
const FLASH_31_TABLE = parseResolutionTable(
  ["512", "1K", "2K", "4K"],
  `
1:1 512x512 747 1024x1024 1120 2048x2048 1120 4096x4096 2000
1:4 256x1024 747 512x2048 1120 1024x4096 1120 2048x8192 2000
1:8 192x1536 747 384x3072 1120 768x6144 1120 1536x12288 2000
2:3 424x632 747 848x1264 1120 1696x2528 1120 3392x5056 2000
3:2 632x424 747 1264x848 1120 2528x1696 1120 5056x3392 2000
3:4 448x600 747 896x1200 1120 1792x2400 1120 3584x4800 2000
4:1 1024x256 747 2048x512 1120 4096x1024 1120 8192x2048 2000
4:3 600x448 747 1200x896 1120 2400x1792 1120 4800x3584 2000
4:5 464x576 747 928x1152 1120 1856x2304 1120 3712x4608 2000
5:4 576x464 747 1152x928 1120 2304x1856 1120 4608x3712 2000
8:1 1536x192 747 3072x384 1120 6144x768 1120 12288x1536 2000
9:16 384x688 747 768x1376 1120 1536x2752 1120 3072x5504 2000
16:9 688x384 747 1376x768 1120 2752x1536 1120 5504x3072 2000
21:9 792x336 747 1584x672 1120 3168x1344 1120 6336x2688 2000
`,
);

const PRO_3_TABLE = parseResolutionTable(
  ["1K", "2K", "4K"],
  `
1:1 1024x1024 1120 2048x2048 1120 4096x4096 2000
2:3 848x1264 1120 1696x2528 1120 3392x5056 2000
3:2 1264x848 1120 2528x1696 1120 5056x3392 2000
3:4 896x1200 1120 1792x2400 1120 3584x4800 2000
4:3 1200x896 1120 2400x1792 1120 4800x3584 2000
4:5 928x1152 1120 1856x2304 1120 3712x4608 2000
5:4 1152x928 1120 2304x1856 1120 4608x3712 2000
9:16 768x1376 1120 1536x2752 1120 3072x5504 2000
16:9 1376x768 1120 2752x1536 1120 5504x3072 2000
21:9 1584x672 1120 3168x1344 1120 6336x2688 2000
`,
);

const FLASH_25_TABLE = parseResolutionTable(
  ["1K"],
  `
1:1 1024x1024 1290
2:3 832x1248 1290
3:2 1248x832 1290
3:4 864x1184 1290
4:3 1184x864 1290
4:5 896x1152 1290
5:4 1152x896 1290
9:16 768x1344 1290
16:9 1344x768 1290
21:9 1536x672 1290
`,
);

/**
 * What the studio assumes about an image model it cannot vouch for: only what every Gemini image
 * model accepts, so a request never fails on an option the UI offered.
 */
export function conservativeProfile(id: string, displayName?: string, notes: string[] = []): ModelProfile {
  return {
    id,
    displayName: displayName ?? id,
    nickname: null,
    family: "unknown",
    status: { stage: "stable", since: null, shutdownOn: null, replacement: null, note: null },
    aliases: [],
    verified: false,
    imageSizes: ["1K"],
    defaultImageSize: "1K",
    acceptsImageSize: false,
    aspectRatios: [...STANDARD_ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    outputSizes: {},
    references: { total: 3, objects: null, characters: null, totalEnforced: false },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: false, image: false },
    thinking: { levels: [], defaultLevel: null, alwaysOn: false, canShowThoughts: false },
    tokensPerImage: {},
    notes: ["Capabilities not verified: the studio offers only options every Gemini image model accepts.", ...notes],
  };
}

export const MODEL_CATALOG: ModelProfile[] = [
  {
    id: "gemini-3.1-flash-image",
    displayName: "Gemini 3.1 Flash Image",
    nickname: "Nano Banana 2",
    family: "flash",
    status: {
      stage: "deprecated",
      since: "2026-05-28",
      shutdownOn: null,
      replacement: "gemini-nano-banana-2.1",
      note: "Deprecated by Google's changelog of 2026-10-06 in favour of Nano Banana 2.1, no shutdown date announced (third parties report 2026-10-29, unverified).",
    },
    aliases: [{ id: "gemini-3.1-flash-image-preview", retired: true, shutdownOn: "2026-06-25" }],
    verified: true,
    imageSizes: ["512", "1K", "2K", "4K"],
    defaultImageSize: "1K",
    acceptsImageSize: true,
    aspectRatios: [...ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    outputSizes: FLASH_31_TABLE.outputSizes,
    references: { total: 14, objects: 10, characters: 4, totalEnforced: true },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: true, image: true },
    thinking: { levels: ["minimal", "high"], defaultLevel: "minimal", alwaysOn: true, canShowThoughts: true },
    tokensPerImage: FLASH_31_TABLE.tokensPerImage,
    notes: ["Image search cannot use real-world images of people."],
  },
  {
    id: "gemini-3-pro-image",
    displayName: "Gemini 3 Pro Image",
    nickname: "Nano Banana Pro",
    family: "pro",
    status: { stage: "stable", since: "2026-05-28", shutdownOn: null, replacement: null, note: null },
    aliases: [{ id: "gemini-3-pro-image-preview", retired: true, shutdownOn: "2026-06-25" }],
    verified: true,
    imageSizes: ["1K", "2K", "4K"],
    defaultImageSize: "1K",
    acceptsImageSize: true,
    aspectRatios: [...STANDARD_ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    outputSizes: PRO_3_TABLE.outputSizes,
    references: { total: 14, objects: 6, characters: 5, totalEnforced: true },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: true, image: false },
    // Pro always thinks at its own level; the API exposes no level for it.
    thinking: { levels: [], defaultLevel: null, alwaysOn: true, canShowThoughts: true },
    tokensPerImage: PRO_3_TABLE.tokensPerImage,
    notes: ["Best for text rendering and complex instructions."],
  },
  {
    id: "gemini-2.5-flash-image",
    displayName: "Gemini 2.5 Flash Image",
    nickname: "Nano Banana",
    family: "flash",
    // Google's deprecations page lists shutdown on 2026-10-02, and since 2026-09-18 2.5 models are
    // for existing users only: retired for new keys, so it is offered only while a key still lists it.
    status: {
      stage: "deprecated",
      since: null,
      shutdownOn: "2026-10-02",
      replacement: "gemini-nano-banana-2.1",
      note: "Listed for shutdown on 2026-10-02 and restricted to existing users since 2026-09-18: new keys can't use it.",
    },
    aliases: [],
    verified: true,
    imageSizes: ["1K"],
    defaultImageSize: "1K",
    acceptsImageSize: false,
    aspectRatios: [...STANDARD_ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    outputSizes: FLASH_25_TABLE.outputSizes,
    references: { total: 3, objects: null, characters: null, totalEnforced: false },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: false, image: false },
    thinking: { levels: [], defaultLevel: null, alwaysOn: false, canShowThoughts: false },
    tokensPerImage: FLASH_25_TABLE.tokensPerImage,
    notes: ["Works best with up to 3 input images."],
  },
  {
    id: "gemini-nano-banana-2.1",
    displayName: "Nano Banana 2.1",
    nickname: "Nano Banana 2.1",
    family: "flash",
    // GA per Google's changelog (localized page); sizes, ratios and levels come from third-party docs.
    status: { stage: "stable", since: "2026-10-06", shutdownOn: null, replacement: null, note: null },
    aliases: [],
    verified: true,
    unverified: ["aspectRatios", "outputSizes", "thinking", "references", "search"],
    imageSizes: ["1K", "2K", "4K"],
    defaultImageSize: "1K",
    acceptsImageSize: true,
    aspectRatios: [...ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    // Assumed to draw what 3.1 Flash draws at these sizes; no published table yet.
    outputSizes: { "1K": FLASH_31_TABLE.outputSizes["1K"], "2K": FLASH_31_TABLE.outputSizes["2K"], "4K": FLASH_31_TABLE.outputSizes["4K"] },
    references: { total: 14, objects: 10, characters: 4, totalEnforced: true },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: true, image: false },
    thinking: { levels: ["minimal", "medium", "high"], defaultLevel: "medium", alwaysOn: true, canShowThoughts: true },
    tokensPerImage: {},
    notes: ["Replaces Nano Banana 2. Mask-based editing is claimed, but its API is unpublished."],
  },
  {
    id: "gemini-3.1-flash-lite-image",
    displayName: "Gemini 3.1 Flash Lite Image",
    nickname: "Nano Banana 2 Lite",
    family: "flash-lite",
    status: { stage: "stable", since: "2026-06-30", shutdownOn: null, replacement: null, note: null },
    aliases: [],
    verified: true,
    unverified: ["outputSizes", "thinking", "search"],
    imageSizes: ["1K"],
    defaultImageSize: "1K",
    // 1K only: Vertex answers 400 for 2K/4K, and nothing says the size may be sent at all.
    acceptsImageSize: false,
    aspectRatios: [...ASPECT_RATIOS],
    defaultAspectRatio: "1:1",
    outputSizes: { "1K": FLASH_31_TABLE.outputSizes["1K"] },
    references: { total: 14, objects: null, characters: null, totalEnforced: true },
    inputMimeTypes: [...INPUT_MIME_TYPES],
    search: { web: false, image: false },
    thinking: { levels: [], defaultLevel: null, alwaysOn: false, canShowThoughts: false },
    tokensPerImage: {},
    notes: ["1K only, one image per request. Thinking and Google Search not verified, so not offered."],
  },
];

export function isAspectRatio(value: unknown): value is AspectRatio {
  return typeof value === "string" && (ASPECT_RATIOS as readonly string[]).includes(value);
}

/** "models/gemini-3-pro-image" (as models.list names it) and "gemini-3-pro-image" are the same model. */
export function normalizeModelId(id: string): string {
  return id.trim().replace(/^models\//, "");
}

export interface ModelResolution {
  requestedId: string;
  /** The profile to use: the model itself, or its replacement when the requested id is retired. */
  profile: ModelProfile | null;
  /** Set when the requested id no longer answers. */
  retired: { id: string; shutdownOn: string | null; replacementId: string | null } | null;
}

export function findModel(id: string, catalog: readonly ModelProfile[] = MODEL_CATALOG): ModelProfile | null {
  const wanted = normalizeModelId(id);
  return catalog.find((profile) => profile.id === wanted) ?? null;
}

/** What the studio calls a model in prose: its nickname ("Nano Banana 2"), else its name, else the id. */
export function modelName(id: string, catalog: readonly ModelProfile[] = MODEL_CATALOG): string {
  const profile = findModel(id, catalog);
  return profile ? (profile.nickname ?? profile.displayName) : id;
}

export function resolveModel(id: string, catalog: readonly ModelProfile[] = MODEL_CATALOG): ModelResolution {
  const requestedId = normalizeModelId(id);
  const direct = findModel(requestedId, catalog);
  if (direct) {
    if (direct.status.stage !== "retired") return { requestedId, profile: direct, retired: null };
    const replacement = direct.status.replacement ? findModel(direct.status.replacement, catalog) : null;
    return {
      requestedId,
      profile: replacement,
      retired: { id: requestedId, shutdownOn: direct.status.shutdownOn, replacementId: direct.status.replacement },
    };
  }
  for (const profile of catalog) {
    const alias = profile.aliases.find((candidate) => candidate.id === requestedId);
    if (!alias) continue;
    return {
      requestedId,
      profile,
      retired: alias.retired ? { id: requestedId, shutdownOn: alias.shutdownOn, replacementId: profile.id } : null,
    };
  }
  return { requestedId, profile: null, retired: null };
}

/** The size a model draws for these settings, per Google's tables; null when the catalog does not know. */
export function outputPixelSize(profile: ModelProfile, imageSize: ImageSize, aspectRatio: AspectRatio): PixelSize | null {
  // A model with one fixed table draws the same size whatever imageSize says.
  const size = profile.acceptsImageSize ? imageSize : profile.defaultImageSize;
  return profile.outputSizes[size]?.[aspectRatio] ?? null;
}

export function supportedSizes(profile: ModelProfile): ImageSize[] {
  return [...profile.imageSizes];
}

export function supportsSize(profile: ModelProfile, imageSize: ImageSize): boolean {
  return profile.imageSizes.includes(imageSize);
}

export function supportsAspectRatio(profile: ModelProfile, aspectRatio: AspectRatio): boolean {
  return profile.aspectRatios.includes(aspectRatio);
}

export function aspectRatioValue(aspectRatio: AspectRatio): number {
  const [width, height] = aspectRatio.split(":").map(Number);
  return (width ?? 1) / (height ?? 1);
}

/** The supported ratio closest in shape (log scale, so 1:4 and 4:1 are equally far from 1:1). */
export function closestAspectRatio(profile: ModelProfile, width: number, height: number): AspectRatio {
  const target = Math.log(width / height);
  let best = profile.defaultAspectRatio;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of profile.aspectRatios) {
    const distance = Math.abs(Math.log(aspectRatioValue(ratio)) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}

export function tokensPerImage(profile: ModelProfile, imageSize: ImageSize): number | null {
  const size = profile.acceptsImageSize ? imageSize : profile.defaultImageSize;
  return profile.tokensPerImage[size] ?? null;
}

/**
 * Models the studio offers without asking the API: verified, not retired, and not past an
 * announced shutdown (such a model may still answer old keys, but only models.list can say so).
 */
export function staticModels(catalog: readonly ModelProfile[] = MODEL_CATALOG, today = new Date().toISOString().slice(0, 10)): ModelProfile[] {
  return catalog.filter(
    (profile) => profile.verified && profile.status.stage !== "retired" && !(profile.status.shutdownOn && profile.status.shutdownOn <= today),
  );
}

/** The newest stable, verified Flash image model: the studio's default when the operator set none. */
export function newestStableFlash(models: readonly ModelProfile[]): ModelProfile | null {
  const candidates = models.filter(
    (profile) => profile.verified && profile.family === "flash" && profile.status.stage === "stable",
  );
  candidates.sort((a, b) => (b.status.since ?? "").localeCompare(a.status.since ?? ""));
  return candidates[0] ?? null;
}
