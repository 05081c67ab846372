import "server-only";

import path from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";

/**
 * The accounts' database: better-auth's tables plus the studio's invitations, sign-in lockouts and
 * audit log. By default the studio's own SQLite file, opened on a second connection (WAL lets it
 * and the storage's connection work side by side). Everything here goes through Kysely, so a
 * PostgreSQL deployment passes a Kysely over `pg` instead and nothing else changes.
 */
export interface AuthTables {
  studio_invitation: {
    id: string;
    token_hash: string;
    email: string | null;
    role: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
    used_by: string | null;
  };
  studio_sign_in_failure: {
    email: string;
    failures: number;
    locked_until: string | null;
    updated_at: string;
  };
  studio_audit_log: {
    id: string;
    at: string;
    actor_id: string | null;
    actor_email: string | null;
    action: string;
    target: string | null;
    detail: string | null;
    address: string | null;
  };
}

export interface AuthDatabase {
  kysely: Kysely<AuthTables>;
  /** What better-auth needs to pick its SQL flavour. */
  type: "sqlite" | "postgres";
  close(): Promise<void>;
}

export function openSqliteAuthDatabase(dataDir: string): AuthDatabase {
  const db = new Database(path.join(dataDir, "studio.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const kysely = new Kysely<AuthTables>({ dialect: new SqliteDialect({ database: db }) });
  return { kysely, type: "sqlite", close: () => kysely.destroy() };
}

/**
 * The studio's own account tables. Kept apart from lib/storage's numbered migrations because they
 * belong to the accounts module and must work on whichever database better-auth is given;
 * `if not exists` makes each start a no-op once they are there.
 */
export async function createStudioAuthTables(kysely: Kysely<AuthTables>): Promise<void> {
  await kysely.schema
    .createTable("studio_invitation")
    .ifNotExists()
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("token_hash", "text", (column) => column.notNull().unique())
    .addColumn("email", "text")
    .addColumn("role", "text", (column) => column.notNull())
    .addColumn("created_by", "text", (column) => column.notNull())
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("expires_at", "text", (column) => column.notNull())
    .addColumn("used_at", "text")
    .addColumn("used_by", "text")
    .execute();
  await kysely.schema
    .createTable("studio_sign_in_failure")
    .ifNotExists()
    .addColumn("email", "text", (column) => column.primaryKey())
    .addColumn("failures", "integer", (column) => column.notNull())
    .addColumn("locked_until", "text")
    .addColumn("updated_at", "text", (column) => column.notNull())
    .execute();
  await kysely.schema
    .createTable("studio_audit_log")
    .ifNotExists()
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("at", "text", (column) => column.notNull())
    .addColumn("actor_id", "text")
    .addColumn("actor_email", "text")
    .addColumn("action", "text", (column) => column.notNull())
    .addColumn("target", "text")
    .addColumn("detail", "text")
    .addColumn("address", "text")
    .execute();
  await sql`CREATE INDEX IF NOT EXISTS studio_audit_log_by_time ON studio_audit_log (at DESC)`.execute(kysely);
}
