"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { inviteAction, removePersonAction, setDisabledAction, setRoleAction, withdrawInvitationAction } from "@/app/auth-actions";
import { FormError, inputClass } from "@/components/account/auth-card";
import type { Person } from "@/lib/server/auth/accounts";

const smallButton = "rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800";

type Result = { ok: true } | { ok: false; error: { message: string } };

function useAction() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run(work: () => Promise<Result>) {
    setPending(true);
    setError(null);
    const result = await work().catch(() => ({ ok: false as const, error: { message: "The studio could not be reached." } }));
    setPending(false);
    if (!result.ok) setError(result.error.message);
    else router.refresh();
  }
  return { pending, error, run };
}

export function PersonActions({ person }: { person: Person }) {
  const { pending, error, run } = useAction();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        type="button"
        className={smallButton}
        disabled={pending}
        data-testid="toggle-role"
        onClick={() => run(() => setRoleAction({ userId: person.id, role: person.role === "admin" ? "member" : "admin" }))}
      >
        {person.role === "admin" ? "Make member" : "Make admin"}
      </button>
      <button
        type="button"
        className={smallButton}
        disabled={pending}
        data-testid={person.disabled ? "enable-person" : "disable-person"}
        onClick={() => run(() => setDisabledAction({ userId: person.id, disabled: !person.disabled }))}
      >
        {person.disabled ? "Enable" : "Disable"}
      </button>
      <button
        type="button"
        className={smallButton}
        disabled={pending}
        data-testid="remove-person"
        onClick={() => {
          if (window.confirm(`Remove ${person.email}? They can no longer sign in.`)) void run(() => removePersonAction({ userId: person.id }));
        }}
      >
        Remove
      </button>
      {error && <span role="alert" className="text-xs text-red-700 dark:text-red-300">{error}</span>}
    </div>
  );
}

export function WithdrawInvitation({ invitationId }: { invitationId: string }) {
  const { pending, run } = useAction();
  return (
    <button type="button" className={smallButton} disabled={pending} onClick={() => run(() => withdrawInvitationAction({ invitationId }))}>
      Withdraw
    </button>
  );
}

export function InviteCreator() {
  const router = useRouter();
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [copied, setCopied] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    setCopied(false);
    const role = form.get("role") === "admin" ? "admin" : "member";
    const result = await inviteAction({ role, email: String(form.get("email") ?? "") }).catch(() => null);
    setPending(false);
    if (!result) return setError("The studio could not be reached.");
    if (!result.ok) return setError(result.error.message);
    setLink(new URL(`/invite/${result.data.token}`, window.location.origin).toString());
    router.refresh();
  }

  return (
    <div className="space-y-3">
      <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3" data-testid="invite-form">
        <label className="space-y-1 text-sm">
          <span className="block font-medium">Email (optional)</span>
          <input name="email" type="email" className={inputClass} placeholder="name@example.com" />
        </label>
        <label className="space-y-1 text-sm">
          <span className="block font-medium">Role</span>
          <select name="role" className={inputClass} defaultValue="member">
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </label>
        <button type="submit" disabled={pending} className="rounded-md bg-zinc-900 px-3 py-2 text-sm font-medium text-white disabled:opacity-50 dark:bg-zinc-100 dark:text-zinc-900">
          Create invitation link
        </button>
      </form>
      <FormError message={error} />
      {link && (
        <div className="flex items-center gap-2">
          <input readOnly value={link} className={inputClass} data-testid="invite-link" onFocus={(event) => event.currentTarget.select()} />
          <button
            type="button"
            className={smallButton}
            onClick={() => {
              void navigator.clipboard.writeText(link).then(() => setCopied(true));
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
      )}
    </div>
  );
}
