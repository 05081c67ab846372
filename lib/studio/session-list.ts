import { coverImageOf, type Session, type Turn } from "@/lib/storage/types";

/**
 * The sidebar's entry for a session after one of its turns was created or changed status,
 * derived from the session's turns the way storage derives it (count, the newest turn's prompt,
 * the first image of the newest turn with one) and moved to the top, as storage orders by latest
 * activity. The browser holds every turn of the open session, so it need not fetch the page again
 * after each generation. A list that already says all that (a session just opened) is returned as
 * it is, in its order; a session the list does not hold is left alone.
 */
export function applySessionActivity(sessions: Session[], sessionId: string, turns: readonly Turn[]): Session[] {
  const index = sessions.findIndex((session) => session.id === sessionId);
  const current = index === -1 ? undefined : sessions[index];
  if (!current) return sessions;
  const own = turns.filter((turn) => turn.sessionId === sessionId).toSorted((a, b) => a.createdAt.localeCompare(b.createdAt));
  const newest = own.at(-1);
  const cover = own.map((turn) => coverImageOf(turn.status, turn.outcome)).findLast((hash) => hash !== null);
  const updatedAt = own.reduce((latest, turn) => (turn.updatedAt > latest ? turn.updatedAt : latest), current.updatedAt);
  const updated: Session = {
    ...current,
    updatedAt,
    turnCount: own.length,
    lastPrompt: newest ? newest.request.prompt : current.lastPrompt,
    coverImageHash: cover ?? current.coverImageHash,
  };
  const unchanged =
    updated.updatedAt === current.updatedAt &&
    updated.turnCount === current.turnCount &&
    updated.lastPrompt === current.lastPrompt &&
    updated.coverImageHash === current.coverImageHash;
  if (unchanged) return sessions;
  return [updated, ...sessions.slice(0, index), ...sessions.slice(index + 1)];
}
