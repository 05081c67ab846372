import "server-only";

import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuthTables } from "./database";

export type AuditAction =
  | "sign_in"
  | "sign_in.failed"
  | "sign_in.locked"
  | "sign_out"
  | "setup.admin_created"
  | "invitation.created"
  | "invitation.revoked"
  | "invitation.accepted"
  | "user.role_changed"
  | "user.disabled"
  | "user.enabled"
  | "user.removed"
  | "session.deleted"
  // Open for other modules (budgets, sharing): their own dotted names.
  | (string & {});

export interface AuditEntry {
  action: AuditAction;
  actorId?: string | null;
  actorEmail?: string | null;
  /** What was acted on: a user's email, a session id, an invitation id. */
  target?: string | null;
  /** A short human-readable note ("member → admin", "password", "sso"). */
  detail?: string | null;
  address?: string | null;
}

export interface AuditRecord {
  id: string;
  at: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  target: string | null;
  detail: string | null;
  address: string | null;
}

export async function recordAuditIn(db: Kysely<AuthTables>, entry: AuditEntry, now = new Date()): Promise<void> {
  await db
    .insertInto("studio_audit_log")
    .values({
      id: randomUUID(),
      at: now.toISOString(),
      actor_id: entry.actorId ?? null,
      actor_email: entry.actorEmail ?? null,
      action: entry.action,
      target: entry.target?.slice(0, 500) ?? null,
      detail: entry.detail?.slice(0, 500) ?? null,
      address: entry.address?.slice(0, 100) ?? null,
    })
    .execute();
}

export async function listAuditIn(db: Kysely<AuthTables>, { limit = 200, offset = 0 } = {}): Promise<AuditRecord[]> {
  const rows = await db.selectFrom("studio_audit_log").selectAll().orderBy("at", "desc").orderBy("id").limit(limit).offset(offset).execute();
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    action: row.action,
    target: row.target,
    detail: row.detail,
    address: row.address,
  }));
}
