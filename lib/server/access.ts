import "server-only";

import type { Viewer } from "@/lib/server/auth/viewer";
import type { Session, Storage } from "@/lib/storage";

/**
 * Who may see what. Every read of another person's data goes through here, so sharing has one
 * place to widen. Today a person sees only their own sessions; anything else answers "not found"
 * (never "forbidden", which would confirm it exists).
 */
export async function canViewSession(viewer: Viewer, session: Pick<Session, "id" | "ownerId">): Promise<boolean> {
  return session.ownerId === viewer.userId;
}

/**
 * An image is readable when it belongs to one of the viewer's sessions (a reference, result or
 * thought image) or is one of their uploads; otherwise when it belongs to a session they may view.
 */
export async function canViewImage(storage: Storage, viewer: Viewer, hash: string): Promise<boolean> {
  if (await storage.imageAccess.canRead(viewer.userId, hash)) return true;
  for (const { sessionId, ownerId } of await storage.imageAccess.sessionsWith(hash)) {
    if (await canViewSession(viewer, { id: sessionId, ownerId })) return true;
  }
  return false;
}
