import { MODEL_CATALOG, findModel, resolveModel, supportsAspectRatio, supportsSize, type ModelProfile } from "@/lib/gemini/catalog";
import type { GenerationSettings } from "@/lib/gemini/types";
import { referenceLimitProblems, type ReferenceRoleCounts } from "./reference-limits";

/**
 * The checks of a new turn that need the model's profile, so they cannot live in the zod schema:
 * the model must exist, and the size, aspect ratio and references (in all and per role) must be
 * ones it takes.
 *
 * The composer only offers valid combinations (lib/studio/model-switch.ts adapts the settings on
 * every model change), so a request failing here came from a stale tab or a script. It is refused
 * before anything is stored, with the reason. The gateway's own adjustments stay for Retry, which
 * repeats an old request exactly even after the catalog changed.
 */

export interface RequestProblem {
  message: string;
  action: string;
}

export interface NewTurnShape {
  settings: GenerationSettings;
  references: ReferenceRoleCounts;
}

/** Prose names a model by its display name, as the model menu leads with it. */
function label(profile: ModelProfile): string {
  return profile.displayName;
}

/**
 * Null when the request fits the model. `offered` is asked only for an id the catalog doesn't
 * know: the models this key can use, as the model menu lists them.
 */
export async function checkNewTurn(
  { settings, references }: NewTurnShape,
  offered: () => Promise<readonly ModelProfile[]>,
  catalog: readonly ModelProfile[] = MODEL_CATALOG,
): Promise<RequestProblem | null> {
  const resolution = resolveModel(settings.model, catalog);
  if (resolution.retired) {
    const replacement = resolution.retired.replacementId ? findModel(resolution.retired.replacementId, catalog) : null;
    return {
      message: `Google has retired ${resolution.requestedId}.`,
      action: replacement ? `Switch to ${label(replacement)} in the model menu.` : "Pick another model in the model menu.",
    };
  }
  let profile = resolution.profile;
  if (!profile) {
    const models = await offered().catch((): readonly ModelProfile[] => []);
    profile = models.find((candidate) => candidate.id === resolution.requestedId) ?? null;
  }
  if (!profile) {
    return { message: `There is no model called “${resolution.requestedId.slice(0, 80)}”.`, action: "Pick a model from the model menu." };
  }

  const name = label(profile);
  if (!supportsSize(profile, settings.imageSize)) {
    return {
      message: `${settings.imageSize} isn't an output size of ${name}.`,
      action: `Pick ${profile.imageSizes.join(", ")}.`,
    };
  }
  if (settings.aspectRatio !== "match-input" && !supportsAspectRatio(profile, settings.aspectRatio)) {
    return {
      message: `${settings.aspectRatio} isn't an aspect ratio of ${name}.`,
      action: `Pick one of ${profile.aspectRatios.join(", ")}.`,
    };
  }
  const [problem] = referenceLimitProblems(references, profile.references, profile.displayName);
  if (problem) {
    return {
      message: problem.message,
      action: problem.kind === "total" ? "Remove some reference images." : `Mark at most ${problem.limit} references as ${problem.kind}s.`,
    };
  }
  return null;
}
