import { StudioShell } from "@/components/studio/studio-shell";
import { LOCAL_OWNER_ID } from "@/lib/storage";
import { listSessions } from "@/lib/studio/sessions";

export const dynamic = "force-dynamic";

/** A new session: the first generation creates it. */
export default async function NewSessionPage() {
  const sessions = await listSessions(LOCAL_OWNER_ID, {});
  return <StudioShell sessions={sessions.ok ? sessions.data : []} session={null} turns={[]} selectedTurnId={null} />;
}
