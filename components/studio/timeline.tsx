"use client";

import type { Turn } from "@/lib/storage/types";
import { siblingsOf, type TurnTree } from "@/lib/studio/turn-tree";
import { TurnStatusBadge } from "./turn-status";

interface TimelineProps {
  tree: TurnTree<Turn>;
  path: Turn[];
  selectedId: string | null;
  onSelect(turnId: string): void;
}

function settingsChips(turn: Turn): string[] {
  const { settings } = turn.request;
  const chips = [settings.model.replace(/^gemini-/, ""), settings.imageSize, settings.aspectRatio === "match-input" ? "match input" : settings.aspectRatio];
  if (settings.webSearch) chips.push("search");
  if (settings.imageSearch) chips.push("image search");
  if (settings.thinkingLevel === "high") chips.push("thinking high");
  return chips;
}

/** The visible branch of a session, oldest first, with a switcher wherever a turn has siblings. */
export function Timeline({ tree, path, selectedId, onSelect }: TimelineProps) {
  if (path.length === 0) {
    return <p className="p-4 text-sm text-zinc-500">No turns yet. Write a prompt to start.</p>;
  }
  return (
    <ol aria-label="Timeline" data-testid="timeline" className="flex flex-col gap-2">
      {path.map((turn, position) => {
        const { siblings, index } = siblingsOf(tree, turn);
        const selected = turn.id === selectedId || (selectedId === null && position === path.length - 1);
        const image = turn.outcome?.images[0];
        return (
          <li
            key={turn.id}
            data-testid="timeline-turn"
            data-turn-id={turn.id}
            data-selected={selected}
            // Long sessions: the browser skips layout and paint of turns scrolled out of view.
            className="[contain-intrinsic-size:auto_88px] [content-visibility:auto]"
          >
            {siblings.length > 1 && (
              <div className="mb-1 flex items-center gap-1 text-[11px] text-zinc-500" data-testid="branch-switcher">
                <button
                  type="button"
                  aria-label="Previous branch"
                  disabled={index === 0}
                  onClick={() => siblings[index - 1] && onSelect(siblings[index - 1]!.id)}
                  className="rounded px-1 hover:bg-zinc-200 disabled:opacity-30 dark:hover:bg-zinc-800"
                >
                  ‹
                </button>
                <span data-testid="branch-position">
                  Branch {index + 1} of {siblings.length}
                </span>
                <button
                  type="button"
                  aria-label="Next branch"
                  disabled={index === siblings.length - 1}
                  onClick={() => siblings[index + 1] && onSelect(siblings[index + 1]!.id)}
                  className="rounded px-1 hover:bg-zinc-200 disabled:opacity-30 dark:hover:bg-zinc-800"
                >
                  ›
                </button>
              </div>
            )}
            <button
              type="button"
              onClick={() => onSelect(turn.id)}
              aria-current={selected ? "step" : undefined}
              className={`flex w-full gap-3 rounded-lg border p-2 text-left transition-colors ${
                selected
                  ? "border-banana-500 bg-banana-300/20 dark:bg-banana-500/10"
                  : "border-zinc-200 hover:border-zinc-300 hover:bg-white dark:border-zinc-800 dark:hover:border-zinc-700 dark:hover:bg-zinc-900"
              }`}
            >
              <span className="relative size-16 shrink-0 overflow-hidden rounded-md bg-zinc-200 dark:bg-zinc-800">
                {image && (
                  // eslint-disable-next-line @next/next/no-img-element -- small thumbnail of a stored file
                  <img
                    src={`/api/images/${image.hash}/thumbnail?w=96`}
                    srcSet={`/api/images/${image.hash}/thumbnail?w=96 1x, /api/images/${image.hash}/thumbnail?w=192 2x`}
                    alt=""
                    loading="lazy"
                    decoding="async"
                    className="size-full object-cover"
                  />
                )}
              </span>
              <span className="flex min-w-0 flex-1 flex-col gap-1">
                <span className="flex items-center gap-2 text-[11px] text-zinc-500">
                  <span>Turn {position + 1}</span>
                  <TurnStatusBadge status={turn.status} />
                  {turn.request.references.length > 0 && <span>{turn.request.references.length} ref.</span>}
                </span>
                <span className="line-clamp-2 text-sm" data-testid="timeline-prompt">
                  {turn.request.prompt}
                </span>
                <span className="flex flex-wrap gap-1">
                  {settingsChips(turn).map((chip) => (
                    <span key={chip} className="rounded bg-zinc-100 px-1 text-[10px] text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
                      {chip}
                    </span>
                  ))}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
