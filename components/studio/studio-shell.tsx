import Link from "next/link";
import { cookies } from "next/headers";
import { getEnv } from "@/lib/env";
import type { Session, Turn } from "@/lib/storage/types";
import { getModelDiscovery } from "@/lib/server/gateway";
import { toSessionListPage } from "@/lib/studio/session-list";
import { parseTheme, THEME_COOKIE } from "@/lib/studio/theme";
import { UserMenu } from "@/components/account/user-menu";
import { Logo } from "./logo";
import { ModeBanner } from "./mode-banner";
import { Studio } from "./studio";
import { StudioProvider } from "./studio-provider";
import { ThemeToggle } from "./theme-toggle";

/** The page frame around the studio: banner, header and the client studio with its data. */
export async function StudioShell({
  sessions,
  session,
  turns,
  selectedTurnId,
  headerActions,
}: {
  /** The newest sessions, one more than the sidebar shows (which says whether older ones follow). */
  sessions: Session[];
  session: Session | null;
  turns: Turn[];
  selectedTurnId: string | null;
  /** Controls for the open session (its share menu), shown at the end of the header. */
  headerActions?: React.ReactNode;
}) {
  const { mode } = getEnv();
  const [discovery, cookieStore] = await Promise.all([getModelDiscovery(), cookies()]);
  return (
    <div className="flex min-h-screen flex-col md:h-dvh md:min-h-0">
      <ModeBanner mode={mode} />
      {!discovery.ok && (
        <div role="alert" data-testid="api-banner" className="border-b border-red-300 bg-red-50 px-4 py-2 text-sm text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          <strong className="font-semibold">{discovery.error.message}</strong> {discovery.error.action}
        </div>
      )}
      <header className="flex h-14 shrink-0 items-center gap-3 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <Logo />
        <h1 className="text-base font-semibold tracking-tight">Nano Banana Studio</h1>
        {session && (
          <span className="truncate text-sm text-zinc-500" data-testid="session-title">
            / {session.title}
          </span>
        )}
        <span className="flex-1" />
        <nav aria-label="Team" className="flex items-center gap-3 text-sm">
          <Link href="/library" className="text-zinc-600 hover:underline dark:text-zinc-300">Library</Link>
          <Link href="/gallery" className="text-zinc-600 hover:underline dark:text-zinc-300">Gallery</Link>
          <Link href="/usage" className="text-zinc-600 hover:underline dark:text-zinc-300">Usage</Link>
        </nav>
        {headerActions}
        <ThemeToggle initial={parseTheme(cookieStore.get(THEME_COOKIE)?.value)} />
        <UserMenu />
      </header>
      <StudioProvider models={discovery.models} defaultModel={discovery.defaultModel}>
        <Studio sessions={toSessionListPage(sessions)} session={session} turns={turns} selectedTurnId={selectedTurnId} />
      </StudioProvider>
    </div>
  );
}
