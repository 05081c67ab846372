"use client";

import { useState } from "react";
import { addToBoardAction, createBoardAction, removeFromBoardAction } from "@/app/library/actions";
import { Dialog, DialogContent, DialogTitle } from "@/components/ui/dialog";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuTrigger } from "@/components/ui/menu";
import type { Board, ResultRef } from "@/lib/storage/types";
import { BoardNameForm } from "./board-name-form";

interface BoardMenuProps {
  result: ResultRef;
  boards: Board[];
  /** Boards holding this result. */
  boardIds: string[];
  onBoardsChange(boards: Board[]): void;
  onMembershipChange(boardIds: string[]): void;
  onError(message: string): void;
  triggerClassName?: string;
}

/** "Boards ▾": ticks the boards holding the result, toggles one on pick, and makes a new board with it. */
export function BoardMenu({ result, boards, boardIds, onBoardsChange, onMembershipChange, onError, triggerClassName = "" }: BoardMenuProps) {
  const [creating, setCreating] = useState(false);

  async function toggle(board: Board) {
    const holds = boardIds.includes(board.id);
    const answer = holds ? await removeFromBoardAction({ ...result, boardId: board.id }) : await addToBoardAction({ ...result, boardId: board.id });
    if (!answer.ok) return onError(answer.error.message);
    onMembershipChange(holds ? boardIds.filter((id) => id !== board.id) : [...boardIds, board.id]);
    onBoardsChange(boards.map((b) => (b.id === board.id ? { ...b, itemCount: b.itemCount + (holds ? -1 : 1) } : b)));
  }

  async function create(name: string): Promise<string | null> {
    const made = await createBoardAction({ name });
    if (!made.ok) return made.error.message;
    const added = await addToBoardAction({ ...result, boardId: made.data.board.id });
    onBoardsChange([...boards, { ...made.data.board, itemCount: added.ok ? 1 : 0 }].sort((a, b) => a.name.localeCompare(b.name)));
    if (!added.ok) return added.error.message;
    onMembershipChange([...boardIds, made.data.board.id]);
    setCreating(false);
    return null;
  }

  return (
    <>
      <Menu>
        <MenuTrigger
          data-testid="board-menu-button"
          className={`rounded-md px-2 py-1 text-xs font-medium text-zinc-700 hover:bg-zinc-100 data-[state=open]:bg-zinc-100 dark:text-zinc-200 dark:hover:bg-zinc-800 dark:data-[state=open]:bg-zinc-800 ${triggerClassName}`}
        >
          Boards <span aria-hidden>▾</span>
        </MenuTrigger>
        <MenuContent align="end" aria-label="Add to a board" className="w-60">
          <MenuLabel>Add to a board</MenuLabel>
          {boards.map((board) => {
            const holds = boardIds.includes(board.id);
            return (
              <MenuItem key={board.id} data-testid="board-menu-item" onSelect={() => void toggle(board)}>
                <span className="flex w-full items-center gap-2 text-sm">
                  <span aria-hidden className="w-4">{holds ? "✓" : ""}</span>
                  <span className="truncate">{board.name}</span>
                  <span className="sr-only">{holds ? "(on this board, pick to remove)" : ""}</span>
                </span>
              </MenuItem>
            );
          })}
          <MenuItem data-testid="board-menu-new" onSelect={() => setCreating(true)}>
            <span className="text-sm">New board…</span>
          </MenuItem>
        </MenuContent>
      </Menu>
      <Dialog open={creating} onOpenChange={setCreating}>
        <DialogContent className="top-1/2 left-1/2 flex w-[min(24rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-3 p-4" aria-describedby={undefined}>
          <DialogTitle className="text-base font-semibold">New board</DialogTitle>
          <BoardNameForm submitLabel="Create and add" onSubmit={create} onCancel={() => setCreating(false)} />
        </DialogContent>
      </Dialog>
    </>
  );
}
