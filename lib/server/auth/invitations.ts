import "server-only";

import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuthTables } from "./database";

/**
 * Invitation links: a random token shown once to the admin; only its SHA-256 is stored, so a copy
 * of the database invites nobody. Single use, with an expiry.
 */
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

export type InvitedRole = "admin" | "member";

export interface Invitation {
  id: string;
  email: string | null;
  role: InvitedRole;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function toInvitation(row: AuthTables["studio_invitation"]): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role === "admin" ? "admin" : "member",
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export async function createInvitation(
  db: Kysely<AuthTables>,
  input: { role: InvitedRole; email: string | null; createdBy: string },
  now = new Date(),
  ttlMs = INVITATION_TTL_MS,
): Promise<{ invitation: Invitation; token: string }> {
  const token = randomBytes(32).toString("base64url");
  const row = {
    id: randomUUID(),
    token_hash: hashToken(token),
    email: input.email?.toLowerCase() ?? null,
    role: input.role,
    created_by: input.createdBy,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    used_at: null,
    used_by: null,
  };
  await db.insertInto("studio_invitation").values(row).execute();
  return { invitation: toInvitation(row), token };
}

/** The invitation behind a link, while it is unused and unexpired; otherwise null. */
export async function findUsableInvitation(db: Kysely<AuthTables>, token: string, now = new Date()): Promise<Invitation | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = await db
    .selectFrom("studio_invitation")
    .selectAll()
    .where("token_hash", "=", hashToken(token))
    .where("used_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .executeTakeFirst();
  return row ? toInvitation(row) : null;
}

/**
 * Marks the invitation used, atomically: of two people racing with one link, one gets it. Returns
 * the invitation, or null when it was already used, expired or never existed.
 */
export async function claimInvitation(db: Kysely<AuthTables>, token: string, now = new Date()): Promise<Invitation | null> {
  const invitation = await findUsableInvitation(db, token, now);
  if (!invitation) return null;
  const result = await db
    .updateTable("studio_invitation")
    .set({ used_at: now.toISOString() })
    .where("id", "=", invitation.id)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? invitation : null;
}

/** Gives a claimed invitation back when the account could not be created after all. */
export async function releaseInvitation(db: Kysely<AuthTables>, id: string): Promise<void> {
  await db.updateTable("studio_invitation").set({ used_at: null, used_by: null }).where("id", "=", id).execute();
}

export async function markInvitationUsedBy(db: Kysely<AuthTables>, id: string, userId: string): Promise<void> {
  await db.updateTable("studio_invitation").set({ used_by: userId }).where("id", "=", id).execute();
}

export async function listPendingInvitations(db: Kysely<AuthTables>, now = new Date()): Promise<Invitation[]> {
  const rows = await db
    .selectFrom("studio_invitation")
    .selectAll()
    .where("used_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .orderBy("created_at", "desc")
    .execute();
  return rows.map(toInvitation);
}

export async function revokeInvitation(db: Kysely<AuthTables>, id: string): Promise<boolean> {
  const result = await db.deleteFrom("studio_invitation").where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
