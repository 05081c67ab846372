"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { buttonClass, Field, FormError, inputClass } from "./auth-card";

type Result = { ok: true } | { ok: false; error: { message: string } };

/** Name, email and password: the setup page's first admin and an invitation's new account. */
export function AccountForm({
  submitLabel,
  fixedEmail,
  submit,
}: {
  submitLabel: string;
  fixedEmail?: string | null;
  submit: (input: { name: string; email: string; password: string }) => Promise<Result>;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const result = await submit({
        name: String(form.get("name") ?? ""),
        email: fixedEmail ?? String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
      });
      if (result.ok) {
        router.replace("/");
        return;
      }
      setError(result.error.message);
    } catch {
      setError("The studio could not be reached. Try again.");
    }
    setPending(false);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" data-testid="account-form">
      <Field label="Name">
        <input name="name" required maxLength={100} autoComplete="name" className={inputClass} />
      </Field>
      <Field label="Email">
        {fixedEmail ? (
          <input name="email" value={fixedEmail} readOnly className={inputClass} />
        ) : (
          <input name="email" type="email" required autoComplete="email" className={inputClass} />
        )}
      </Field>
      <Field label="Password (at least 10 characters)">
        <input name="password" type="password" required minLength={10} maxLength={256} autoComplete="new-password" className={inputClass} />
      </Field>
      <FormError message={error} />
      <button type="submit" disabled={pending} className={buttonClass}>
        {submitLabel}
      </button>
    </form>
  );
}
