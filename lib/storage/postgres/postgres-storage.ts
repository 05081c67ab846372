import "server-only";

import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect, sql, type Selectable, type Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import type { StudioError } from "@/lib/gemini/types";
import type { ImageStore } from "../image-store";
import { externalizeModelTurn, inflateModelTurn } from "../model-turn-codec";
import {
  DEFAULT_SESSION_LIST_LIMIT,
  MAX_SESSION_LIST_LIMIT,
  StorageError,
  canTransition,
  coverImageOf,
  createTimestampClock,
  isFinishedStatus,
  isStorageId,
  type ListSessionsOptions,
  type Session,
  type Storage,
  type Turn,
  type TurnOutcome,
  type TurnPatch,
  type TurnRequest,
  type TurnStatus,
} from "../types";
import { POSTGRES_MIGRATIONS, type StudioDatabase, type TurnsTable } from "./schema";

/**
 * Sessions, turns and model turns in PostgreSQL, for several studio instances sharing one team's
 * data. Same semantics as the SQLite storage (lib/storage/sqlite/sqlite-storage.ts), checked by the
 * same contract suite; what differs is how: row locks (SELECT … FOR UPDATE) instead of SQLite's
 * single writer, so two instances can't both move one turn, and model turns in a table (TOASTed
 * text) instead of files, so every instance sees them.
 *
 * Kysely builds the queries (typed against schema.ts) and runs the migrations; the few queries it
 * can't express (the recursive chain, the list with its per-session columns) are `sql` templates
 * with bound parameters.
 */

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  images: ImageStore;
  now?: () => Date;
  /** Connections this instance keeps open (default 10). */
  poolSize?: number;
}

export interface PostgresStorage extends Storage {
  /** For tests, the data migration and diagnostics; app code goes through the repositories. */
  readonly db: Kysely<StudioDatabase>;
}

type TurnRow = Selectable<TurnsTable>;

interface SessionRow {
  id: string;
  owner_id: string;
  title: string;
  created_at: Date;
  updated_at: Date;
  turn_count: number;
  last_prompt: string | null;
  cover_image_hash: string | null;
}

// The per-session columns the list shows, computed from the turns (as SQLite does) so they can
// never disagree with them; the turns_by_session index makes each a short index scan.
const SESSION_COLUMNS = sql`
  s.id, s.owner_id, s.title, s.created_at, s.updated_at,
  (SELECT count(*)::int FROM turns t WHERE t.session_id = s.id) AS turn_count,
  (SELECT t.prompt FROM turns t WHERE t.session_id = s.id ORDER BY t.created_at DESC, t.seq DESC LIMIT 1) AS last_prompt,
  (SELECT t.cover_image_hash FROM turns t
     WHERE t.session_id = s.id AND t.cover_image_hash IS NOT NULL
     ORDER BY t.created_at DESC, t.seq DESC LIMIT 1) AS cover_image_hash`;

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    ownerId: row.owner_id,
    title: row.title,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    turnCount: row.turn_count,
    lastPrompt: row.last_prompt,
    coverImageHash: row.cover_image_hash,
  };
}

function toTurn(row: TurnRow): Turn {
  return {
    id: row.id,
    sessionId: row.session_id,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    status: row.status as TurnStatus,
    request: JSON.parse(row.request_json) as TurnRequest,
    outcome: row.outcome_json === null ? null : (JSON.parse(row.outcome_json) as TurnOutcome),
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as StudioError),
    attempts: row.attempts,
  };
}

function json(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new StorageError("storage_failed", "A value to save is not JSON.");
  return text;
}

/**
 * PostgreSQL's text type can't hold U+0000, which a pasted prompt or title might. The exact prompt
 * is kept in request_json (JSON escapes it); the searchable and listed columns get U+FFFD.
 */
function pgText(value: string): string {
  return value.includes("\u0000") ? value.replace(/\u0000/g, "\uFFFD") : value;
}

/** ILIKE with `%`, `_` and the escape character taken literally (backslash is ILIKE's default escape). */
function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Ids are checked before they reach a query, so junk never costs a round trip and never errors. */
function validIds(...ids: string[]): boolean {
  return ids.every(isStorageId);
}

