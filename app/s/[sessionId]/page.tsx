import { notFound } from "next/navigation";
import { StudioShell } from "@/components/studio/studio-shell";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { SIDEBAR_PAGE_SIZE } from "@/lib/studio/session-list";
import { getSessionView, listSessions } from "@/lib/server/sessions";

export const dynamic = "force-dynamic";

/** A session, with the selected turn named in the URL (?turn=) so reloads and shared links open the same view. */
export default async function SessionPage({
  params,
  searchParams,
}: {
  params: Promise<{ sessionId: string }>;
  searchParams: Promise<{ turn?: string | string[] }>;
}) {
  const [{ sessionId }, { turn }] = await Promise.all([params, searchParams]);
  const viewer = await viewerOrRedirect();
  const [view, sessions] = await Promise.all([
    getSessionView(viewer.userId, { sessionId }),
    listSessions(viewer.userId, { limit: SIDEBAR_PAGE_SIZE + 1 }),
  ]);
  if (!view.ok) {
    if (view.error.code === "not_found" || view.error.code === "invalid_request") notFound();
    throw new Error(view.error.message);
  }
  const selected = typeof turn === "string" && view.data.turns.some((candidate) => candidate.id === turn) ? turn : null;
  return (
    <StudioShell
      sessions={sessions.ok ? sessions.data : []}
      session={view.data.session}
      turns={view.data.turns}
      selectedTurnId={selected}
    />
  );
}
