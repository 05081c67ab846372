"use client";

import { useId, useState } from "react";
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import type { ModelProfile } from "@/lib/gemini/catalog";
import type { GenerationSettings, ImageSize } from "@/lib/gemini/types";
import { compareRuns, duplicateRows, initialCompareRows, rowFor, sizesFor, type CompareRow } from "@/lib/studio/compare-runs";
import { imagePriceEstimate } from "@/lib/studio/price-estimate";
import { referenceLimitProblems, type ReferenceRoleCounts } from "@/lib/studio/reference-limits";
import { MAX_SET_SIZE, MIN_COMPARE_SIZE } from "@/lib/studio/turn-set-limits";

interface CompareModelsDialogProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  models: readonly ModelProfile[];
  prompt: string;
  settings: GenerationSettings;
  referenceCounts: ReferenceRoleCounts;
  /** Sends the prompt and references once per run; resolves when the set has started (or was refused). */
  onCompare(runs: GenerationSettings[]): void;
}

function modelName(profile: ModelProfile): string {
  return profile.nickname ?? profile.displayName;
}

/**
 * "Compare models…": the composer's prompt and references sent to 2–4 model/size pairs at once,
 * shown side by side. Each row offers only the sizes its model draws; the other settings follow the
 * composer, adapted to each model as a model switch would.
 */
export function CompareModelsDialog({ open, onOpenChange, models, prompt, settings, referenceCounts, onCompare }: CompareModelsDialogProps) {
  const [rows, setRows] = useState<CompareRow[]>(() => initialCompareRows(settings, models));
  const descriptionId = useId();
  const baseId = useId();
  const duplicates = new Set(duplicateRows(rows));
  const runs = compareRuns(settings, rows, models);
  const problems = rows.map((row) => {
    const profile = models.find((model) => model.id === row.model);
    return profile ? (referenceLimitProblems(referenceCounts, profile.references, profile.displayName)[0]?.message ?? null) : "This model is not offered.";
  });
  const total = rows.reduce((sum, row) => {
    const profile = models.find((model) => model.id === row.model);
    const price = profile ? imagePriceEstimate(profile, row.imageSize) : null;
    return price && sum !== null ? sum + price.usd : null;
  }, 0 as number | null);
  const emptyPrompt = prompt.trim() === "";
  const blocked = emptyPrompt || duplicates.size > 0 || problems.some(Boolean) || runs.some((run) => run === null) || rows.length < MIN_COMPARE_SIZE;

  return (
    // The studio mounts it afresh (a new key) at each opening, so it starts from the composer's current model and size.
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        aria-describedby={descriptionId}
        data-testid="compare-models-dialog"
        className="top-1/2 left-1/2 flex max-h-[calc(100dvh-2rem)] w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-3 overflow-y-auto p-4"
      >
        <DialogTitle className="text-base font-semibold">Compare models</DialogTitle>
        <DialogDescription id={descriptionId} className="text-sm text-zinc-600 dark:text-zinc-300">
          Sends the prompt{referenceCounts.total > 0 ? ` and ${referenceCounts.total} reference image${referenceCounts.total === 1 ? "" : "s"}` : ""} to {MIN_COMPARE_SIZE}–
          {MAX_SET_SIZE} models or sizes at once and shows the results side by side, with the cost and time of each.
        </DialogDescription>
        <p className="rounded-lg bg-zinc-100 p-2 text-sm wrap-break-word dark:bg-zinc-800" data-testid="compare-models-prompt">
          {emptyPrompt ? "Write a prompt in the composer first." : prompt}
        </p>
        <ol className="flex flex-col gap-2" aria-label="Models to compare">
          {rows.map((row, index) => {
            const profile = models.find((model) => model.id === row.model);
            const sizes = profile ? sizesFor(profile) : [];
            const price = profile ? imagePriceEstimate(profile, row.imageSize) : null;
            const problem = duplicates.has(index) ? "Same model and size as an earlier row." : problems[index];
            return (
              <li key={index} data-testid="compare-row" className="flex flex-wrap items-end gap-2 rounded-lg border border-zinc-200 p-2 dark:border-zinc-700">
                <label className="flex min-w-40 flex-1 flex-col gap-1 text-xs font-medium">
                  Model {index + 1}
                  <select
                    data-testid={`compare-model-${index + 1}`}
                    value={row.model}
                    onChange={(event) => {
                      const next = models.find((model) => model.id === event.target.value);
                      if (next) setRows((current) => current.with(index, rowFor(next, row.imageSize)));
                    }}
                    aria-describedby={problem ? `${baseId}-problem-${index}` : undefined}
                    className="rounded-lg border border-zinc-300 bg-white p-2 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-900"
                  >
                    {models.map((model) => (
                      <option key={model.id} value={model.id}>
                        {modelName(model)}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="flex flex-col gap-1 text-xs font-medium">
                  Size {index + 1}
                  <select
                    data-testid={`compare-size-${index + 1}`}
                    value={row.imageSize}
                    onChange={(event) => setRows((current) => current.with(index, { ...row, imageSize: event.target.value as ImageSize }))}
                    className="rounded-lg border border-zinc-300 bg-white p-2 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-900"
                  >
                    {sizes.map((size) => (
                      <option key={size} value={size}>
                        {size === "512" ? "512 px" : size}
                      </option>
                    ))}
                  </select>
                </label>
                <span className="pb-2 text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid={`compare-price-${index + 1}`}>
                  {price ? `≈ $${price.usd.toFixed(3)}` : "price not published"}
                </span>
                <button
                  type="button"
                  data-testid={`compare-remove-${index + 1}`}
                  disabled={rows.length <= MIN_COMPARE_SIZE}
                  aria-label={`Remove model ${index + 1}`}
                  onClick={() => setRows((current) => current.filter((_, position) => position !== index))}
                  className="mb-1 rounded border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                >
                  Remove
                </button>
                {problem && (
                  <p id={`${baseId}-problem-${index}`} className="w-full text-xs text-red-800 dark:text-red-300">
                    {problem}
                  </p>
                )}
              </li>
            );
          })}
        </ol>
        <div className="flex flex-wrap items-center gap-2">
          <button
            type="button"
            data-testid="compare-add"
            disabled={rows.length >= MAX_SET_SIZE}
            onClick={() => {
              const used = new Set(rows.map((row) => row.model));
              const next = models.find((model) => !used.has(model.id)) ?? models[0];
              if (next) setRows((current) => [...current, rowFor(next, settings.imageSize)]);
            }}
            className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Add a model
          </button>
          <span className="flex-1 text-right text-xs text-zinc-600 dark:text-zinc-400" data-testid="compare-total">
            {total !== null ? `About $${total.toFixed(3)} in all` : "Some prices are not published"}
          </span>
        </div>
        <div className="flex justify-end gap-2">
          <DialogClose className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Cancel
          </DialogClose>
          <button
            type="button"
            data-testid="compare-send"
            disabled={blocked}
            onClick={() => {
              const ready = runs.filter((run): run is GenerationSettings => run !== null);
              onOpenChange(false);
              onCompare(ready);
            }}
            className="rounded-lg bg-banana-400 px-3 py-1.5 text-sm font-semibold text-zinc-950 hover:bg-banana-500 disabled:cursor-not-allowed disabled:opacity-50"
          >
            Compare {rows.length} models
          </button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
