"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { continueSharedTurnAction } from "@/app/gallery/actions";

/** Copies the conversation up to this turn into a new session of the viewer's and opens it there. */
export function ShareContinueButton({ sessionId, turnId }: { sessionId: string; turnId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <div className="flex items-center gap-2">
      <button
        type="button"
        data-testid="continue-shared-turn"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            setError(null);
            const result = await continueSharedTurnAction({ sessionId, turnId });
            if (!result.ok) {
              setError(`${result.error.message}${result.error.action ? ` ${result.error.action}` : ""}`);
              return;
            }
            router.push(`/s/${result.data.sessionId}?turn=${result.data.turnId}`);
          })
        }
        className="rounded-md bg-amber-400 px-3 py-1.5 text-sm font-medium text-zinc-950 hover:bg-amber-300 disabled:opacity-60"
      >
        {pending ? "Copying…" : "Continue in my session"}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-700 dark:text-red-300">
          {error}
        </span>
      )}
    </div>
  );
}
