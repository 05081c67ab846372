"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { setDefaultBudgetAction, setUserBudgetAction } from "@/app/usage/actions";
import { parseUsdField, setDefaultBudgetSchema, setUserBudgetSchema } from "./budget-schemas";

function usdText(microUsd: number | null): string {
  return microUsd === null ? "" : (microUsd / 1_000_000).toFixed(2);
}

function useSubmit() {
  const router = useRouter();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const run = (work: () => Promise<{ ok: true } | { ok: false; error: { message: string } }>, done: string) =>
    startTransition(async () => {
      const result = await work();
      setMessage(result.ok ? { ok: true, text: done } : { ok: false, text: result.error.message });
      if (result.ok) router.refresh();
    });
  return { message, pending, run, setMessage };
}

function Feedback({ message, testId }: { message: { ok: boolean; text: string } | null; testId: string }) {
  if (!message) return null;
  return (
    <span role={message.ok ? "status" : "alert"} data-testid={testId} className={message.ok ? "text-xs text-green-700 dark:text-green-300" : "text-xs text-red-700 dark:text-red-300"}>
      {message.text}
    </span>
  );
}

const inputClass = "w-28 rounded-md border border-zinc-300 bg-transparent px-2 py-1 text-sm dark:border-zinc-700";
const buttonClass = "rounded-md border border-zinc-300 px-3 py-1 text-sm hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";

/** The studio-wide monthly budget; empty means no limit. */
export function DefaultBudgetForm({ limitMicroUsd }: { limitMicroUsd: number | null }) {
  const [text, setText] = useState(usdText(limitMicroUsd));
  const { message, pending, run, setMessage } = useSubmit();
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        const input = { usd: parseUsdField(text) };
        const parsed = setDefaultBudgetSchema.safeParse(input);
        if (!parsed.success) return setMessage({ ok: false, text: parsed.error.issues[0]?.message ?? "Not a valid amount." });
        run(() => setDefaultBudgetAction(input), "Saved.");
      }}
    >
      <label htmlFor="default-budget" className="text-sm">
        Default monthly budget per user, USD
      </label>
      <input id="default-budget" data-testid="default-budget" inputMode="decimal" placeholder="no limit" value={text} onChange={(event) => setText(event.target.value)} className={inputClass} />
      <button type="submit" disabled={pending} className={buttonClass} data-testid="save-default-budget">
        Save
      </button>
      <Feedback message={message} testId="default-budget-feedback" />
    </form>
  );
}

/** One user's own budget: an amount, no limit, or back to the default. */
export function UserBudgetForm({ userId, limitMicroUsd, isOverride }: { userId: string; limitMicroUsd: number | null; isOverride: boolean }) {
  const [text, setText] = useState(isOverride ? usdText(limitMicroUsd) : "");
  const { message, pending, run, setMessage } = useSubmit();
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        const input = { userId, usd: parseUsdField(text) };
        const parsed = setUserBudgetSchema.safeParse(input);
        if (!parsed.success) return setMessage({ ok: false, text: parsed.error.issues[0]?.message ?? "Not a valid amount." });
        run(() => setUserBudgetAction(input), "Saved.");
      }}
    >
      <input
        aria-label={`Monthly budget for ${userId}, USD (empty for no limit)`}
        data-testid={`user-budget-${userId}`}
        inputMode="decimal"
        placeholder="no limit"
        value={text}
        onChange={(event) => setText(event.target.value)}
        className={inputClass}
      />
      <button type="submit" disabled={pending} className={buttonClass}>
        Set
      </button>
      {isOverride && (
        <button type="button" disabled={pending} className={buttonClass} onClick={() => run(() => setUserBudgetAction({ userId, usd: "default" }), "Back to the default.")}>
          Use default
        </button>
      )}
      <Feedback message={message} testId={`user-budget-feedback-${userId}`} />
    </form>
  );
}
