"use client";

import { useId, useState } from "react";
import { MAX_BOARD_NAME_LENGTH } from "@/lib/studio/library";

interface BoardNameFormProps {
  initial?: string;
  submitLabel: string;
  /** Resolves to an error message to show, or null when done. */
  onSubmit(name: string): Promise<string | null>;
  onCancel(): void;
}

/** The name field of a board, for creating and renaming. */
export function BoardNameForm({ initial = "", submitLabel, onSubmit, onCancel }: BoardNameFormProps) {
  const id = useId();
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={async (event) => {
        event.preventDefault();
        // Rendered inside other forms' component trees (menus are portalled, React events are not).
        event.stopPropagation();
        if (name.trim() === "") return setError("Give the board a name.");
        setBusy(true);
        setError(await onSubmit(name.trim()));
        setBusy(false);
      }}
    >
      <label htmlFor={id} className="text-sm font-medium">
        Board name
      </label>
      <input
        id={id}
        data-testid="board-name"
        value={name}
        maxLength={MAX_BOARD_NAME_LENGTH}
        autoFocus
        onChange={(event) => setName(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" onClick={onCancel} className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
          Cancel
        </button>
        <button
          type="submit"
          disabled={busy}
          data-testid="board-name-submit"
          className="rounded-lg bg-zinc-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
        >
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
