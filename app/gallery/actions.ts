"use server";

import { revalidatePath } from "next/cache";
import { sessionOwnerFor } from "@/lib/server/access";
import { recordAudit } from "@/lib/server/audit";
import { getViewer } from "@/lib/server/auth/viewer";
import { getStorage } from "@/lib/storage";
import { isStorageError, type SessionShare } from "@/lib/storage/types";
import { STORAGE_FAILED_ACTION, type ActionResult } from "@/lib/studio/result";
import {
  continueSharedTurnSchema,
  shareSessionSchema,
  type ContinueSharedTurnInput,
  type ShareSessionInput,
} from "@/components/studio/share-schemas";

// Sharing with the team. Public POST endpoints: zod-validate, authorize from the signed-in viewer,
// answer a typed result. A session the viewer may not see is "not_found", never "forbidden".

type ShareErrorCode = "invalid_request" | "not_found" | "conflict" | "storage_failed";
type ShareResult<T> = ActionResult<T, ShareErrorCode>;

const notFound = { ok: false, error: { code: "not_found", message: "That session doesn't exist." } } as const;

async function guarded<T>(work: () => Promise<ShareResult<T>>): Promise<ShareResult<T>> {
  try {
    return await work();
  } catch (error) {
    if (isStorageError(error, "not_found")) return notFound;
    if (isStorageError(error, "invalid_transition")) return { ok: false, error: { code: "conflict", message: error.message, action: "Wait for the turn to finish." } };
    const message = isStorageError(error) ? error.message : "Something went wrong inside the studio.";
    return { ok: false, error: { code: "storage_failed", message, action: STORAGE_FAILED_ACTION } };
  }
}

/** Shares the viewer's own session with the whole team (view only or can continue), or stops sharing it. */
export async function shareSessionAction(input: ShareSessionInput): Promise<ShareResult<{ share: SessionShare | null }>> {
  const viewer = await getViewer();
  if (!viewer) return notFound;
  const parsed = shareSessionSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: { code: "invalid_request", message: parsed.error.issues[0]?.message ?? "The request is not valid." } };
  const { sessionId, mode } = parsed.data;
  return guarded(async () => {
    const storage = await getStorage();
    if (!(await storage.sessions.get(viewer.userId, sessionId))) return notFound;
    const share = mode === "off" ? (await storage.shares.remove(viewer.userId, sessionId), null) : await storage.shares.set(viewer.userId, sessionId, mode);
    await recordAudit({ action: share ? "session.shared" : "session.unshared", actorId: viewer.userId, actorEmail: viewer.email, target: sessionId, detail: share?.mode ?? null });
    revalidatePath("/gallery");
    revalidatePath(`/s/${sessionId}`);
    return { ok: true, data: { share } };
  });
}

/**
 * Continues a turn of a session shared as "can continue": a new session of the viewer's holds a
 * copy of the conversation up to that turn, and the viewer's next request from it replays that
 * chain. The original session and its turns are never touched.
 */
export async function continueSharedTurnAction(input: ContinueSharedTurnInput): Promise<ShareResult<{ sessionId: string; turnId: string }>> {
  const viewer = await getViewer();
  if (!viewer) return notFound;
  const parsed = continueSharedTurnSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: { code: "invalid_request", message: parsed.error.issues[0]?.message ?? "The request is not valid." } };
  const { sessionId, turnId } = parsed.data;
  return guarded(async () => {
    const storage = await getStorage();
    const found = await sessionOwnerFor(viewer, sessionId, storage);
    if (!found) return notFound;
    if (found.access === "view") {
      return { ok: false, error: { code: "conflict", message: "This session is shared view-only.", action: "Ask its owner to share it as “can continue”." } };
    }
    const [source, turn] = await Promise.all([storage.sessions.get(found.ownerId, sessionId), storage.turns.get(found.ownerId, turnId)]);
    if (!source || !turn || turn.sessionId !== sessionId) return { ok: false, error: { code: "not_found", message: "That turn doesn't exist." } };
    const title = `${source.title} (continued)`.slice(0, 120);
    const target = await storage.sessions.create({ ownerId: viewer.userId, title });
    try {
      const copies = await storage.turns.copyChain({ from: { ownerId: found.ownerId, turnId }, to: { ownerId: viewer.userId, sessionId: target.id } });
      const last = copies.at(-1);
      if (!last) throw new Error("Nothing was copied.");
      return { ok: true, data: { sessionId: target.id, turnId: last.id } };
    } catch (error) {
      await storage.sessions.delete(viewer.userId, target.id).catch(() => undefined);
      throw error;
    }
  });
}
