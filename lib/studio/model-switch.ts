import { supportsAspectRatio, supportsSize, type ModelProfile } from "@/lib/gemini/catalog";
import type { GenerationSettings, StudioError } from "@/lib/gemini/types";
import { describeLimitChange, referenceLimitProblems, type ReferenceRoleCounts } from "./reference-limits";

/**
 * Switching model keeps every setting the new model still supports and says
 * what had to change, so nothing is silently dropped.
 */
export function adaptSettingsToModel(
  settings: GenerationSettings,
  profile: ModelProfile,
  references?: ReferenceRoleCounts,
): { settings: GenerationSettings; changes: string[] } {
  const changes: string[] = [];
  const next: GenerationSettings = { ...settings, model: profile.id };
  const name = profile.displayName;

  if (!supportsSize(profile, settings.imageSize)) {
    next.imageSize = profile.defaultImageSize;
    changes.push(`Size ${settings.imageSize} → ${next.imageSize} (${name} draws ${profile.imageSizes.join(", ")})`);
  }
  if (settings.aspectRatio !== "match-input" && !supportsAspectRatio(profile, settings.aspectRatio)) {
    next.aspectRatio = profile.defaultAspectRatio;
    changes.push(`Aspect ratio ${settings.aspectRatio} → ${next.aspectRatio} (not available on ${name})`);
  }
  if (settings.thinkingLevel && !profile.thinking.levels.includes(settings.thinkingLevel)) {
    next.thinkingLevel = undefined;
    changes.push(
      profile.thinking.alwaysOn ? `Thinking level: ${name} chooses its own` : `Thinking: ${name} doesn't think before drawing`,
    );
  } else if (!settings.thinkingLevel && profile.thinking.defaultLevel) {
    next.thinkingLevel = profile.thinking.defaultLevel;
  }
  if (settings.showThoughts && !profile.thinking.canShowThoughts) {
    next.showThoughts = false;
    changes.push(`Show thoughts off (${name} can't show them)`);
  }
  if (settings.webSearch && !profile.search.web) {
    next.webSearch = false;
    changes.push(`Google Search off (not available on ${name})`);
  }
  if (settings.imageSearch && !profile.search.image) {
    next.imageSearch = false;
    changes.push(`Image Search off (not available on ${name})`);
  }
  // References are the designer's material, not settings: they are not dropped, but every limit
  // they now break is named here, and Generate stays refused until they fit.
  if (references) {
    for (const problem of referenceLimitProblems(references, profile.references, name)) changes.push(describeLimitChange(problem, name));
  }
  return { settings: next, changes };
}

export function defaultSettings(profile: ModelProfile | undefined): GenerationSettings {
  return {
    model: profile?.id ?? "",
    imageSize: profile?.defaultImageSize ?? "1K",
    aspectRatio: profile?.defaultAspectRatio ?? "1:1",
    thinkingLevel: profile?.thinking.defaultLevel ?? undefined,
    showThoughts: profile?.thinking.canShowThoughts ?? false,
    webSearch: false,
    imageSearch: false,
    imageOnly: false,
  };
}

/**
 * The model to offer after a turn failed because of its model: the named replacement of a retired
 * one, or for a model this key may not use, the first stable model the key can use. Null when
 * another model would not help.
 */
export function suggestModelSwitch(
  error: Pick<StudioError, "code" | "replacementModel"> | null,
  failedModel: string,
  models: readonly ModelProfile[],
): { id: string; label: string } | null {
  if (!error) return null;
  const label = (profile: ModelProfile | undefined, id: string) => (profile ? profile.displayName : id);
  if (error.code === "model_retired" && error.replacementModel) {
    const id = error.replacementModel;
    return { id, label: label(models.find((profile) => profile.id === id), id) };
  }
  if (error.code === "model_access") {
    const other = models.find((profile) => profile.id !== failedModel && profile.status.stage === "stable");
    return other ? { id: other.id, label: label(other, other.id) } : null;
  }
  return null;
}
