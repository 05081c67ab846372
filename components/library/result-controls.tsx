"use client";

import { useEffect, useState } from "react";
import { resultStateAction } from "@/app/library/actions";
import type { Board, ResultRef } from "@/lib/storage/types";
import { BoardMenu } from "./board-menu";
import { FavouriteButton } from "./favourite-button";

interface State {
  favourite: boolean;
  boardIds: string[];
  boards: Board[];
}

/**
 * Star and boards for a result in the studio's turn view. Reads its state when shown; renders
 * nothing until then, and nothing for a result the viewer does not own (a shared session's).
 */
export function ResultControls({ result }: { result: ResultRef }) {
  const { turnId, hash } = result;
  const [state, setState] = useState<State | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void resultStateAction({ turnId, hash }).then((answer) => {
      if (live) setState(answer.ok ? answer.data : null);
    });
    return () => {
      live = false;
    };
  }, [turnId, hash]);

  if (!state) return null;
  return (
    <span className="flex items-center gap-0.5" data-testid="result-controls">
      <FavouriteButton result={{ turnId, hash }} favourite={state.favourite} onChange={(favourite) => setState({ ...state, favourite })} onError={setError} />
      <BoardMenu
        result={{ turnId, hash }}
        boards={state.boards}
        boardIds={state.boardIds}
        onBoardsChange={(boards) => setState((current) => (current ? { ...current, boards } : current))}
        onMembershipChange={(boardIds) => setState((current) => (current ? { ...current, boardIds } : current))}
        onError={setError}
      />
      {error && (
        <span role="alert" className="text-red-700 dark:text-red-400">
          {error}
        </span>
      )}
    </span>
  );
}
