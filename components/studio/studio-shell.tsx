import Link from "next/link";
import { cookies } from "next/headers";
import { getEnv } from "@/lib/env";
import type { Session, Turn } from "@/lib/storage/types";
import type { TurnSummary } from "@/lib/studio/turn-summary";
import { getModelDiscovery } from "@/lib/server/gateway";
import { toSessionListPage } from "@/lib/studio/session-list";
import { parseTheme, THEME_COOKIE } from "@/lib/studio/theme";
import { UserMenu } from "@/components/account/user-menu";
import { Logo } from "./logo";
import { ModeBanner } from "./mode-banner";
import { SkipToPrompt } from "./skip-link";
import { Studio, type StartFrom } from "./studio";
import { StudioProvider } from "./studio-provider";
import { ThemeToggle } from "./theme-toggle";

/** The page frame around the studio: banner, header and the client studio with its data. */
export async function StudioShell({
  sessions,
  session,
  turns,
  shownTurns,
  selectedTurnId,
  variationIds,
  headerActions,
  startFrom = null,
}: {
  /** The newest sessions, one more than the sidebar shows (which says whether older ones follow). */
  sessions: Session[];
  session: Session | null;
  /** Every turn of the session as a summary; the ones the page opens on whole in `shownTurns`. */
  turns: TurnSummary[];
  shownTurns: Turn[];
  selectedTurnId: string | null;
  /** The turns of a variations or comparison grid named in the URL. */
  variationIds?: string[];
  /** Controls for the open session (its share menu), shown at the end of the header. */
  headerActions?: React.ReactNode;
  /** A new session's first reference, from the home page's `?from=`. */
  startFrom?: StartFrom | null;
}) {
  const { mode, geminiStore } = getEnv();
  const [discovery, cookieStore] = await Promise.all([getModelDiscovery(), cookies()]);
  return (
    // One screen high at every width: the result and the prompt share the screen (the areas inside
    // scroll on their own), so a designer on a tablet or phone sees the image while typing.
    <div className="flex h-dvh min-h-0 flex-col">
      <SkipToPrompt />
      <ModeBanner mode={mode} />
      {!discovery.ok && (
        <div role="alert" data-testid="api-banner" className="border-b border-red-300 bg-red-50 px-4 py-2 text-sm text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          <strong className="font-semibold">{discovery.error.message}</strong> {discovery.error.action}
        </div>
      )}
      {discovery.warnings.length > 0 && (
        <div role="status" data-testid="model-notice" className="border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          {discovery.warnings.join(" ")}
        </div>
      )}
      <header
        data-testid="app-header"
        className="flex h-14 shrink-0 items-center gap-2 border-b border-zinc-200 px-3 sm:gap-3 sm:px-4 dark:border-zinc-800"
      >
        <Logo className="size-7 shrink-0" />
        {/* On a phone the logo stands for the name; the header stays one line. */}
        <h1 className="shrink-0 text-base font-semibold tracking-tight whitespace-nowrap max-sm:sr-only">Nano Banana Studio</h1>
        {session && (
          <span className="min-w-0 truncate text-sm text-zinc-500 dark:text-zinc-400" data-testid="session-title">
            / {session.title}
          </span>
        )}
        <span className="flex-1" />
        {mode === "live" && (
          <span
            data-testid="privacy-note"
            className="hidden text-xs text-zinc-500 dark:text-zinc-400 lg:inline"
            title="STUDIO_GEMINI_STORE on the server: Google's per-request storage setting for generateContent (see the README, Privacy)."
          >
            {geminiStore === false
              ? "Google asked not to store requests"
              : geminiStore === true
                ? "Google may store requests (store on)"
                : "Google may store requests (its default)"}
          </span>
        )}
        <nav aria-label="Team" className="flex shrink-0 items-center gap-3 text-sm max-sm:hidden">
          <Link href="/library" className="text-zinc-600 hover:underline dark:text-zinc-300">Library</Link>
          <Link href="/gallery" className="text-zinc-600 hover:underline dark:text-zinc-300">Gallery</Link>
          <Link href="/usage" className="text-zinc-600 hover:underline dark:text-zinc-300">Usage</Link>
        </nav>
        {headerActions}
        <ThemeToggle initial={parseTheme(cookieStore.get(THEME_COOKIE)?.value)} />
        <UserMenu />
      </header>
      <StudioProvider models={discovery.models} defaultModel={discovery.defaultModel}>
        <Studio sessions={toSessionListPage(sessions)} session={session} turns={turns} shownTurns={shownTurns} selectedTurnId={selectedTurnId} variationIds={variationIds} startFrom={startFrom} />
      </StudioProvider>
    </div>
  );
}
