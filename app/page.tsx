import { StudioShell } from "@/components/studio/studio-shell";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { SIDEBAR_PAGE_SIZE } from "@/lib/studio/session-list";
import { listSessions } from "@/lib/server/sessions";

export const dynamic = "force-dynamic";

/** A new session: the first generation creates it. */
export default async function NewSessionPage() {
  const viewer = await viewerOrRedirect();
  const sessions = await listSessions(viewer.userId, { limit: SIDEBAR_PAGE_SIZE + 1 });
  return <StudioShell sessions={sessions.ok ? sessions.data : []} session={null} turns={[]} selectedTurnId={null} />;
}