/** PostgreSQL's and the driver's errors, in words an operator can act on, as StorageError "storage_failed". */
export function postgresFailure(error: unknown, doing: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const pgCode = typeof code === "string" ? code : "";
  const message = error instanceof Error ? error.message : String(error);
  let reason: string;
  if (pgCode === "53100") reason = "the disk holding the PostgreSQL database is full";
  else if (pgCode === "25006") reason = "the PostgreSQL database is read-only (a standby, or default_transaction_read_only)";
  else if (pgCode === "28P01" || pgCode === "28000") reason = "PostgreSQL refused the user or password in DATABASE_URL";
  else if (pgCode === "3D000") reason = "the database named in DATABASE_URL does not exist";
  else if (pgCode === "42501") reason = `the database user lacks a privilege (${message})`;
  else if (pgCode === "ECONNREFUSED" || pgCode === "ENOTFOUND" || pgCode === "ETIMEDOUT" || pgCode === "EAI_AGAIN") {
    reason = `PostgreSQL can't be reached at the host in DATABASE_URL (${pgCode})`;
  } else if (pgCode.startsWith("57P") || pgCode.startsWith("08")) reason = `the connection to PostgreSQL was lost (${message})`;
  else reason = message;
  return new StorageError("storage_failed", `Could not ${doing}: ${reason}.`, { cause: error });
}

/** The Migrator reports a database migrated by a newer studio as "corrupted migrations: … is missing". */
function describeMigrationFailure(error: unknown): unknown {
  const message = error instanceof Error ? error.message : "";
  if (/previously executed migration .* is missing/.test(message)) {
    return new Error("The database was migrated by a newer version of the studio. Update the studio", { cause: error });
  }
  return error;
}

/** Brings the database to the newest schema; returns the steps it applied (none when current). */
export async function migratePostgres(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => POSTGRES_MIGRATIONS },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw describeMigrationFailure(error);
  return (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName);
}

