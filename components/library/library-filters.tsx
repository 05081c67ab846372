"use client";

import { useId } from "react";
import { choicesOf, type LibraryFilter } from "@/lib/studio/library";
import { modelName } from "@/lib/gemini/catalog";
import type { LibraryItem } from "@/lib/storage/types";

const FIELD = "rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";

/** Search by prompt, model, size, a date range and favourites; each choice only lists values present. */
export function LibraryFilters({ items, filter, onChange }: { items: LibraryItem[]; filter: LibraryFilter; onChange(filter: LibraryFilter): void }) {
  const id = useId();
  const set = (patch: Partial<LibraryFilter>) => onChange({ ...filter, ...patch });
  return (
    <search aria-label="Filter the library" className="flex flex-wrap items-end gap-3">
      <div className="flex min-w-48 flex-1 flex-col gap-1">
        <label htmlFor={`${id}-q`} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
          Search prompts
        </label>
        <input id={`${id}-q`} type="search" data-testid="library-search" value={filter.query} onChange={(event) => set({ query: event.target.value })} className={FIELD} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-model`} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
          Model
        </label>
        <select id={`${id}-model`} data-testid="library-model" value={filter.model} onChange={(event) => set({ model: event.target.value })} className={FIELD}>
          <option value="">Any model</option>
          {choicesOf(items, "model").map((model) => (
            <option key={model} value={model}>
              {modelName(model)}
            </option>
          ))}
        </select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-size`} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
          Size
        </label>
        <select id={`${id}-size`} data-testid="library-size" value={filter.imageSize} onChange={(event) => set({ imageSize: event.target.value })} className={FIELD}>
          <option value="">Any size</option>
          {choicesOf(items, "imageSize").map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-from`} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
          From (UTC)
        </label>
        <input id={`${id}-from`} type="date" data-testid="library-from" value={filter.from} onChange={(event) => set({ from: event.target.value })} className={FIELD} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-to`} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
          To (UTC)
        </label>
        <input id={`${id}-to`} type="date" data-testid="library-to" value={filter.to} onChange={(event) => set({ to: event.target.value })} className={FIELD} />
      </div>
      <label className="flex items-center gap-2 py-1.5 text-sm">
        <input type="checkbox" data-testid="library-favourites" checked={filter.favouritesOnly} onChange={(event) => set({ favouritesOnly: event.target.checked })} />
        Favourites
      </label>
    </search>
  );
}
