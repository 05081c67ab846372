"use client";

import { AccountForm } from "@/components/account/account-form";
import { acceptInvitationAction } from "@/app/auth-actions";

export function InviteForm({ token, email }: { token: string; email: string | null }) {
  return <AccountForm submitLabel="Create my account" fixedEmail={email} submit={(input) => acceptInvitationAction({ ...input, token })} />;
}
