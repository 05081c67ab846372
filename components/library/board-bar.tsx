"use client";

import { useId, useState } from "react";
import { deleteBoardAction, renameBoardAction } from "@/app/library/actions";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Dialog, DialogContent, DialogTitle } from "@/components/ui/dialog";
import type { Board } from "@/lib/storage/types";
import { BoardNameForm } from "./board-name-form";

interface BoardBarProps {
  boards: Board[];
  /** The board shown, "" for all results. */
  boardId: string;
  onSelect(boardId: string): void;
  onBoardsChange(boards: Board[]): void;
  onDeleted(boardId: string): void;
  onError(message: string): void;
}

const BUTTON = "rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800";

/** Picks the board to show (the board view) and renames or deletes it. */
export function BoardBar({ boards, boardId, onSelect, onBoardsChange, onDeleted, onError }: BoardBarProps) {
  const id = useId();
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const board = boards.find((each) => each.id === boardId);

  async function rename(name: string): Promise<string | null> {
    if (!board) return null;
    const answer = await renameBoardAction({ boardId: board.id, name });
    if (!answer.ok) return answer.error.message;
    onBoardsChange(boards.map((each) => (each.id === board.id ? answer.data.board : each)).sort((a, b) => a.name.localeCompare(b.name)));
    setRenaming(false);
    return null;
  }

  async function remove() {
    if (!board) return;
    const answer = await deleteBoardAction({ boardId: board.id });
    if (answer.ok) onDeleted(board.id);
    else onError(answer.error.message);
  }

  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="board-bar">
      <label htmlFor={`${id}-board`} className="text-sm font-medium">
        Board
      </label>
      <select
        id={`${id}-board`}
        data-testid="library-board"
        value={boardId}
        onChange={(event) => onSelect(event.target.value)}
        className="rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950"
      >
        <option value="">All results</option>
        {boards.map((each) => (
          <option key={each.id} value={each.id}>
            {each.name} ({each.itemCount})
          </option>
        ))}
      </select>
      {board && (
        <>
          <button type="button" data-testid="board-rename" className={BUTTON} onClick={() => setRenaming(true)}>
            Rename board
          </button>
          <button type="button" data-testid="board-delete" className={BUTTON} onClick={() => setDeleting(true)}>
            Delete board
          </button>
          <Dialog open={renaming} onOpenChange={setRenaming}>
            <DialogContent className="top-1/2 left-1/2 flex w-[min(24rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-3 p-4" aria-describedby={undefined}>
              <DialogTitle className="text-base font-semibold">Rename “{board.name}”</DialogTitle>
              <BoardNameForm initial={board.name} submitLabel="Rename" onSubmit={rename} onCancel={() => setRenaming(false)} />
            </DialogContent>
          </Dialog>
          <ConfirmDialog
            open={deleting}
            onOpenChange={setDeleting}
            title={`Delete the board “${board.name}”?`}
            confirmLabel="Delete board"
            confirmTestId="board-delete-confirm"
            onConfirm={() => void remove()}
          >
            The board goes; its {board.itemCount === 1 ? "result stays" : `${board.itemCount} results stay`} in your library and sessions.
          </ConfirmDialog>
        </>
      )}
    </div>
  );
}
