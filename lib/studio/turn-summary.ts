import type { GenerationSettings } from "@/lib/gemini/types";
import type { StoredImageRef, Timestamp, Turn, TurnStatus } from "@/lib/storage/types";
import { buildTurnTree, visiblePath } from "./turn-tree";

/** A result image as the timeline and the compare slider use it. */
export type TurnImage = Pick<StoredImageRef, "hash" | "width" | "height">;

/**
 * What the studio holds of every turn of a session: what the turn tree, a timeline row, the
 * compare picker, the composer's "continues from" and the sidebar read. The session page sends
 * these for all turns and the turns it shows whole; a turn's thoughts, text, grounding, usage,
 * cost and error details come with the turn itself (GET /api/sessions/{id}/turns/{turnId}) when it
 * is shown. Whole turns made every turn ~2.4 KB of the page (1.3 MB of HTML at 500 turns, bench
 * scenario 7); a summary is about a fifth of that.
 */
export interface TurnSummary {
  id: string;
  parentId: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  status: TurnStatus;
  prompt: string;
  settings: GenerationSettings;
  referenceCount: number;
  /** The first result image; null until there is one. */
  image: TurnImage | null;
}

export function summarizeTurn(turn: Turn): TurnSummary {
  const image = turn.outcome?.images[0];
  return {
    id: turn.id,
    parentId: turn.parentId,
    createdAt: turn.createdAt,
    updatedAt: turn.updatedAt,
    status: turn.status,
    prompt: turn.request.prompt,
    settings: turn.request.settings,
    referenceCount: turn.request.references.length,
    image: image ? { hash: image.hash, width: image.width, height: image.height } : null,
  };
}

/**
 * Summaries of a session's turns, for the page. Turns made with the same settings share one
 * settings object: React's RSC payload writes an object it has already written as a reference, so
 * a session's settings travel once each instead of ~170 bytes with every turn.
 */
export function summarizeTurns(turns: readonly Turn[]): TurnSummary[] {
  const shared = new Map<string, GenerationSettings>();
  return turns.map((turn) => {
    const summary = summarizeTurn(turn);
    const key = JSON.stringify(summary.settings);
    const settings = shared.get(key) ?? summary.settings;
    shared.set(key, settings);
    return { ...summary, settings };
  });
}

/**
 * The turns a session page opens on, which it sends whole: the cells of a grid named in the URL,
 * else the selected turn, else the newest turn of the newest branch (what the studio shows when
 * nothing is selected).
 */
export function shownTurnIds(turns: readonly Turn[], selectedId: string | null, gridIds: readonly string[]): string[] {
  if (gridIds.length > 0) return [...gridIds];
  if (selectedId !== null) return [selectedId];
  const newest = visiblePath(buildTurnTree(turns), null).at(-1);
  return newest ? [newest.id] : [];
}
