"use client";

import Link from "next/link";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { modelName } from "@/lib/gemini/catalog";
import type { LibraryItem } from "@/lib/storage/types";
import { BoardMenu } from "./board-menu";
import { FavouriteButton } from "./favourite-button";
import type { ResultControls } from "./library-grid";
import { downloadName, formatDay } from "./library-tile";

const BUTTON = "rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800";

/** The result at full size in a dialog, with its prompt and the same controls as its tile. */
export function LargeView({ item, onClose, boards, onBoardsChange, onUpdate, onError }: { item: LibraryItem | null; onClose(): void } & ResultControls) {
  const result = item ? { turnId: item.turnId, hash: item.hash } : null;
  return (
    <Dialog open={item !== null} onOpenChange={(open) => !open && onClose()}>
      {item && result && (
        <DialogContent
          data-testid="large-view"
          className="inset-4 flex flex-col gap-3 p-4 md:inset-8"
        >
          <div className="flex items-start gap-3">
            <div className="min-w-0 flex-1">
              <DialogTitle className="line-clamp-2 text-base font-semibold">{item.prompt}</DialogTitle>
              <DialogDescription className="text-xs text-zinc-600 dark:text-zinc-400">
                {item.sessionTitle} · {formatDay(item.createdAt)} · {modelName(item.model)} · {item.imageSize} · {item.width ?? "?"} × {item.height ?? "?"}
              </DialogDescription>
            </div>
            <button type="button" onClick={onClose} className={BUTTON}>
              Close
            </button>
          </div>
          <div className="flex min-h-0 flex-1 items-center justify-center">
            {/* eslint-disable-next-line @next/next/no-img-element -- the original bytes, served access-checked by the studio */}
            <img src={`/api/images/${item.hash}`} alt={`Result for: ${item.prompt.slice(0, 200)}`} className="max-h-full max-w-full object-contain" />
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <FavouriteButton result={result} favourite={item.favourite} onChange={(favourite) => onUpdate(item, { favourite })} onError={onError} className="text-xl" />
            <BoardMenu
              result={result}
              boards={boards}
              boardIds={item.boardIds}
              onBoardsChange={onBoardsChange}
              onMembershipChange={(boardIds) => onUpdate(item, { boardIds })}
              onError={onError}
              triggerClassName="border border-zinc-300 dark:border-zinc-700 px-3 py-1.5 text-sm"
            />
            <span className="flex-1" />
            <Link href={`/s/${item.sessionId}?turn=${item.turnId}`} className={BUTTON}>
              Open its turn
            </Link>
            <a href={`/api/images/${item.hash}`} download={downloadName(item)} className={BUTTON}>
              Download
            </a>
          </div>
        </DialogContent>
      )}
    </Dialog>
  );
}
