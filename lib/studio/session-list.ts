import type { Session, Turn } from "@/lib/storage/types";

/**
 * What the sidebar shows of a session, and all the browser is sent of each one in the list: every
 * page and every search carries the whole list, so it holds nothing the sidebar does not use.
 */
export type SessionListItem = Pick<Session, "id" | "title" | "updatedAt" | "turnCount">;

export function toSessionListItem({ id, title, updatedAt, turnCount }: Session): SessionListItem {
  return { id, title, updatedAt, turnCount };
}

/**
 * Sessions the sidebar shows at first and adds per "Show older sessions": every page carries the
 * list, so it stays the same size however many sessions the server holds.
 */
export const SIDEBAR_PAGE_SIZE = 30;

export interface SessionListPage {
  items: SessionListItem[];
  /** More sessions follow the last one. */
  hasMore: boolean;
}

/** A page of the list from one more session than it shows (`limit: SIDEBAR_PAGE_SIZE + 1`), which says whether more follow. */
export function toSessionListPage(sessions: readonly Session[], pageSize = SIDEBAR_PAGE_SIZE): SessionListPage {
  return { items: sessions.slice(0, pageSize).map(toSessionListItem), hasMore: sessions.length > pageSize };
}

/** The list with an older page added below it; a session already listed (the list moved meanwhile) is not repeated. */
export function appendSessionPage(sessions: readonly SessionListItem[], page: readonly SessionListItem[]): SessionListItem[] {
  const listed = new Set(sessions.map((session) => session.id));
  return [...sessions, ...page.filter((session) => !listed.has(session.id))];
}

/**
 * The sidebar's entry for a session after one of its turns was created or changed status,
 * derived from the session's turns (`turns`: all of them, and only them) the way storage derives it
 * and moved to the top, as storage orders by latest activity. The browser holds every turn of the open session, so it need not
 * fetch the page again after each generation. A list that already says all that (a session just
 * opened) is returned as it is, in its order; a session the list does not hold is left alone.
 */
export function applySessionActivity(sessions: SessionListItem[], sessionId: string, turns: readonly Pick<Turn, "updatedAt">[]): SessionListItem[] {
  const index = sessions.findIndex((session) => session.id === sessionId);
  const current = index === -1 ? undefined : sessions[index];
  if (!current) return sessions;
  const updatedAt = turns.reduce((latest, turn) => (turn.updatedAt > latest ? turn.updatedAt : latest), current.updatedAt);
  if (updatedAt === current.updatedAt && turns.length === current.turnCount) return sessions;
  const updated: SessionListItem = { ...current, updatedAt, turnCount: turns.length };
  return [updated, ...sessions.slice(0, index), ...sessions.slice(index + 1)];
}
