import "server-only";

import {
  MODEL_CATALOG,
  conservativeProfile,
  newestStableFlash,
  normalizeModelId,
  resolveModel,
  staticModels,
  type ModelProfile,
} from "./catalog";

// Merges what models.list says the key can use with what the catalog knows. Pure: the client
// fetches the list, this decides what the studio offers.

/** The fields of a models.list entry the studio reads (a subset of the SDK's Model). */
export interface ListedModel {
  name?: string;
  displayName?: string;
  description?: string;
  supportedActions?: string[];
}

export interface ModelDiscovery {
  /** Models to offer, catalog order first, then unknown image models by id. */
  models: ModelProfile[];
  defaultModel: string | null;
  /** Operator-facing notes (e.g. STUDIO_DEFAULT_MODEL not usable). */
  warnings: string[];
  /** "live" when built from models.list, "catalog" when the list could not be fetched. */
  source: "live" | "catalog";
}

export interface DiscoveryOptions {
  /** STUDIO_DEFAULT_MODEL, when the operator set one. */
  defaultModelId?: string;
  catalog?: readonly ModelProfile[];
}

export function discoverModels(listed: readonly ListedModel[] | null, options: DiscoveryOptions = {}): ModelDiscovery {
  const catalog = options.catalog ?? MODEL_CATALOG;
  const warnings: string[] = [];
  let models: ModelProfile[];

  if (listed === null) {
    models = staticModels(catalog);
  } else {
    const available = new Map<string, ListedModel>();
    for (const entry of listed) {
      if (entry.name && canGenerate(entry)) available.set(normalizeModelId(entry.name), entry);
    }
    models = catalog.filter((profile) => profile.status.stage !== "retired" && available.has(profile.id));
    const known = new Set(catalog.flatMap((profile) => [profile.id, ...profile.aliases.map((alias) => alias.id)]));
    const unknown = [...available.entries()]
      .filter(([id]) => !known.has(id) && looksLikeImageModel(id))
      .sort(([a], [b]) => a.localeCompare(b));
    for (const [id, entry] of unknown) {
      models.push(conservativeProfile(id, entry.displayName, entry.description ? [entry.description] : []));
    }
  }

  const defaultModel = chooseDefault(models, options.defaultModelId, catalog, warnings);
  // The catalog's default is missing from what this key may use: say which model stands in.
  const catalogDefault = newestStableFlash(staticModels(catalog));
  if (listed !== null && !options.defaultModelId && catalogDefault && defaultModel !== catalogDefault.id) {
    const stand = models.find((profile) => profile.id === defaultModel);
    warnings.push(
      `${catalogDefault.nickname ?? catalogDefault.displayName} (${catalogDefault.id}) isn't available to this API key; ${stand ? `the studio starts with ${stand.nickname ?? stand.displayName} (${stand.id})` : "no image model is available"}.`,
    );
  }
  return { models, defaultModel, warnings, source: listed === null ? "catalog" : "live" };
}

function chooseDefault(
  models: readonly ModelProfile[],
  requested: string | undefined,
  catalog: readonly ModelProfile[],
  warnings: string[],
): string | null {
  if (requested) {
    const resolution = resolveModel(requested, catalog);
    const id = resolution.profile?.id ?? normalizeModelId(requested);
    if (models.some((profile) => profile.id === id)) {
      if (resolution.retired) {
        warnings.push(`STUDIO_DEFAULT_MODEL=${requested} is retired; using its replacement ${id}.`);
      }
      return id;
    }
    warnings.push(`STUDIO_DEFAULT_MODEL=${requested} isn't available to this API key; using the newest stable Flash model.`);
  }
  return newestStableFlash(models)?.id ?? models.find((profile) => profile.verified)?.id ?? models[0]?.id ?? null;
}

function canGenerate(entry: ListedModel): boolean {
  // Older list responses omit supportedActions; treat those as usable rather than hide them.
  return !entry.supportedActions || entry.supportedActions.includes("generateContent");
}

/**
 * Gemini image models carry "image" in their id (gemini-3.1-flash-image, ...) or are named after
 * Nano Banana. Imagen also has "image" in its id but answers on :predict, not generateContent.
 */
function looksLikeImageModel(id: string): boolean {
  return (/image/.test(id) || /nano-banana/.test(id)) && !/^imagen/.test(id) && !/embedding/.test(id);
}
