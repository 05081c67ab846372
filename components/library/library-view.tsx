"use client";

import { useMemo, useState } from "react";
import { filterLibrary, EMPTY_LIBRARY_FILTER, type LibraryFilter } from "@/lib/studio/library";
import type { Board, LibraryItem } from "@/lib/storage/types";
import { BoardBar } from "./board-bar";
import { LibraryFilters } from "./library-filters";
import { LibraryGrid } from "./library-grid";
import { LargeView } from "./large-view";

/** The library page's state: the items as last changed here, the boards, the filter and the open image. */
export function LibraryView({ items: initialItems, boards: initialBoards }: { items: LibraryItem[]; boards: Board[] }) {
  const [items, setItems] = useState(initialItems);
  const [boards, setBoards] = useState(initialBoards);
  const [filter, setFilter] = useState<LibraryFilter>(EMPTY_LIBRARY_FILTER);
  const [open, setOpen] = useState<LibraryItem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = useMemo(() => filterLibrary(items, filter), [items, filter]);

  function update(item: LibraryItem, patch: Partial<LibraryItem>) {
    setItems((all) => all.map((each) => (each.turnId === item.turnId && each.hash === item.hash ? { ...each, ...patch } : each)));
    setOpen((current) => (current && current.turnId === item.turnId && current.hash === item.hash ? { ...current, ...patch } : current));
  }

  function removeBoard(boardId: string) {
    setBoards((all) => all.filter((board) => board.id !== boardId));
    setItems((all) => all.map((item) => ({ ...item, boardIds: item.boardIds.filter((id) => id !== boardId) })));
    setFilter((current) => (current.boardId === boardId ? { ...current, boardId: "" } : current));
  }

  const controls = { boards, onBoardsChange: setBoards, onUpdate: update, onError: setError };

  return (
    <div className="flex flex-col gap-4" data-testid="library">
      <h1 className="text-lg font-semibold">Your results</h1>
      <LibraryFilters items={items} filter={filter} onChange={setFilter} />
      <BoardBar
        boards={boards}
        boardId={filter.boardId}
        onSelect={(boardId) => setFilter({ ...filter, boardId })}
        onBoardsChange={setBoards}
        onDeleted={removeBoard}
        onError={setError}
      />
      {error && (
        <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {error}
        </p>
      )}
      <p className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite" data-testid="library-count">
        {shown.length === items.length ? `${items.length} ${items.length === 1 ? "result" : "results"}` : `${shown.length} of ${items.length} ${items.length === 1 ? "result" : "results"}`}
      </p>
      {items.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="library-empty">
          Nothing here yet: the images you make in the studio appear here, from every session.
        </p>
      ) : shown.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No result matches these filters.</p>
      ) : (
        <LibraryGrid items={shown} onOpen={setOpen} {...controls} />
      )}
      <LargeView item={open} onClose={() => setOpen(null)} {...controls} />
    </div>
  );
}
