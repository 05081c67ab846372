import type { Turn } from "@/lib/storage/types";

/**
 * What a turn that waits for a Gemini batch job says: it is at Google, not in the studio's line,
 * and for how long. No server-only import: the turn view and the grid both show it.
 */
export function batchWaitLabel(submittedAt: string, now: number): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(submittedAt)) / 60_000));
  const ago = Number.isNaN(minutes) ? "" : minutes === 0 ? " · submitted less than a minute ago" : ` · submitted ${minutes} min ago`;
  return `Queued at Google (batch)${ago}`;
}

export function isWaitingForBatch(turn: Pick<Turn, "status" | "request">): boolean {
  return turn.request.batch !== undefined && (turn.status === "queued" || turn.status === "running");
}
