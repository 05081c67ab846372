import Link from "next/link";
import type { Session, ShareMode, Turn } from "@/lib/storage/types";
import { Logo } from "./logo";
import { ShareContinueButton } from "./share-continue-button";

/**
 * Someone else's session as the team sees it when it is shared: every turn with its prompt and
 * images, nothing editable. With "can continue", each finished turn offers to carry on from it in
 * a session of the viewer's own.
 */
export function ShareView({ session, turns, mode, ownerName }: { session: Session; turns: Turn[]; mode: ShareMode; ownerName: string }) {
  return (
    <div className="min-h-screen">
      <header className="flex h-14 items-center gap-3 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <Logo />
        <Link href="/" className="text-base font-semibold tracking-tight">
          Nano Banana Studio
        </Link>
        <span className="truncate text-sm text-zinc-500 dark:text-zinc-400" data-testid="session-title">
          / {session.title}
        </span>
        <span className="flex-1" />
        <span data-testid="shared-by" className="text-sm text-zinc-500 dark:text-zinc-400">
          Shared by {ownerName} · {mode === "view" ? "view only" : "can continue"}
        </span>
        <Link href="/gallery" className="text-sm text-zinc-600 hover:underline dark:text-zinc-300">
          Gallery
        </Link>
      </header>
      <main className="mx-auto flex max-w-4xl flex-col gap-6 p-4" aria-label={session.title}>
        {turns.length === 0 && <p className="text-sm text-zinc-500 dark:text-zinc-400">This session has no turns yet.</p>}
        {turns.map((turn) => (
          <article key={turn.id} data-testid="shared-turn" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
            <p className="text-sm whitespace-pre-wrap">{turn.request.prompt || <em className="text-zinc-500 dark:text-zinc-400">(no prompt)</em>}</p>
            <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
              {turn.request.settings.model} · {turn.request.settings.imageSize} · {turn.status}
            </p>
            {turn.status === "succeeded" && turn.outcome && turn.outcome.images.length > 0 && (
              <div className="mt-3 flex flex-wrap gap-3">
                {turn.outcome.images.map((image) => (
                  // eslint-disable-next-line @next/next/no-img-element -- served by the studio's own image route with its cache headers
                  <img
                    key={image.hash}
                    src={`/api/images/${image.hash}/thumbnail?w=384`}
                    alt={turn.request.prompt.slice(0, 120) || "Generated image"}
                    className="max-h-72 rounded-md border border-zinc-200 dark:border-zinc-800"
                  />
                ))}
              </div>
            )}
            {mode === "continue" && turn.status !== "queued" && turn.status !== "running" && (
              <div className="mt-3">
                <ShareContinueButton sessionId={session.id} turnId={turn.id} />
              </div>
            )}
          </article>
        ))}
      </main>
    </div>
  );
}
