import { StudioShell } from "@/components/studio/studio-shell";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { SIDEBAR_PAGE_SIZE } from "@/lib/studio/session-list";
import { findStartImage, listSessions } from "@/lib/server/sessions";

export const dynamic = "force-dynamic";

/**
 * A new session: the first generation creates it. `?from=<hash>` starts it with that image as a
 * reference ("Continue in a new session from this image", when a conversation grew too large).
 */
export default async function NewSessionPage({ searchParams }: { searchParams: Promise<{ from?: string | string[] }> }) {
  const viewer = await viewerOrRedirect();
  const { from } = await searchParams;
  const [sessions, startImage] = await Promise.all([
    listSessions(viewer.userId, { limit: SIDEBAR_PAGE_SIZE + 1 }),
    from === undefined ? null : findStartImage(viewer.userId, from),
  ]);
  return (
    <StudioShell
      sessions={sessions.ok ? sessions.data : []}
      session={null}
      turns={[]}
      shownTurns={[]}
      selectedTurnId={null}
      startFrom={from === undefined ? null : startImage ? { hash: startImage } : { missing: true }}
    />
  );
}
