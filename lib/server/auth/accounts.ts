import "server-only";

import { z } from "zod";
import { log } from "@/lib/server/log";
import { recordAuditIn } from "./audit-store";
import { claimInvitation, createInvitation, markInvitationUsedBy, releaseInvitation, revokeInvitation, type InvitedRole } from "./invitations";
import { adoptPreAccountsData, countUsers, getAuthRuntime } from "./runtime";
import type { Viewer } from "./viewer";

export type AccountErrorCode = "invalid_request" | "unauthenticated" | "not_found" | "conflict" | "expired" | "internal";
export type AccountResult<T> = { ok: true; data: T } | { ok: false; error: { code: AccountErrorCode; message: string } };

const fail = <T>(code: AccountErrorCode, message: string): AccountResult<T> => ({ ok: false, error: { code, message } });

export const newAccountSchema = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100, "Names can be up to 100 characters."),
  email: z.email("Enter a valid email address.").trim().toLowerCase().max(254),
  password: z.string().min(10, "Passwords need at least 10 characters.").max(256, "Passwords can be up to 256 characters."),
});
export type NewAccountInput = z.input<typeof newAccountSchema>;

export const acceptInvitationSchema = newAccountSchema.extend({ token: z.string().min(1).max(200) });
export type AcceptInvitationInput = z.input<typeof acceptInvitationSchema>;

export const inviteSchema = z.object({
  role: z.enum(["admin", "member"]),
  email: z
    .union([z.literal(""), z.email("Enter a valid email address, or leave it empty.").trim().toLowerCase().max(254)])
    .optional()
    .transform((value) => (value ? value : null)),
});
export type InviteInput = z.input<typeof inviteSchema>;

export const userIdSchema = z.object({ userId: z.string().min(1).max(100) });
export const setRoleSchema = userIdSchema.extend({ role: z.enum(["admin", "member"]) });

function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "The request is not valid.";
}

/** better-auth's admin plugin calls members "user". */
const toAuthRole = (role: InvitedRole) => (role === "admin" ? "admin" : "user");

// Two setup forms sent at once must not both create an admin: one process, one queue.
let setupQueue: Promise<unknown> = Promise.resolve();

/** The first account of a studio with nobody yet; it becomes the admin and takes over older data. */
export async function createFirstAdmin(input: unknown, signIn: (email: string, password: string) => Promise<void>): Promise<AccountResult<{ userId: string }>> {
  const parsed = newAccountSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const run = setupQueue.then(async (): Promise<AccountResult<{ userId: string }>> => {
    const runtime = await getAuthRuntime();
    if ((await countUsers(runtime)) > 0) return fail("conflict", "This studio already has an admin. Sign in instead.");
    const { name, email, password } = parsed.data;
    const created = await runtime.auth.api.createUser({ body: { name, email, password, role: "admin" } });
    await adoptPreAccountsData(created.user.id);
    await recordAuditIn(runtime.database.kysely, { action: "setup.admin_created", actorId: created.user.id, actorEmail: email, target: email });
    return { ok: true, data: { userId: created.user.id } };
  });
  setupQueue = run.catch(() => undefined);
  const result = await run.catch((error: unknown) => {
    log.error("auth.setup_failed", { error: error instanceof Error ? error.message : String(error) });
    return fail<{ userId: string }>("internal", "The account could not be created.");
  });
  if (result.ok) await signIn(parsed.data.email, parsed.data.password);
  return result;
}

export async function acceptInvitation(input: unknown, signIn: (email: string, password: string) => Promise<void>): Promise<AccountResult<{ userId: string }>> {
  const parsed = acceptInvitationSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const { token, name, email, password } = parsed.data;
  const runtime = await getAuthRuntime();
  const { kysely } = runtime.database;
  const invitation = await claimInvitation(kysely, token);
  if (!invitation) return fail("expired", "This invitation has expired or was already used. Ask an admin for a new link.");
  if (invitation.email && invitation.email !== email) {
    await releaseInvitation(kysely, invitation.id);
    return fail("invalid_request", `This invitation is for ${invitation.email}.`);
  }
  let userId: string;
  try {
    const created = await runtime.auth.api.createUser({ body: { name, email, password, role: toAuthRole(invitation.role) } });
    userId = created.user.id;
  } catch {
    await releaseInvitation(kysely, invitation.id);
    return fail("conflict", "An account can't be created for this email. If you already have one, sign in.");
  }
  await markInvitationUsedBy(kysely, invitation.id, userId);
  await recordAuditIn(kysely, { action: "invitation.accepted", actorId: userId, actorEmail: email, target: invitation.id, detail: invitation.role });
  await signIn(email, password);
  return { ok: true, data: { userId } };
}

export async function inviteSomeone(admin: Viewer, input: unknown): Promise<AccountResult<{ token: string; expiresAt: string }>> {
  const parsed = inviteSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const { kysely } = (await getAuthRuntime()).database;
  const { invitation, token } = await createInvitation(kysely, { role: parsed.data.role, email: parsed.data.email, createdBy: admin.userId });
  await recordAuditIn(kysely, {
    action: "invitation.created",
    actorId: admin.userId,
    actorEmail: admin.email,
    target: invitation.email ?? invitation.id,
    detail: invitation.role,
  });
  return { ok: true, data: { token, expiresAt: invitation.expiresAt } };
}

