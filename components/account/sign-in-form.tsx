"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { buttonClass, Field, FormError, inputClass, secondaryButtonClass } from "./auth-card";

/** Words that never say whether an account exists. */
const WRONG = "Email or password is wrong.";

/**
 * Posts straight to better-auth (/api/auth/sign-in/email), so its origin check, its per-address
 * rate limit and the studio's lock after repeated failures all apply. Signed in, it goes to
 * `returnTo`: the page asked for, already checked on the server (lib/server/auth/return-to.ts).
 */
export function SignInForm({ sso, initialError, returnTo }: { sso: boolean; initialError: string | null; returnTo: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const response = await fetch("/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") }),
      });
      if (response.ok) {
        router.replace(returnTo);
        return;
      }
      const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
      if (response.status === 429) {
        setError(body?.code === "ACCOUNT_LOCKED" ? (body.message ?? "Too many failed sign-ins.") : "Too many sign-in attempts. Wait a minute and try again.");
      } else if (response.status === 403 && body?.code === "BANNED_USER") {
        setError("This account is disabled. Ask an admin of the studio.");
      } else {
        setError(WRONG);
      }
    } catch {
      setError("The studio could not be reached. Try again.");
    }
    setPending(false);
  }

  async function onSso() {
    setPending(true);
    setError(null);
    try {
      const response = await fetch("/api/auth/sign-in/social", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ provider: "sso", callbackURL: returnTo, errorCallbackURL: "/sign-in" }),
      });
      const body = (await response.json().catch(() => null)) as { url?: string } | null;
      if (response.ok && body?.url) {
        window.location.assign(body.url);
        return;
      }
      setError("Single sign-on is not available right now.");
    } catch {
      setError("The studio could not be reached. Try again.");
    }
    setPending(false);
  }

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} className="space-y-4" data-testid="sign-in-form">
        <Field label="Email">
          <input name="email" type="email" required autoComplete="email" className={inputClass} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" required autoComplete="current-password" className={inputClass} />
        </Field>
        <FormError message={error} />
        <button type="submit" disabled={pending} className={buttonClass}>
          Sign in
        </button>
      </form>
      {sso && (
        <button type="button" onClick={onSso} disabled={pending} className={secondaryButtonClass} data-testid="sso-button">
          Sign in with SSO
        </button>
      )}
    </div>
  );
}
