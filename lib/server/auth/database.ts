import "server-only";

import { randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";

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
  studio_auth_secret: {
    id: number;
    secret: string;
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
 * With DATABASE_URL the accounts live in PostgreSQL next to the sessions, so every instance sees
 * the same people, sessions, lockouts and sign-in rate limits.
 */
export function openPostgresAuthDatabase(connectionString: string): AuthDatabase {
  const pool = new pg.Pool({ connectionString, max: 5 });
  const kysely = new Kysely<AuthTables>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, type: "postgres", close: () => kysely.destroy() };
}

/** An arbitrary constant: the advisory lock under which one instance at a time changes the account tables. */
const AUTH_SCHEMA_LOCK = 7_211_804_301;

/**
 * Runs `work` while no other instance changes the account tables: on PostgreSQL, under a
 * session-level advisory lock held on one connection of the pool (the work itself may use any
 * other); on SQLite the single process needs none.
 */
export async function withAuthSchemaLock<T>(database: AuthDatabase, work: () => Promise<T>): Promise<T> {
  if (database.type !== "postgres") return work();
  return database.kysely.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${AUTH_SCHEMA_LOCK})`.execute(connection);
    try {
      return await work();
    } finally {
      await sql`SELECT pg_advisory_unlock(${AUTH_SCHEMA_LOCK})`.execute(connection);
    }
  });
}

/**
 * The cookie-signing secret kept in the accounts' database, for deployments where instances share
 * a database but no directory: the first instance writes a random one, every other reads it.
 */
export async function sharedAuthSecret(kysely: Kysely<AuthTables>): Promise<string> {
  await kysely
    .insertInto("studio_auth_secret")
    .values({ id: 1, secret: randomBytes(32).toString("base64url") })
    .onConflict((conflict) => conflict.column("id").doNothing())
    .execute();
  const row = await kysely.selectFrom("studio_auth_secret").select("secret").where("id", "=", 1).executeTakeFirstOrThrow();
  return row.secret;
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
  await kysely.schema
    .createTable("studio_auth_secret")
    .ifNotExists()
    .addColumn("id", "integer", (column) => column.primaryKey().check(sql`id = 1`))
    .addColumn("secret", "text", (column) => column.notNull())
    .execute();
}
