import "server-only";

import { isStorageId, type Storage, type Turn } from "@/lib/storage/types";
import { sessionOwnerFor } from "./access";
import type { Viewer } from "./auth/viewer";

/**
 * One turn whole (thoughts, text, grounding, usage, cost, error details), for someone who may read
 * its session. The session page sends every turn as a summary and the turns it shows whole
 * (lib/studio/turn-summary.ts); the studio reads the others here when it shows them.
 *
 * The rule is the session page's (sessionOwnerFor): the owner, or any signed-in member once the
 * session is shared with the team. A member reading a shared session gets the turn as continuing
 * from it would copy it into a session of their own: without the owner's bill (`cost`). Anyone
 * else, an unknown or malformed id, and a turn of another session all get null, which callers
 * answer with the same 404, so an id is never confirmed to exist.
 */
export async function readTurnDetails(viewer: Viewer | null, sessionId: string, turnId: string, storage: Storage): Promise<Turn | null> {
  if (!viewer || !isStorageId(sessionId) || !isStorageId(turnId)) return null;
  const found = await sessionOwnerFor(viewer, sessionId, storage);
  if (!found) return null;
  const turn = await storage.turns.get(found.ownerId, turnId);
  if (!turn || turn.sessionId !== sessionId) return null;
  return found.access === "owner" ? turn : { ...turn, cost: null };
}
