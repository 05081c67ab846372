"use client";

import { useState } from "react";
import type { StoredThought } from "@/lib/storage/types";

function formatAt(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The model's thinking, in order: summaries and interim draft images. Kept
 * visibly apart from results; drafts are never downloadable as results.
 */
export function ThoughtFilmstrip({ thoughts, live }: { thoughts: StoredThought[]; live: boolean }) {
  const [hidden, setHidden] = useState(false);
  if (thoughts.length === 0 && !live) return null;
  return (
    <section aria-label="Model thinking" data-testid="thoughts" className="rounded-xl border border-dashed border-zinc-300 p-3 dark:border-zinc-700">
      <div className="flex items-center justify-between">
        <h3 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">
          Thinking {live && <span className="ml-1 animate-pulse normal-case">· live</span>}
        </h3>
        <button
          type="button"
          aria-expanded={!hidden}
          data-testid="toggle-thoughts"
          onClick={() => setHidden((value) => !value)}
          className="rounded px-2 py-0.5 text-xs text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
        >
          {hidden ? "Show" : "Hide"}
        </button>
      </div>
      {!hidden && (
        <ol className="mt-2 flex gap-3 overflow-x-auto pb-1">
          {thoughts.length === 0 && <li className="text-xs text-zinc-500">Waiting for the model&apos;s first thoughts…</li>}
          {thoughts.map((thought, index) =>
            thought.kind === "image" ? (
              <li key={index} data-testid="thought-image" className="flex shrink-0 flex-col gap-1">
                {/* eslint-disable-next-line @next/next/no-img-element -- interim draft, a stored file */}
                <img
                  src={`/api/images/${thought.hash}`}
                  alt={`Draft ${index + 1} while thinking`}
                  draggable={false}
                  className="h-28 w-auto rounded-md border border-zinc-200 opacity-90 grayscale-[30%] dark:border-zinc-800"
                />
                <span className="text-[11px] text-zinc-500">Draft · {formatAt(thought.at)}</span>
              </li>
            ) : (
              <li key={index} data-testid="thought-text" className="flex w-64 shrink-0 flex-col gap-1">
                <p className="line-clamp-6 text-xs whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{thought.text.replace(/\*\*/g, "")}</p>
                <span className="text-[11px] text-zinc-500">{formatAt(thought.at)}</span>
              </li>
            ),
          )}
        </ol>
      )}
    </section>
  );
}
