import type { TurnSummary } from "@/lib/studio/turn-summary";
import { ImageViewer } from "./image-viewer";
import { TurnStatusBadge } from "./turn-status";

/**
 * In the turn view's place while a turn the page sent as a summary is read whole (thoughts, text,
 * usage…; use-turn-details.ts): what the summary already says, its image at the size the view will
 * show it (the same URL, so the browser has it when the view replaces this), and a way to ask again
 * when reading it failed.
 */
export function TurnLoading({ turn, number, failure, onRetry }: { turn: TurnSummary; number: number | null; failure: string | undefined; onRetry(): void }) {
  return (
    <article aria-label="Selected turn" aria-busy={failure === undefined} data-testid="turn-loading" data-turn-id={turn.id} className="flex flex-1 flex-col gap-4">
      <header className="flex flex-wrap items-start gap-2">
        {number !== null && <span className="text-xs font-medium text-zinc-600 dark:text-zinc-400">Turn {number}</span>}
        <TurnStatusBadge status={turn.status} />
        <p className="min-w-48 flex-1 text-sm wrap-break-word">{turn.prompt}</p>
        {/* Where the turn view's buttons will be, so nothing below moves when it arrives. */}
        {failure === undefined && (
          <p role="status" className="py-1 text-xs text-zinc-500 dark:text-zinc-400">
            Loading this turn…
          </p>
        )}
      </header>
      {failure !== undefined && (
        <div role="alert" data-testid="turn-load-failed" className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          <p className="font-semibold">This turn could not be loaded. {failure}</p>
          <button type="button" onClick={onRetry} className="mt-2 rounded-lg border border-red-700 px-3 py-1 text-sm font-semibold">
            Try again
          </button>
        </div>
      )}
      {turn.image && (
        // The turn view's layout and viewer, so the image keeps its place and size when the view
        // replaces this (the notes column beside it is left empty meanwhile). Not stretched to the
        // page's height (no flex-1): in the turn view the notes, thoughts and actions below take it.
        <div className="flex flex-col gap-3 lg:flex-row">
          <div className="flex min-h-72 min-w-0 flex-1 flex-col gap-2 xl:min-h-[50vh]">
            <ImageViewer
              src={`/api/images/${turn.image.hash}`}
              alt={`Result for: ${turn.prompt}`}
              width={turn.image.width}
              height={turn.image.height}
              testId="loading-image"
            />
          </div>
          <div className="hidden shrink-0 lg:block lg:w-80" aria-hidden />
        </div>
      )}
    </article>
  );
}
