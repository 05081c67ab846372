"use client";

import Link from "next/link";
import { modelName } from "@/lib/gemini/catalog";
import type { LibraryItem } from "@/lib/storage/types";
import { BoardMenu } from "./board-menu";
import { FavouriteButton } from "./favourite-button";
import type { ResultControls } from "./library-grid";

export function downloadName(item: LibraryItem): string {
  return item.fileName ?? `result-${item.hash.slice(0, 12)}.${item.mimeType.replace("image/", "")}`;
}

export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
}

const LINK = "rounded-md px-2 py-1 text-xs font-medium text-zinc-700 hover:bg-zinc-100 dark:text-zinc-200 dark:hover:bg-zinc-800";

/** One result: its thumbnail opens the larger view; star, boards, its turn and download below. */
export function LibraryTile({ item, onOpen, boards, onBoardsChange, onUpdate, onError }: { item: LibraryItem; onOpen(): void } & ResultControls) {
  const result = { turnId: item.turnId, hash: item.hash };
  return (
    <div role="listitem" data-testid="library-tile" data-turn-id={item.turnId} data-hash={item.hash} className="flex min-w-0 flex-col overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800">
      <button type="button" onClick={onOpen} aria-label={`Open larger: ${item.prompt.slice(0, 120)}`} data-testid="library-open" className="block aspect-square bg-zinc-100 focus-visible:outline-2 focus-visible:outline-amber-500 dark:bg-zinc-900">
        {/* eslint-disable-next-line @next/next/no-img-element -- served by the studio's own thumbnail route */}
        <img src={`/api/images/${item.hash}/thumbnail?w=384`} alt="" className="h-full w-full object-cover" loading="lazy" />
      </button>
      <div className="flex flex-col gap-1 p-2">
        <p className="truncate text-sm" title={item.prompt} data-testid="library-prompt">
          {item.prompt}
        </p>
        <p className="truncate text-xs text-zinc-600 dark:text-zinc-400">
          {formatDay(item.createdAt)} · {item.imageSize} · {modelName(item.model)}
        </p>
        <div className="-mx-1 flex items-center gap-0.5">
          <FavouriteButton result={result} favourite={item.favourite} onChange={(favourite) => onUpdate(item, { favourite })} onError={onError} />
          <BoardMenu
            result={result}
            boards={boards}
            boardIds={item.boardIds}
            onBoardsChange={onBoardsChange}
            onMembershipChange={(boardIds) => onUpdate(item, { boardIds })}
            onError={onError}
          />
          <span className="flex-1" />
          <Link href={`/s/${item.sessionId}?turn=${item.turnId}`} className={LINK} data-testid="library-turn-link" aria-label={`Open the turn in “${item.sessionTitle}”`}>
            Turn
          </Link>
          <a href={`/api/images/${item.hash}`} download={downloadName(item)} className={LINK} data-testid="library-download" aria-label="Download">
            <span aria-hidden>↓</span>
          </a>
        </div>
      </div>
    </div>
  );
}
