import {
  closestAspectRatio,
  outputPixelSize,
  supportsAspectRatio,
  supportsSize,
  type ModelProfile,
  type UnverifiedCapability,
} from "./catalog";
import {
  ASPECT_RATIOS,
  IMAGE_SIZES,
  THINKING_LEVELS,
  type AspectRatio,
  type GenerationSettings,
  type ImageSize,
  type PixelSize,
  type ReferenceImage,
  type ThinkingLevel,
} from "./types";

// What the studio will actually send for a model, and why a setting was changed or dropped. Pure
// and SDK-free so the UI explains exactly what the gateway does.

export interface SettingAdjustment {
  setting: keyof GenerationSettings;
  /** Designer-facing explanation, also attached to the outcome as a warning. */
  message: string;
}

export interface EffectiveSettings {
  /** Sent as imageConfig.imageSize; null when not sent. */
  imageSize: ImageSize | null;
  /** Sent as imageConfig.aspectRatio; null when not sent (the model follows its input image). */
  aspectRatio: AspectRatio | null;
  thinkingLevel: ThinkingLevel | null;
  includeThoughts: boolean;
  webSearch: boolean;
  imageSearch: boolean;
  imageOnly: boolean;
  /** The pixel size the output should have, per the catalog; null when it cannot be predicted. */
  expectedPixelSize: PixelSize | null;
  adjustments: SettingAdjustment[];
}

export interface EffectiveSettingsContext {
  /** Input images in the request: new references or any image earlier in the conversation. */
  hasInputImages: boolean;
}

export function resolveEffectiveSettings(
  settings: GenerationSettings,
  profile: ModelProfile,
  context: EffectiveSettingsContext,
): EffectiveSettings {
  const adjustments: SettingAdjustment[] = [];
  const name = modelLabel(profile);

  let size: ImageSize = settings.imageSize;
  if (!supportsSize(profile, size)) {
    size = profile.defaultImageSize;
    adjustments.push({
      setting: "imageSize",
      message: `${labelSize(settings.imageSize)} isn't available on ${name}; generating at ${labelSize(size)}.`,
    });
  }

  let aspectRatio: AspectRatio | null;
  if (settings.aspectRatio === "match-input") {
    // Without an input image the model draws squares; sending 1:1 makes that explicit and checkable.
    aspectRatio = context.hasInputImages ? null : profile.defaultAspectRatio;
  } else if (supportsAspectRatio(profile, settings.aspectRatio)) {
    aspectRatio = settings.aspectRatio;
  } else {
    const [width, height] = settings.aspectRatio.split(":").map(Number);
    aspectRatio = closestAspectRatio(profile, width ?? 1, height ?? 1);
    adjustments.push({
      setting: "aspectRatio",
      message: `${settings.aspectRatio} isn't available on ${name}; using ${aspectRatio}, the closest it supports.`,
    });
  }

  let thinkingLevel: ThinkingLevel | null = null;
  if (settings.thinkingLevel) {
    if (profile.thinking.levels.includes(settings.thinkingLevel)) {
      thinkingLevel = settings.thinkingLevel;
    } else {
      adjustments.push({
        setting: "thinkingLevel",
        message: profile.thinking.alwaysOn
          ? `${name} sets its own thinking level; the "${settings.thinkingLevel}" setting was not sent.`
          : `${name} doesn't think before drawing; the thinking setting was not sent.`,
      });
    }
  }

  const includeThoughts = settings.showThoughts && profile.thinking.canShowThoughts;
  if (settings.showThoughts && !includeThoughts) {
    adjustments.push({ setting: "showThoughts", message: `${name} can't show its thoughts.` });
  }
  const webSearch = settings.webSearch && profile.search.web;
  if (settings.webSearch && !webSearch) {
    adjustments.push({ setting: "webSearch", message: `${name} can't use Google web search; generated without it.` });
  }
  const imageSearch = settings.imageSearch && profile.search.image;
  if (settings.imageSearch && !imageSearch) {
    adjustments.push({ setting: "imageSearch", message: `${name} can't use Google image search; generated without it.` });
  }

  return {
    imageSize: profile.acceptsImageSize ? size : null,
    aspectRatio,
    thinkingLevel,
    includeThoughts,
    webSearch,
    imageSearch,
    imageOnly: settings.imageOnly,
    expectedPixelSize: aspectRatio ? outputPixelSize(profile, size, aspectRatio) : null,
    adjustments,
  };
}

