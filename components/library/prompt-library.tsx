"use client";

import dynamic from "next/dynamic";
import { useState } from "react";

// The dialog's code loads at the first opening: the composer's first load does without it.
const PromptLibraryDialog = dynamic(() => import("./prompt-library-dialog").then((module) => module.PromptLibraryDialog));

interface PromptLibraryProps {
  /** The composer's prompt: what "Save" keeps. */
  prompt: string;
  /** Puts a saved prompt into the composer, as a template goes in. */
  onUse(text: string): void;
  /** Where focus goes when the dialog closes (the prompt after a pick); preventDefault to take over. */
  onCloseAutoFocus(event: Event): void;
  className?: string;
}

/** The "Saved prompts" button and its dialog (prompt-library-dialog.tsx). */
export function PromptLibrary({ prompt, onUse, onCloseAutoFocus, className = "" }: PromptLibraryProps) {
  const [open, setOpen] = useState(false);
  // Each opening mounts the dialog afresh (0: never opened, nothing mounted).
  const [opening, setOpening] = useState(0);
  return (
    <>
      <button
        type="button"
        data-testid="saved-prompts-button"
        onClick={() => {
          setOpening((count) => count + 1);
          setOpen(true);
        }}
        className={`rounded-md px-2 py-1 text-xs font-medium text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800 ${className}`}
      >
        Saved prompts
      </button>
      {opening > 0 && (
        <PromptLibraryDialog key={opening} open={open} onOpenChange={setOpen} prompt={prompt} onUse={onUse} onCloseAutoFocus={onCloseAutoFocus} />
      )}
    </>
  );
}
