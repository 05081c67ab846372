"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { recordAudit } from "@/lib/server/audit";
import * as accounts from "@/lib/server/auth/accounts";
import type { AccountResult } from "@/lib/server/auth/accounts";
import { getAuth } from "@/lib/server/auth/runtime";
import { getViewer, type Viewer } from "@/lib/server/auth/viewer";

// Accounts' server actions: public POST endpoints like every action. Each parses its input in
// lib/server/auth/accounts.ts; admin actions also pass the caller's headers to better-auth's admin
// API, which checks the role a second time.

async function signInHere(email: string, password: string): Promise<void> {
  // nextCookies() (lib/server/auth/auth.ts) puts the session cookie on this action's response.
  await (await getAuth()).api.signInEmail({ body: { email, password }, headers: await headers() });
}

export async function createFirstAdminAction(input: accounts.NewAccountInput): Promise<AccountResult<{ userId: string }>> {
  return accounts.createFirstAdmin(input, signInHere);
}

export async function acceptInvitationAction(input: accounts.AcceptInvitationInput): Promise<AccountResult<{ userId: string }>> {
  return accounts.acceptInvitation(input, signInHere);
}

export async function signOutAction(): Promise<void> {
  const viewer = await getViewer();
  const requestHeaders = await headers();
  await (await getAuth()).api.signOut({ headers: requestHeaders }).catch(() => undefined);
  if (viewer) await recordAudit({ action: "sign_out", actorId: viewer.userId, actorEmail: viewer.email });
  redirect("/sign-in");
}

const NOT_ADMIN: AccountResult<never> = { ok: false, error: { code: "not_found", message: "No such page." } };
const SIGNED_OUT: AccountResult<never> = { ok: false, error: { code: "unauthenticated", message: "You are signed out. Sign in again." } };

async function asAdmin<T>(work: (admin: Viewer, headers: Headers) => Promise<AccountResult<T>>): Promise<AccountResult<T>> {
  const viewer = await getViewer();
  if (!viewer) return SIGNED_OUT;
  if (viewer.role !== "admin") return NOT_ADMIN;
  try {
    return await work(viewer, await headers());
  } catch {
    return { ok: false, error: { code: "internal", message: "The change could not be made." } };
  }
}

export async function inviteAction(input: accounts.InviteInput): Promise<AccountResult<{ token: string; expiresAt: string }>> {
  return asAdmin((admin) => accounts.inviteSomeone(admin, input));
}

export async function withdrawInvitationAction(input: { invitationId: string }): Promise<AccountResult<null>> {
  return asAdmin((admin) => accounts.withdrawInvitation(admin, input));
}

export async function setRoleAction(input: { userId: string; role: "admin" | "member" }): Promise<AccountResult<null>> {
  return asAdmin((admin, requestHeaders) => accounts.changeRole(admin, requestHeaders, input));
}

export async function setDisabledAction(input: { userId: string; disabled: boolean }): Promise<AccountResult<null>> {
  const disabled = typeof input === "object" && input !== null && input.disabled === true;
  return asAdmin((admin, requestHeaders) => accounts.setDisabled(admin, requestHeaders, input, disabled));
}

export async function removePersonAction(input: { userId: string }): Promise<AccountResult<null>> {
  return asAdmin((admin, requestHeaders) => accounts.removePerson(admin, requestHeaders, input));
}
