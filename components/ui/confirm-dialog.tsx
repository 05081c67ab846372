"use client";

import { Dialog, DialogClose, DialogContent, DialogDescription, DialogTitle } from "./dialog";

interface ConfirmDialogProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  title: string;
  /** What happens, and what does not, when the user confirms. */
  children: React.ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm(): void;
  confirmTestId?: string;
}

/**
 * Asks before something that cannot be undone. An alert dialog: focus starts on the safe choice,
 * and a click outside does not count as an answer (Esc and the cancel button do).
 */
export function ConfirmDialog({ open, onOpenChange, title, children, confirmLabel, cancelLabel = "Keep", onConfirm, confirmTestId }: ConfirmDialogProps) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        role="alertdialog"
        onPointerDownOutside={(event) => event.preventDefault()}
        className="top-1/2 left-1/2 flex w-[min(28rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-3 p-4"
      >
        <DialogTitle className="text-base font-semibold">{title}</DialogTitle>
        <DialogDescription className="text-sm text-zinc-600 dark:text-zinc-300">{children}</DialogDescription>
        <div className="flex justify-end gap-2">
          <DialogClose
            // Radix focuses the first focusable element on open: the safe choice comes first in the DOM, and stays on the left.
            className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            {cancelLabel}
          </DialogClose>
          <button
            type="button"
            data-testid={confirmTestId}
            onClick={() => {
              onOpenChange(false);
              onConfirm();
            }}
            className="rounded-lg bg-red-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-800"
          >
            {confirmLabel}
          </button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