export interface ReferenceCheck {
  /** The service would reject the request: block it before sending. */
  errors: string[];
  /** Accepted but with lower fidelity than the designer may expect. */
  warnings: string[];
}

export function checkReferences(references: readonly ReferenceImage[], profile: ModelProfile): ReferenceCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const name = modelLabel(profile);
  const limits = profile.references;

  references.forEach((reference, index) => {
    if (!profile.inputMimeTypes.includes(reference.mimeType.toLowerCase())) {
      errors.push(`Image ${index + 1} is ${reference.mimeType}; ${name} accepts ${profile.inputMimeTypes.join(", ")}.`);
    }
    if (reference.data.byteLength === 0) errors.push(`Image ${index + 1} is empty.`);
  });

  // Images from earlier turns are not counted: the published limits are per request's references.
  const total = references.length;
  if (total > limits.total) {
    const message = `${name} takes up to ${limits.total} reference images; this request has ${total}.`;
    (limits.totalEnforced ? errors : warnings).push(
      limits.totalEnforced ? message : `${message} Results get less faithful beyond that.`,
    );
  }
  const objects = references.filter((reference) => reference.role === "object").length;
  if (limits.objects !== null && objects > limits.objects) {
    warnings.push(`${name} keeps up to ${limits.objects} objects faithful; ${objects} are marked as objects.`);
  }
  const characters = references.filter((reference) => reference.role === "character").length;
  if (limits.characters !== null && characters > limits.characters) {
    warnings.push(`${name} keeps up to ${limits.characters} characters consistent; ${characters} are marked as characters.`);
  }
  return { errors, warnings };
}

export interface OptionAvailability<T> {
  value: T;
  enabled: boolean;
  reason: string | null;
}

export interface ModelOptions {
  imageSizes: OptionAvailability<ImageSize>[];
  aspectRatios: OptionAvailability<AspectRatio>[];
  thinkingLevels: OptionAvailability<ThinkingLevel>[];
  showThoughts: OptionAvailability<boolean>;
  webSearch: OptionAvailability<boolean>;
  imageSearch: OptionAvailability<boolean>;
}

/** Per-option availability with a reason, for controls that enable, disable and explain. */
export function describeModelOptions(profile: ModelProfile): ModelOptions {
  const name = modelLabel(profile);
  const suffix = (capability: UnverifiedCapability) =>
    !profile.verified ? " (capabilities not verified)" : profile.unverified?.includes(capability) ? " (not verified)" : "";
  const option = <T>(value: T, enabled: boolean, reason: string, capability: UnverifiedCapability): OptionAvailability<T> => ({
    value,
    enabled,
    reason: enabled ? null : `${reason}${suffix(capability)}`,
  });
  return {
    imageSizes: IMAGE_SIZES.map((size) =>
      option(size, supportsSize(profile, size), `${name} draws ${profile.imageSizes.map(labelSize).join(", ")} only.`, "imageSizes"),
    ),
    aspectRatios: ASPECT_RATIOS.map((ratio) => option(ratio, supportsAspectRatio(profile, ratio), `${name} doesn't draw ${ratio}.`, "aspectRatios")),
    thinkingLevels: THINKING_LEVELS.map((level) =>
      option(
        level,
        profile.thinking.levels.includes(level),
        profile.thinking.alwaysOn ? `${name} chooses its own thinking level.` : `${name} doesn't think before drawing.`,
        "thinking",
      ),
    ),
    showThoughts: option(true, profile.thinking.canShowThoughts, `${name} can't show its thoughts.`, "thinking"),
    webSearch: option(true, profile.search.web, `${name} can't use Google web search.`, "search"),
    imageSearch: option(true, profile.search.image, `${name} can't use Google image search.`, "search"),
  };
}

function modelLabel(profile: ModelProfile): string {
  return profile.nickname ?? profile.displayName;
}

function labelSize(size: ImageSize): string {
  return size === "512" ? "512 px" : size;
}