export async function withdrawInvitation(admin: Viewer, input: unknown): Promise<AccountResult<null>> {
  const parsed = z.object({ invitationId: z.string().min(1).max(100) }).safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const { kysely } = (await getAuthRuntime()).database;
  if (!(await revokeInvitation(kysely, parsed.data.invitationId))) return fail("not_found", "No such pending invitation.");
  await recordAuditIn(kysely, { action: "invitation.revoked", actorId: admin.userId, actorEmail: admin.email, target: parsed.data.invitationId });
  return { ok: true, data: null };
}

export interface Person {
  id: string;
  name: string;
  email: string;
  role: "admin" | "member";
  disabled: boolean;
  createdAt: string;
}

export async function listPeople(): Promise<Person[]> {
  const { kysely } = (await getAuthRuntime()).database;
  type UserRow = { id: string; name: string; email: string; role: string | null; banned: number | boolean | null; createdAt: string | number | Date };
  const rows = (await kysely
    .selectFrom("user" as never)
    .select(["id", "name", "email", "role", "banned", "createdAt"] as never[])
    .orderBy("createdAt" as never)
    .execute()) as unknown as UserRow[];
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role === "admin" ? "admin" : "member",
    disabled: Boolean(row.banned),
    createdAt: new Date(row.createdAt).toISOString(),
  }));
}

/** Display names by user id, for showing who owns a shared session to any signed-in member. */
export async function peopleNames(): Promise<Map<string, string>> {
  return new Map((await listPeople()).map((person) => [person.id, person.name]));
}

/** One person's display name (a shared session's owner), read by id; null for someone no longer in the team. */
export async function personName(userId: string): Promise<string | null> {
  const { kysely } = (await getAuthRuntime()).database;
  const row = (await kysely
    .selectFrom("user" as never)
    .select(["name"] as never[])
    .where("id" as never, "=", userId as never)
    .executeTakeFirst()) as unknown as { name: string } | undefined;
  return row?.name ?? null;
}

async function findPerson(userId: string): Promise<Person | undefined> {
  return (await listPeople()).find((person) => person.id === userId);
}

/** Admin operations go through better-auth's admin API with the admin's own headers, so it checks the role too. */
export async function changeRole(admin: Viewer, headers: Headers, input: unknown): Promise<AccountResult<null>> {
  const parsed = setRoleSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const person = await findPerson(parsed.data.userId);
  if (!person) return fail("not_found", "No such person.");
  if (person.id === admin.userId) return fail("conflict", "You can't change your own role; ask another admin.");
  const runtime = await getAuthRuntime();
  await runtime.auth.api.setRole({ body: { userId: person.id, role: toAuthRole(parsed.data.role) }, headers });
  await recordAuditIn(runtime.database.kysely, {
    action: "user.role_changed",
    actorId: admin.userId,
    actorEmail: admin.email,
    target: person.email,
    detail: `${person.role} → ${parsed.data.role}`,
  });
  return { ok: true, data: null };
}

/** Disabling bans the account: better-auth deletes every session it has, and refuses new ones. */
export async function setDisabled(admin: Viewer, headers: Headers, input: unknown, disabled: boolean): Promise<AccountResult<null>> {
  const parsed = userIdSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const person = await findPerson(parsed.data.userId);
  if (!person) return fail("not_found", "No such person.");
  if (person.id === admin.userId) return fail("conflict", "You can't disable yourself.");
  const runtime = await getAuthRuntime();
  if (disabled) await runtime.auth.api.banUser({ body: { userId: person.id, banReason: `Disabled by ${admin.email}` }, headers });
  else await runtime.auth.api.unbanUser({ body: { userId: person.id }, headers });
  await recordAuditIn(runtime.database.kysely, {
    action: disabled ? "user.disabled" : "user.enabled",
    actorId: admin.userId,
    actorEmail: admin.email,
    target: person.email,
  });
  return { ok: true, data: null };
}

/** Removes the account and its sign-in sessions. Their studio sessions stay in storage, unreachable. */
export async function removePerson(admin: Viewer, headers: Headers, input: unknown): Promise<AccountResult<null>> {
  const parsed = userIdSchema.safeParse(input);
  if (!parsed.success) return fail("invalid_request", firstIssue(parsed.error));
  const person = await findPerson(parsed.data.userId);
  if (!person) return fail("not_found", "No such person.");
  if (person.id === admin.userId) return fail("conflict", "You can't remove yourself.");
  const runtime = await getAuthRuntime();
  await runtime.auth.api.removeUser({ body: { userId: person.id }, headers });
  await recordAuditIn(runtime.database.kysely, { action: "user.removed", actorId: admin.userId, actorEmail: admin.email, target: person.email });
  return { ok: true, data: null };
}
