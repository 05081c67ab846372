import { notFound } from "next/navigation";
import { ShareMenu } from "@/components/studio/share-menu";
import { ShareView } from "@/components/studio/share-view";
import { StudioShell } from "@/components/studio/studio-shell";
import { personName } from "@/lib/server/auth/accounts";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { getStorage } from "@/lib/storage";
import { SIDEBAR_PAGE_SIZE } from "@/lib/studio/session-list";
import { parseVariationsParam } from "@/lib/studio/turn-set-schemas";
import { shownTurnIds, summarizeTurns } from "@/lib/studio/turn-summary";
import { sessionOwnerFor } from "@/lib/server/access";
import { getSessionView, listSessions } from "@/lib/server/sessions";

export const dynamic = "force-dynamic";

/**
 * A session, with the selected turn named in the URL (?turn=), or a grid of variations or compared
 * models (?variations=<id,id,…>), so reloads and shared links open the same view.
 */
export default async function SessionPage({
  params,
  searchParams,
}: {
  params: Promise<{ sessionId: string }>;
  searchParams: Promise<{ turn?: string | string[]; variations?: string | string[] }>;
}) {
  const [{ sessionId }, { turn, variations }] = await Promise.all([params, searchParams]);
  const viewer = await viewerOrRedirect();
  // Someone else's session that is not shared is a 404, exactly like one that does not exist.
  const found = await sessionOwnerFor(viewer, sessionId);
  if (!found) notFound();
  const [view, sessions] = await Promise.all([
    getSessionView(found.ownerId, { sessionId }),
    found.access === "owner" ? listSessions(viewer.userId, { limit: SIDEBAR_PAGE_SIZE + 1 }) : null,
  ]);
  if (!view.ok) {
    if (view.error.code === "not_found" || view.error.code === "invalid_request") notFound();
    throw new Error(view.error.message);
  }
  if (found.access !== "owner") {
    const ownerName = (await personName(found.ownerId)) ?? "Someone no longer in the team";
    return <ShareView session={view.data.session} turns={view.data.turns} mode={found.access} ownerName={ownerName} />;
  }
  const share = await (await getStorage()).shares.get(sessionId);
  const selected = typeof turn === "string" && view.data.turns.some((candidate) => candidate.id === turn) ? turn : null;
  // A variations or comparison grid (?variations=<id,id,…>): only this session's turns.
  const known = new Set(view.data.turns.map((candidate) => candidate.id));
  const variationIds = parseVariationsParam(variations).filter((id) => known.has(id));
  // Every turn as a summary, and whole only the ones the studio opens on: the rest are read when
  // they are shown (lib/studio/turn-summary.ts).
  const shown = new Set(shownTurnIds(view.data.turns, selected, variationIds));
  return (
    <StudioShell
      sessions={sessions?.ok ? sessions.data : []}
      session={view.data.session}
      turns={summarizeTurns(view.data.turns)}
      shownTurns={view.data.turns.filter((candidate) => shown.has(candidate.id))}
      selectedTurnId={selected}
      variationIds={variationIds}
      headerActions={<ShareMenu sessionId={sessionId} mode={share?.mode ?? null} />}
    />
  );
}
