import { supportsSize, type ModelProfile } from "@/lib/gemini/catalog";
import type { GenerationSettings, ImageSize } from "@/lib/gemini/types";
import { adaptSettingsToModel } from "./model-switch";
import { MAX_SET_SIZE } from "./turn-set-limits";

/** One column of a comparison: a model and the size to draw at. */
export interface CompareRow {
  model: string;
  imageSize: ImageSize;
}

/** The sizes a row may pick: only those the model draws (lib/gemini/catalog.ts). */
export function sizesFor(profile: ModelProfile): ImageSize[] {
  return profile.imageSizes.filter((size) => supportsSize(profile, size));
}

/** A row for `profile`, keeping `size` when the model draws it, else its default size. */
export function rowFor(profile: ModelProfile, size: ImageSize): CompareRow {
  return { model: profile.id, imageSize: supportsSize(profile, size) ? size : profile.defaultImageSize };
}

/**
 * The dialog's first rows: the composer's model and size, then the next offered model at the same
 * size (or its nearest), so a comparison is one click away.
 */
export function initialCompareRows(settings: GenerationSettings, models: readonly ModelProfile[]): CompareRow[] {
  const current = models.find((model) => model.id === settings.model) ?? models[0];
  if (!current) return [];
  const other = models.find((model) => model.id !== current.id && model.status.stage !== "deprecated") ?? models.find((model) => model.id !== current.id);
  const rows = [rowFor(current, settings.imageSize)];
  if (other) rows.push(rowFor(other, settings.imageSize));
  else {
    const size = sizesFor(current).find((candidate) => candidate !== settings.imageSize);
    if (size) rows.push({ model: current.id, imageSize: size });
  }
  return rows.slice(0, MAX_SET_SIZE);
}

/** Rows that repeat an earlier one (same model and size), by index. */
export function duplicateRows(rows: readonly CompareRow[]): number[] {
  return rows.flatMap((row, index) =>
    rows.findIndex((other) => other.model === row.model && other.imageSize === row.imageSize) < index ? [index] : [],
  );
}

/**
 * The settings of each run: the composer's settings adapted to the row's model (every option the
 * model lacks turned off, as a model switch does), at the row's size. Null for a row whose model
 * is not offered.
 */
export function compareRuns(base: GenerationSettings, rows: readonly CompareRow[], models: readonly ModelProfile[]): Array<GenerationSettings | null> {
  return rows.map((row) => {
    const profile = models.find((model) => model.id === row.model);
    if (!profile) return null;
    const adapted = adaptSettingsToModel(base, profile).settings;
    return { ...adapted, imageSize: supportsSize(profile, row.imageSize) ? row.imageSize : profile.defaultImageSize };
  });
}