export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
  // An idle connection the server drops (restart, failover) must not crash the process; the
  // next query opens a new one and reports the failure, if any, as a StorageError.
  pool.on("error", () => undefined);
  const db = new Kysely<StudioDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(db as unknown as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw postgresFailure(error, "prepare the studio database");
  }

  const stamp = createTimestampClock(options.now);
  const { images } = options;

  async function write<T>(doing: string, work: (trx: Transaction<StudioDatabase>) => Promise<T>): Promise<T> {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      throw postgresFailure(error, doing);
    }
  }
  async function read<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw postgresFailure(error, doing);
    }
  }

  async function sessionById(executor: Kysely<StudioDatabase>, ownerId: string, id: string): Promise<SessionRow | undefined> {
    const { rows } = await sql<SessionRow>`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ${id} AND s.owner_id = ${ownerId}`.execute(executor);
    return rows[0];
  }

  function turnById(executor: Kysely<StudioDatabase>, ownerId: string, id: string) {
    return executor.selectFrom("turns").selectAll().where("id", "=", id).where("owner_id", "=", ownerId);
  }

  async function touchSession(trx: Transaction<StudioDatabase>, sessionId: string, at: string): Promise<void> {
    await trx.updateTable("sessions").set({ updated_at: at }).where("id", "=", sessionId).execute();
  }

  async function sessionList(ownerId: string, { query, limit, offset }: ListSessionsOptions): Promise<Session[]> {
    const max = Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_SESSION_LIST_LIMIT)), MAX_SESSION_LIST_LIMIT);
    const skip = Math.max(0, Math.floor(offset ?? 0));
    const needle = query?.trim() ?? "";
    const order = sql`ORDER BY s.updated_at DESC, s.seq DESC`;
    // The page is chosen first and the per-session columns computed for its rows only: with the
    // columns in the same SELECT, PostgreSQL computes them for every row OFFSET skips too.
    const page = (where: ReturnType<typeof sql>) =>
      sql<SessionRow>`
        SELECT ${SESSION_COLUMNS}
        FROM (SELECT s.* FROM sessions s WHERE ${where} ${order} LIMIT ${max} OFFSET ${skip}) s
        ${order}`.execute(db);
    if (needle === "") {
      const { rows } = await page(sql`s.owner_id = ${ownerId}`);
      return rows.map(toSession);
    }
    const like = likePattern(pgText(needle));
    // IN rather than a correlated EXISTS: the planner can answer it from the trigram index once,
    // instead of probing every session's turns.
    const { rows } = await page(sql`
      s.owner_id = ${ownerId} AND (
        s.title ILIKE ${like}
        OR s.id IN (SELECT t.session_id FROM turns t WHERE t.owner_id = ${ownerId} AND t.prompt ILIKE ${like})
      )`);
    return rows.map(toSession);
  }

  const storage: PostgresStorage = {
    db,
    images,

    sessions: {
      async create({ ownerId, title }) {
        return write("create the session", async (trx) => {
          const id = randomUUID();
          const at = stamp();
          await trx.insertInto("sessions").values({ id, owner_id: ownerId, title: pgText(title), created_at: at, updated_at: at }).execute();
          return toSession((await sessionById(trx, ownerId, id)) as SessionRow);
        });
      },
      async get(ownerId, id) {
        if (!validIds(id)) return null;
        return read("read the session", async () => {
          const row = await sessionById(db, ownerId, id);
          return row ? toSession(row) : null;
        });
      },
      async list(ownerId, options = {}) {
        return read("list sessions", () => sessionList(ownerId, options));
      },
      async rename(ownerId, id, title) {
        if (!validIds(id)) return null;
        return write("rename the session", async (trx) => {
          const { numUpdatedRows } = await trx
            .updateTable("sessions")
            .set({ title: pgText(title), updated_at: stamp() })
            .where("id", "=", id)
            .where("owner_id", "=", ownerId)
            .executeTakeFirst();
          if (numUpdatedRows === BigInt(0)) return null;
          return toSession((await sessionById(trx, ownerId, id)) as SessionRow);
        });
      },
      async delete(ownerId, id) {
        if (!validIds(id)) return false;
        // Turns and model turns go with the session (ON DELETE CASCADE); images stay (see contract.ts).
        return write("delete the session", async (trx) => {
          const { numDeletedRows } = await trx.deleteFrom("sessions").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
          return numDeletedRows > BigInt(0);
        });
      },
    },

    turns: {
      async create({ ownerId, sessionId, parentId, request }) {
        if (!validIds(sessionId)) throw new StorageError("not_found", "No such session.");
        if (parentId !== null && !validIds(parentId)) throw new StorageError("not_found", "No such parent turn in this session.");
        return write("save the turn", async (trx) => {
          // FOR SHARE: a session deleted by another instance meanwhile waits for this insert, or
          // is gone before it looks.
          const session = await trx
            .selectFrom("sessions")
            .select("id")
            .where("id", "=", sessionId)
            .where("owner_id", "=", ownerId)
            .forShare()
            .executeTakeFirst();
          if (!session) throw new StorageError("not_found", "No such session.");
          if (parentId !== null) {
            const parent = await trx.selectFrom("turns").select("session_id").where("id", "=", parentId).where("owner_id", "=", ownerId).executeTakeFirst();
            if (parent?.session_id !== sessionId) throw new StorageError("not_found", "No such parent turn in this session.");
          }
          const id = randomUUID();
          const at = stamp();
          const row = await trx
            .insertInto("turns")
            .values({
              id,
              session_id: sessionId,
              owner_id: ownerId,
              parent_id: parentId,
              created_at: at,
              updated_at: at,
              status: "queued",
              prompt: pgText(request.prompt),
              request_json: json(request),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await touchSession(trx, sessionId, at);
          return toTurn(row);
        });
      },
      async get(ownerId, id) {
        if (!validIds(id)) return null;
        return read("read the turn", async () => {
          const row = await turnById(db, ownerId, id).executeTakeFirst();
          return row ? toTurn(row) : null;
        });
      },
      async listBySession(ownerId, sessionId) {
        if (!validIds(sessionId)) return [];
        return read("read the session's turns", async () => {
          const rows = await db
            .selectFrom("turns")
            .selectAll()
            .where("session_id", "=", sessionId)
            .where("owner_id", "=", ownerId)
            .orderBy("created_at")
            .orderBy("seq")
            .execute();
          return rows.map(toTurn);
        });
      },
      async chain(ownerId, turnId) {
        if (!validIds(turnId)) return null;
        return read("read the conversation", async () => {
          const { rows } = await sql<TurnRow>`
            WITH RECURSIVE chain (id, parent_id, depth) AS (
              SELECT id, parent_id, 0 FROM turns WHERE id = ${turnId} AND owner_id = ${ownerId}
              UNION ALL
              SELECT t.id, t.parent_id, c.depth + 1 FROM turns t JOIN chain c ON t.id = c.parent_id
            )
            SELECT turns.* FROM chain JOIN turns ON turns.id = chain.id ORDER BY chain.depth DESC`.execute(db);
          return rows.length === 0 ? null : rows.map(toTurn);
        });
      },
      async update(ownerId, id, patch: TurnPatch) {
        if (!validIds(id)) throw new StorageError("not_found", "No such turn.");
        return write("save the turn", async (trx) => {
          // The row lock orders concurrent updates of one turn, from this instance or another:
          // the second sees the first's status and is checked against it.
          const row = await turnById(trx, ownerId, id).forUpdate().executeTakeFirst();
          if (!row) throw new StorageError("not_found", "No such turn.");
          const from = row.status as TurnStatus;
          if (isFinishedStatus(from)) {
            throw new StorageError("invalid_transition", `The turn has already ${from}; it can't change any more.`);
          }
          const status = patch.status ?? from;
          if (status !== from && !canTransition(from, status)) {
            throw new StorageError("invalid_transition", `A ${from} turn can't become ${status}.`);
          }
          const current = toTurn(row);
          const outcome = patch.outcome === undefined ? current.outcome : patch.outcome;
          const error = patch.error === undefined ? current.error : patch.error;
          const at = stamp();
          const updated = await trx
            .updateTable("turns")
            .set({
              status,
              outcome_json: outcome === null ? null : json(outcome),
              error_json: error === null ? null : json(error),
              attempts: patch.attempts ?? row.attempts,
              cover_image_hash: coverImageOf(status, outcome),
              updated_at: at,
            })
            .where("id", "=", id)
            .returningAll()
            .executeTakeFirstOrThrow();
          if (status !== from) await touchSession(trx, row.session_id, at);
          return toTurn(updated);
        });
      },
      async interruptRunning(error) {
        return write("mark unfinished turns as interrupted", async (trx) => {
          const errorJson = json(error);
          const active = await trx
            .selectFrom("turns")
            .select(["id", "session_id"])
            .where("status", "in", ["queued", "running"])
            .orderBy("created_at")
            .orderBy("seq")
            .forUpdate()
            .execute();
          const changed: Turn[] = [];
          for (const { id, session_id } of active) {
            const at = stamp();
            const row = await trx
              .updateTable("turns")
              .set({ status: "interrupted", error_json: errorJson, updated_at: at })
              .where("id", "=", id)
              .returningAll()
              .executeTakeFirstOrThrow();
            await touchSession(trx, session_id, at);
            changed.push(toTurn(row));
          }
          return changed;
        });
      },
    },

    modelTurns: {
      async put(ownerId, turnId, turn, known) {
        if (!validIds(ownerId, turnId)) throw new StorageError("not_found", "No such turn.");
        const exists = await read("read the turn", async () => (await turnById(db, ownerId, turnId).select("id").executeTakeFirst()) !== undefined);
        if (!exists) throw new StorageError("not_found", "No such turn.");
        // Images go to the ImageStore before the row names them, so a row never points at nothing.
        const body = JSON.stringify(await externalizeModelTurn(images, turn, known));
        await write("save the model's reply", async (trx) => {
          const at = stamp();
          await trx
            .insertInto("model_turns")
            .values({ turn_id: turnId, owner_id: ownerId, body, updated_at: at })
            .onConflict((conflict) => conflict.column("turn_id").doUpdateSet({ body, updated_at: at }))
            .execute();
        }).catch((error: unknown) => {
          // The turn was deleted (with its session) between the check and the insert.
          if ((error as { cause?: { code?: string } }).cause?.code === "23503") throw new StorageError("not_found", "No such turn.");
          throw error;
        });
      },
      async get(ownerId, turnId) {
        if (!validIds(ownerId, turnId)) return null;
        const row = await read("read the model's reply", () =>
          db.selectFrom("model_turns").select("body").where("turn_id", "=", turnId).where("owner_id", "=", ownerId).executeTakeFirst(),
        );
        return row ? inflateModelTurn(images, row.body, `of turn ${turnId}`) : null;
      },
      async delete(ownerId, turnId) {
        if (!validIds(ownerId, turnId)) return;
        await read("delete the model's reply", () =>
          db.deleteFrom("model_turns").where("turn_id", "=", turnId).where("owner_id", "=", ownerId).execute(),
        );
      },
    },

    async close() {
      await db.destroy();
    },
  };
  return storage;
}
