"use client";

import { useState } from "react";
import { Dialog, DialogClose, DialogContent, DialogTitle } from "@/components/ui/dialog";
import type { StoredThought } from "@/lib/storage/types";
import { ImageViewer } from "./image-viewer";

type ImageThought = Extract<StoredThought, { kind: "image" }>;

function formatAt(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The model's thinking, in order: summaries and interim draft images. Kept
 * visibly apart from results; drafts are never downloadable as results.
 */
export function ThoughtFilmstrip({ thoughts, live }: { thoughts: StoredThought[]; live: boolean }) {
  const [hidden, setHidden] = useState(false);
  const [open, setOpen] = useState<{ thought: ImageThought; index: number } | null>(null);
  if (thoughts.length === 0 && !live) return null;
  return (
    <section aria-label="Model thinking" data-testid="thoughts" className="rounded-xl border border-dashed border-zinc-300 p-3 dark:border-zinc-700">
      <div className="flex items-center justify-between">
        <h3 className="text-xs font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase">
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
          {thoughts.length === 0 && <li className="text-xs text-zinc-500 dark:text-zinc-400">Waiting for the model&apos;s first thoughts…</li>}
          {thoughts.map((thought, index) =>
            thought.kind === "image" ? (
              <li key={index} data-testid="thought-image" className="flex shrink-0 flex-col gap-1">
                <button
                  type="button"
                  data-testid="open-thought-image"
                  aria-haspopup="dialog"
                  onClick={() => setOpen({ thought, index })}
                  className="cursor-zoom-in rounded-md"
                >
                  {/* eslint-disable-next-line @next/next/no-img-element -- interim draft, a stored file */}
                  <img
                    src={`/api/images/${thought.hash}`}
                    alt={`Draft ${index + 1} while thinking (open to zoom)`}
                    draggable={false}
                    className="h-28 w-auto rounded-md border border-zinc-200 opacity-90 grayscale-[30%] dark:border-zinc-800"
                  />
                </button>
                <span className="text-[11px] text-zinc-600 dark:text-zinc-400">Draft · {formatAt(thought.at)}</span>
              </li>
            ) : (
              <li key={index} data-testid="thought-text" className="flex w-64 shrink-0 flex-col gap-1">
                <p className="line-clamp-6 text-xs whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{thought.text.replace(/\*\*/g, "")}</p>
                <span className="text-[11px] text-zinc-600 dark:text-zinc-400">{formatAt(thought.at)}</span>
              </li>
            ),
          )}
        </ol>
      )}
      {open && (
        // Drafts open in the result's viewer (zoom, pan, actual size) but stay apart from results:
        // no download, no "use as reference" here.
        <Dialog open onOpenChange={(next) => !next && setOpen(null)}>
          <DialogContent data-testid="thought-viewer" aria-describedby={undefined} className="inset-2 mx-auto flex max-w-6xl flex-col gap-3 p-3 sm:inset-6 sm:p-4">
            <header className="flex items-center gap-3">
              <DialogTitle className="flex-1 text-sm font-semibold">
                Draft {open.index + 1} while thinking · {formatAt(open.thought.at)}
              </DialogTitle>
              <DialogClose aria-label="Close draft" className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
                Close
              </DialogClose>
            </header>
            <ImageViewer
              src={`/api/images/${open.thought.hash}`}
              alt={`Draft ${open.index + 1} while thinking`}
              width={open.thought.width}
              height={open.thought.height}
              testId="thought-viewer-image"
            />
          </DialogContent>
        </Dialog>
      )}
    </section>
  );
}
