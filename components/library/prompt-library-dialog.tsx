"use client";

import { useEffect, useId, useState } from "react";
import { deleteSavedPromptAction, listSavedPromptsAction, savePromptAction } from "@/app/library/actions";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import type { SavedPrompt } from "@/lib/storage/types";
import { MAX_PROMPT_NAME_LENGTH, parseTags } from "@/lib/studio/library";

interface PromptLibraryDialogProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** The composer's prompt: what "Save" keeps. */
  prompt: string;
  /** Puts a saved prompt into the composer, as a template goes in. */
  onUse(text: string): void;
  /** Where focus goes when the dialog closes (the prompt after a pick); preventDefault to take over. */
  onCloseAutoFocus(event: Event): void;
}

const FIELD = "rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";
const SMALL = "rounded-md border border-zinc-300 px-2 py-1 text-xs font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800";

/**
 * The viewer's saved prompts: save the current one with a name and tags, filter by tag, reuse,
 * delete. Mounted afresh for each opening (prompt-library.tsx keys it), so each opening loads the
 * list and starts from every saved prompt, not the tag picked last time.
 */
export function PromptLibraryDialog({ open, onOpenChange, prompt, onUse, onCloseAutoFocus }: PromptLibraryDialogProps) {
  const id = useId();
  const [prompts, setPrompts] = useState<SavedPrompt[] | null>(null);
  const [tag, setTag] = useState("");
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    void listSavedPromptsAction().then((answer) => {
      if (!current) return;
      if (answer.ok) setPrompts(answer.data.prompts);
      else setError(answer.error.message);
    });
    return () => {
      current = false;
    };
  }, []);

  async function save(event: React.FormEvent) {
    event.preventDefault();
    // The dialog is portalled out of the composer's form in the page, but React events still
    // bubble through the component tree: unstopped, this submit would also start a generation.
    event.stopPropagation();
    const answer = await savePromptAction({ name, text: prompt, tags: parseTags(tags) });
    if (!answer.ok) return setError(answer.error.message);
    setError(null);
    setName("");
    setTags("");
    setPrompts((current) => [answer.data.prompt, ...(current ?? [])]);
  }

  async function remove(saved: SavedPrompt) {
    const answer = await deleteSavedPromptAction({ promptId: saved.id });
    if (!answer.ok) return setError(answer.error.message);
    setPrompts((current) => (current ?? []).filter((each) => each.id !== saved.id));
  }

  const allTags = [...new Set((prompts ?? []).flatMap((saved) => saved.tags))].sort();
  const shown = (prompts ?? []).filter((saved) => tag === "" || saved.tags.includes(tag));

  return (
      <Dialog open={open} onOpenChange={onOpenChange}>
        <DialogContent
          data-testid="prompt-library"
          onCloseAutoFocus={onCloseAutoFocus}
          className="top-1/2 left-1/2 flex max-h-[calc(100dvh-2rem)] w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-4 overflow-y-auto p-4"
        >
          <DialogTitle className="text-base font-semibold">Saved prompts</DialogTitle>
          <DialogDescription className="sr-only">Save the current prompt, or put a saved one into the composer.</DialogDescription>
          <form onSubmit={save} className="flex flex-col gap-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
            <p className="text-sm font-medium">Save the current prompt</p>
            {prompt.trim() === "" ? (
              <p className="text-xs text-zinc-600 dark:text-zinc-400">Write a prompt first.</p>
            ) : (
              <p className="line-clamp-2 text-xs text-zinc-600 dark:text-zinc-400">{prompt}</p>
            )}
            <div className="flex flex-wrap items-end gap-2">
              <label className="flex min-w-40 flex-1 flex-col gap-1 text-xs font-medium">
                Name
                <input data-testid="saved-prompt-name" value={name} maxLength={MAX_PROMPT_NAME_LENGTH} onChange={(event) => setName(event.target.value)} className={FIELD} />
              </label>
              <label className="flex min-w-40 flex-1 flex-col gap-1 text-xs font-medium">
                Tags (comma-separated)
                <input data-testid="saved-prompt-tags" value={tags} onChange={(event) => setTags(event.target.value)} className={FIELD} />
              </label>
              <button
                type="submit"
                data-testid="saved-prompt-save"
                disabled={prompt.trim() === "" || name.trim() === ""}
                className="rounded-lg bg-zinc-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
              >
                Save
              </button>
            </div>
          </form>
          {error && (
            <p role="alert" className="text-sm text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          {allTags.length > 0 && (
            <div role="group" aria-label="Filter by tag" className="flex flex-wrap gap-1">
              {["", ...allTags].map((each) => (
                <button key={each || "all"} type="button" aria-pressed={tag === each} data-testid="saved-prompt-tag" onClick={() => setTag(each)} className={`${SMALL} aria-pressed:bg-amber-100 aria-pressed:text-amber-950 dark:aria-pressed:bg-amber-900 dark:aria-pressed:text-amber-50`}>
                  {each || "All"}
                </button>
              ))}
            </div>
          )}
          {prompts === null ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading…</p>
          ) : shown.length === 0 ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">No saved prompts{tag ? ` tagged “${tag}”` : ""} yet.</p>
          ) : (
            <ul className="flex flex-col gap-2" aria-labelledby={`${id}-list`}>
              <span id={`${id}-list`} className="sr-only">
                Your saved prompts
              </span>
              {shown.map((saved) => (
                <li key={saved.id} data-testid="saved-prompt" className="flex items-start gap-2 rounded-lg border border-zinc-200 p-2 dark:border-zinc-800">
                  <div className="min-w-0 flex-1">
                    <p className="text-sm font-medium">{saved.name}</p>
                    <p className="line-clamp-2 text-xs text-zinc-600 dark:text-zinc-400">{saved.text}</p>
                    {saved.tags.length > 0 && <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">{saved.tags.map((each) => `#${each}`).join(" ")}</p>}
                  </div>
                  <button
                    type="button"
                    data-testid="saved-prompt-use"
                    aria-label={`Use “${saved.name}”`}
                    className={SMALL}
                    onClick={() => {
                      onUse(saved.text);
                      onOpenChange(false);
                    }}
                  >
                    Use
                  </button>
                  <button type="button" data-testid="saved-prompt-delete" aria-label={`Delete “${saved.name}”`} className={SMALL} onClick={() => void remove(saved)}>
                    Delete
                  </button>
                </li>
              ))}
            </ul>
          )}
        </DialogContent>
      </Dialog>
  );
}
