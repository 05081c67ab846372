"use client";

import { useState } from "react";
import { setFavouriteAction } from "@/app/library/actions";
import type { ResultRef } from "@/lib/storage/types";

interface FavouriteButtonProps {
  result: ResultRef;
  favourite: boolean;
  onChange(favourite: boolean): void;
  onError(message: string): void;
  className?: string;
}

/** A star toggle: aria-pressed carries the state, the name stays "Favourite". */
export function FavouriteButton({ result, favourite, onChange, onError, className = "" }: FavouriteButtonProps) {
  const [busy, setBusy] = useState(false);
  async function toggle() {
    setBusy(true);
    const answer = await setFavouriteAction({ ...result, favourite: !favourite });
    setBusy(false);
    if (answer.ok) onChange(answer.data.favourite);
    else onError(answer.error.message);
  }
  return (
    <button
      type="button"
      aria-pressed={favourite}
      aria-label="Favourite"
      title={favourite ? "Remove from favourites" : "Add to favourites"}
      disabled={busy}
      data-testid="favourite"
      onClick={toggle}
      className={`rounded-md px-2 py-1 text-base leading-none focus-visible:outline-2 focus-visible:outline-amber-500 ${
        favourite ? "text-amber-500" : "text-zinc-500 hover:text-amber-500 dark:text-zinc-400"
      } ${className}`}
    >
      <span aria-hidden>{favourite ? "★" : "☆"}</span>
    </button>
  );
}
