import "server-only";

import { getStorage } from "@/lib/storage";
import { isStorageId, type Storage } from "@/lib/storage/types";
import type { Viewer } from "./auth/viewer";

/**
 * Who may do what with a session. The owner does everything; a session shared with the team is
 * readable by every signed-in member ("view"), and with "continue" they may also branch from its
 * turns into sessions of their own. Anything else is null, which callers answer with a 404, so a
 * guessed id never confirms that a session exists.
 */
export type SessionAccess = "owner" | "view" | "continue";

export async function sessionAccess(viewer: Viewer | null, sessionId: string, storage?: Storage): Promise<SessionAccess | null> {
  if (!viewer || typeof sessionId !== "string" || !isStorageId(sessionId)) return null;
  const store = storage ?? (await getStorage());
  if (await store.sessions.get(viewer.userId, sessionId)) return "owner";
  const share = await store.shares.get(sessionId);
  return share ? share.mode : null;
}

export async function canViewSession(viewer: Viewer | null, sessionId: string, storage?: Storage): Promise<boolean> {
  return (await sessionAccess(viewer, sessionId, storage)) !== null;
}

/** The owner whose rows hold the session, for reading a session the viewer may see; null when they may not. */
export async function sessionOwnerFor(viewer: Viewer | null, sessionId: string, storage?: Storage): Promise<{ access: SessionAccess; ownerId: string } | null> {
  const store = storage ?? (await getStorage());
  const access = await sessionAccess(viewer, sessionId, store);
  if (!access || !viewer) return null;
  if (access === "owner") return { access, ownerId: viewer.userId };
  const share = await store.shares.get(sessionId);
  return share ? { access, ownerId: share.ownerId } : null;
}

/**
 * An image is readable when it belongs to one of the viewer's sessions (a reference, result or
 * thought image) or is one of their uploads; otherwise when it belongs to a session they may view
 * (shared with the team). Image bytes are content-addressed, so the hash alone grants nothing.
 */
export async function canViewImage(storage: Storage, viewer: Viewer | null, hash: string): Promise<boolean> {
  if (!viewer) return false;
  if (await storage.imageAccess.canRead(viewer.userId, hash)) return true;
  for (const { sessionId } of await storage.imageAccess.sessionsWith(hash)) {
    if (await sessionAccess(viewer, sessionId, storage)) return true;
  }
  return false;
}
