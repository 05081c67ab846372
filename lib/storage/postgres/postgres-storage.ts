import "server-only";

import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect, sql, type Selectable, type Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import { LRUCache } from "lru-cache";
import pg from "pg";
import type { StudioError } from "@/lib/gemini/types";
import { stringifyVerbatim } from "@/lib/json/verbatim";
import { collectImageGarbage } from "../garbage";
import type { ImageStore } from "../image-store";
import { externalizeModelTurn, inflateModelTurn } from "../model-turn-codec";
import { costOfTurn } from "../turn-cost";
import {
  DEFAULT_SESSION_LIST_LIMIT,
  MAX_SESSION_LIST_LIMIT,
  ACTIVE_TURN_STATUSES,
  StorageError,
  canTransition,
  coverImageOf,
  createTimestampClock,
  isBatchWaiting,
  isFinishedStatus,
  isStorageId,
  isValidBudgetLimit,
  imageHashesOf,
  libraryItemsOf,
  libraryLimit,
  normalizeBoardName,
  normalizeSavedPrompt,
  resultImageOf,
  type Board,
  type ResultRef,
  type SavedPrompt,
  type BudgetLimit,
  type BudgetOverride,
  type DefaultBudget,
  type LedgerRange,
  type ListSessionsOptions,
  type Session,
  type SessionShare,
  type ShareMode,
  type Storage,
  type Turn,
  type TurnCost,
  type TurnOutcome,
  type TurnPatch,
  type TurnRequest,
  type TurnStatus,
} from "../types";
import { POSTGRES_MIGRATIONS, type BoardsTable, type SavedPromptsTable, type BudgetOverridesTable, type SessionSharesTable, type StudioDatabase, type TurnsTable } from "./schema";

/**
 * Sessions, turns, model turns, the cost ledger, budgets and shares in PostgreSQL, for several studio instances sharing one team's
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
  /**
   * turns.create, with `alsoDo` in the same transaction (the shared job queue's row): both commit
   * or neither does. When `alsoDo` answers "running" (the job was claimed as it was queued), the
   * turn is recorded running in that transaction too, and returned so.
   */
  createTurnWith(
    input: Parameters<Storage["turns"]["create"]>[0],
    alsoDo: (trx: Transaction<StudioDatabase>, turn: Turn) => Promise<"running" | void>,
  ): Promise<Turn>;
  /**
   * Startup recovery with the shared job queue: turns.interruptRunning, but only for the active
   * turns the queue does not hold. A turn with a job row is the queue's: a queued job is still to
   * run (after a restart of every instance too), and a running one whose instance died is finished
   * by the queue's reaper, as interrupted once its request may have reached Google, else run again.
   */
  interruptUnqueued(error: StudioError): Promise<Turn[]>;
}

export function isPostgresStorage(storage: Storage): storage is PostgresStorage {
  return "createTurnWith" in storage && typeof storage.createTurnWith === "function";
}

type TurnRow = Selectable<TurnsTable>;
type ShareRow = Selectable<SessionSharesTable>;
type BudgetRow = Selectable<BudgetOverridesTable>;

const DEFAULT_BUDGET_KEY = "budget.default_monthly_micro_usd";

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
    cost: row.cost_json === null ? null : (JSON.parse(row.cost_json) as TurnCost),
  };
}

function toShare(row: ShareRow): SessionShare {
  return {
    sessionId: row.session_id,
    ownerId: row.owner_id,
    mode: row.mode as ShareMode,
    sharedBy: row.shared_by,
    sharedAt: row.shared_at.toISOString(),
  };
}

/** int8 and sum(int8) arrive as strings; micro-dollar figures stay well inside the safe integers. */
function microUsd(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

function toOverride(row: BudgetRow): BudgetOverride {
  return {
    ownerId: row.owner_id,
    limitMicroUsd: microUsd(row.limit_micro_usd),
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

function checkLimit(limit: unknown): asserts limit is BudgetLimit {
  if (!isValidBudgetLimit(limit)) throw new StorageError("invalid_value", "A budget is a whole number of micro-dollars, 0 or more, or no limit.");
}

function pageBounds({ limit, offset }: { limit?: number; offset?: number }): { max: number; skip: number } {
  return {
    max: Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_SESSION_LIST_LIMIT)), MAX_SESSION_LIST_LIMIT),
    skip: Math.max(0, Math.floor(offset ?? 0)),
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

/** imageHashesOf without the request's references. */
function outcomeImageHashes(outcome: TurnOutcome | null): string[] {
  if (!outcome) return [];
  const hashes = new Set(outcome.images.map((image) => image.hash));
  for (const thought of outcome.thoughts) if (thought.kind === "image") hashes.add(thought.hash);
  return [...hashes];
}

/** Ids are checked before they reach a query, so junk never costs a round trip and never errors. */
function toBoard(row: Selectable<BoardsTable> & { item_count: string | number | bigint }): Board {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    itemCount: Number(row.item_count),
  };
}

function toSavedPrompt(row: Selectable<SavedPromptsTable>): SavedPrompt {
  return { id: row.id, ownerId: row.owner_id, name: row.name, text: row.text, tags: JSON.parse(row.tags_json) as string[], createdAt: row.created_at.toISOString() };
}

/** A favourite or board item whose turn was deleted between the check and the insert. */
function isForeignKeyViolation(error: unknown): boolean {
  return (error as { cause?: { code?: string } }).cause?.code === "23503" || (error as { code?: string }).code === "23503";
}

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

/** Connections for the model turns' rows (see bulkPool): one write each, ~10-20 ms, so a few go far. */
const BULK_POOL_SIZE = 4;

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
  // The model turn's row (~1.2 MB of thought signatures at 1K) goes in through connections of its
  // own that plan every statement generically. An unnamed parameterized statement otherwise gets a
  // plan made for its values, which copies them into the plan: for this row the copies (and the page
  // faults of the fresh memory they land in) took 18-19 ms of backend CPU per row against 10-11 ms
  // with the generic plan (interleaved, same cluster), all of it between the model's last byte and
  // `done`. Not the main pool's setting: its searches and lists are better served by plans made for
  // their values. Never closed for idleness, so a generation after a quiet spell does not open one
  // on its way to `done`.
  const bulkPool = new pg.Pool({ connectionString: options.connectionString, max: BULK_POOL_SIZE, idleTimeoutMillis: 0 });
  bulkPool.on("error", () => undefined);
  bulkPool.on("connect", (client) => {
    // Queued ahead of whatever the pool hands this connection out for.
    client.query("SET plan_cache_mode = force_generic_plan").catch(() => undefined);
  });
  const bulkDb = new Kysely<StudioDatabase>({ dialect: new PostgresDialect({ pool: bulkPool }) });

  const stamp = createTimestampClock(options.now);
  const { images } = options;
  // Turn requests by turn id, for the cost a final save records (updateInOne). A request is never
  // changed once stored and ids are never reused, so an entry can't go stale; a deleted turn's
  // entry is harmless, the update that would use it finds no row.
  const requests = new LRUCache<string, TurnRequest>({ max: 2_000 });

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

  async function createTurnWith(
    { ownerId, sessionId, parentId, request }: Parameters<Storage["turns"]["create"]>[0],
    alsoDo: (trx: Transaction<StudioDatabase>, turn: Turn) => Promise<"running" | void>,
  ): Promise<Turn> {
    if (!validIds(sessionId)) throw new StorageError("not_found", "No such session.");
    if (parentId !== null && !validIds(parentId)) throw new StorageError("not_found", "No such parent turn in this session.");
    return write("save the turn", async (trx) => {
      await lockOwnedSession(trx, ownerId, sessionId);
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
      await grantImages(trx, ownerId, sessionId, { request, outcome: null });
      const turn = remember(toTurn(row));
      if ((await alsoDo(trx, turn)) !== "running") return turn;
      // queued -> running, as turns.update would make it, without its reads: the row is this
      // transaction's own.
      const running = await trx.updateTable("turns").set({ status: "running" }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
      return toTurn(running);
    });
  }

  /**
   * Marks active (queued or running) turns interrupted; with `unqueuedOnly`, only those without a
   * row in the shared job queue (studio_jobs), which the queue itself will run or finish.
   */
  async function interruptActive(error: StudioError, { unqueuedOnly }: { unqueuedOnly: boolean }): Promise<Turn[]> {
    return write("mark unfinished turns as interrupted", async (trx) => {
      const errorJson = json(error);
      let query = trx.selectFrom("turns").selectAll().where("status", "in", ["queued", "running"]);
      if (unqueuedOnly) query = query.where(sql<boolean>`NOT EXISTS (SELECT 1 FROM studio_jobs j WHERE j.turn_id = turns.id)`);
      const active = await query.orderBy("created_at").orderBy("seq").forUpdate().execute();
      const changed: Turn[] = [];
      for (const activeRow of active) {
        const turn = toTurn(activeRow);
        if (isBatchWaiting(turn)) continue;
        const at = stamp();
        // A running turn may have had usage reported before the studio stopped: it was billed.
        const cost = costOfTurn(turn.request, turn.outcome, at);
        const row = await trx
          .updateTable("turns")
          .set({
            status: "interrupted",
            error_json: errorJson,
            updated_at: at,
            cost_json: json(cost),
            cost_micro_usd: cost.microUsd,
            billed_at: cost.billedAt,
          })
          .where("id", "=", turn.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await touchSession(trx, turn.sessionId, at);
        changed.push(toTurn(row));
      }
      return changed;
    });
  }

  async function sessionById(executor: Kysely<StudioDatabase>, ownerId: string, id: string): Promise<SessionRow | undefined> {
    const { rows } = await sql<SessionRow>`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ${id} AND s.owner_id = ${ownerId}`.execute(executor);
    return rows[0];
  }

  function turnById(executor: Kysely<StudioDatabase>, ownerId: string, id: string) {
    return executor.selectFrom("turns").selectAll().where("id", "=", id).where("owner_id", "=", ownerId);
  }

  /**
   * Locks the owner's session row for the rest of the transaction, so a delete by another instance
   * waits for this write or is seen as done; StorageError "not_found" when it isn't theirs.
   *
   * FOR NO KEY UPDATE, not FOR SHARE: the writes that lock it go on to update the row
   * (touchSession), and two transactions that both hold a share lock and both want to update
   * deadlock, which PostgreSQL breaks by failing one of them: two turns started at once in one
   * session. This lock lets one wait for the other instead. It still lets foreign-key checks
   * (FOR KEY SHARE) of other writes into the session through.
   */
  async function lockOwnedSession(trx: Transaction<StudioDatabase>, ownerId: string, sessionId: string): Promise<void> {
    const session = await trx.selectFrom("sessions").select("id").where("id", "=", sessionId).where("owner_id", "=", ownerId).forNoKeyUpdate().executeTakeFirst();
    if (!session) throw new StorageError("not_found", "No such session.");
  }

  /** Lets the owner read the turn's images from now on (see ImageAccessRepository). */
  async function grantImages(trx: Transaction<StudioDatabase>, ownerId: string, sessionId: string, turn: Pick<Turn, "request" | "outcome">): Promise<void> {
    const hashes = imageHashesOf(turn);
    if (hashes.length === 0) return;
    await sql`
      INSERT INTO image_access (owner_id, hash, session_id)
      SELECT ${ownerId}, hash, ${sessionId} FROM unnest(${hashes}::text[]) AS hash
      ON CONFLICT (owner_id, hash, (coalesce(session_id, ''))) DO NOTHING`.execute(trx);
  }

  /**
   * Inside a transaction: the result must be a final image of one of the owner's succeeded turns.
   * The turn row is locked FOR SHARE, so a session delete waits until the row naming it is written.
   */
  async function checkResult(trx: Transaction<StudioDatabase>, ownerId: string, ref: ResultRef): Promise<void> {
    const row = validIds(ref.turnId) ? await turnById(trx, ownerId, ref.turnId).forShare().executeTakeFirst() : undefined;
    if (!row || !resultImageOf(toTurn(row), ref.hash)) throw new StorageError("not_found", "No such result.");
  }

  function boardsQuery(executor: Kysely<StudioDatabase>, ownerId: string) {
    return executor
      .selectFrom("boards as b")
      .selectAll("b")
      .select((eb) => eb.selectFrom("board_items as i").select(eb.fn.countAll().as("n")).whereRef("i.board_id", "=", "b.id").as("item_count"))
      .where("b.owner_id", "=", ownerId);
  }

  async function boardById(executor: Kysely<StudioDatabase>, ownerId: string, id: string): Promise<Board | null> {
    if (!validIds(id)) return null;
    const row = await boardsQuery(executor, ownerId).where("b.id", "=", id).executeTakeFirst();
    return row ? toBoard({ ...row, item_count: row.item_count ?? 0 }) : null;
  }

  async function touchSession(trx: Transaction<StudioDatabase>, sessionId: string, at: string): Promise<void> {
    await trx.updateTable("sessions").set({ updated_at: at }).where("id", "=", sessionId).execute();
  }

  function ledgerRows({ from, to, ownerId }: LedgerRange) {
    let query = db
      .selectFrom("turns")
      .where("billed_at", ">=", sql<Date>`${from}::timestamptz`)
      .where("billed_at", "<", sql<Date>`${to}::timestamptz`);
    if (ownerId !== undefined) query = query.where("owner_id", "=", ownerId);
    return query;
  }

  async function readDefaultBudget(executor: Kysely<StudioDatabase>): Promise<DefaultBudget> {
    const row = await executor.selectFrom("studio_settings").selectAll().where("key", "=", DEFAULT_BUDGET_KEY).executeTakeFirst();
    if (!row) return { limitMicroUsd: null, updatedAt: null, updatedBy: null };
    const value = JSON.parse(row.value_json) as unknown;
    return { limitMicroUsd: isValidBudgetLimit(value) ? value : null, updatedAt: row.updated_at.toISOString(), updatedBy: row.updated_by };
  }

  async function sessionList(ownerId: string, { query, ...bounds }: ListSessionsOptions): Promise<Session[]> {
    const { max, skip } = pageBounds(bounds);
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

  /** turns.update with the current row read under its lock: for a patch whose effect depends on it. */
  async function updateLocked(ownerId: string, id: string, patch: TurnPatch): Promise<Turn> {
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
      // The ledger line goes in with the final status, so no finished turn is without one.
      const cost = isFinishedStatus(status) ? costOfTurn(current.request, outcome, at) : null;
      const updated = await trx
        .updateTable("turns")
        .set({
          status,
          outcome_json: outcome === null ? null : json(outcome),
          error_json: error === null ? null : json(error),
          attempts: patch.attempts ?? row.attempts,
          cover_image_hash: coverImageOf(status, outcome),
          updated_at: at,
          cost_json: cost === null ? null : json(cost),
          cost_micro_usd: cost?.microUsd ?? null,
          billed_at: cost?.billedAt ?? null,
        })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (status !== from) await touchSession(trx, row.session_id, at);
      await grantImages(trx, ownerId, row.session_id, { request: current.request, outcome });
      return remember(toTurn(updated));
    });
  }

  /**
   * turns.update as one statement (one round trip instead of BEGIN, the row FOR UPDATE, UPDATE,
   * the session's time, the image grants and COMMIT): the runner saves each turn twice between the
   * model's last byte and `done`, and on PostgreSQL each round trip counts there.
   *
   * The transition check is the UPDATE's condition: the row is locked first (FOR UPDATE in `old`,
   * which waits for a concurrent writer and then sees its status), and changed only when its status
   * may become the new one, so of two instances moving one turn the second is checked against the
   * first's result, as under updateLocked. The patch holds everything the write computes from
   * (this path is not taken for a final status without a new outcome), except the turn's request,
   * which the cost needs: it never changes, so it comes from `requests` or one plain read.
   *
   * Image grants: only the new outcome's. The request's images were granted when the turn was
   * made (create, copyChain) and an earlier outcome's when it was saved; image_access rows are only
   * ever moved to another owner with the turns (reassignOwner), never deleted.
   */
  async function updateInOne(ownerId: string, id: string, patch: TurnPatch): Promise<Turn> {
    const to = patch.status;
    const final = to !== undefined && isFinishedStatus(to);
    const request = final ? await requestOf(ownerId, id) : null;
    if (final && !request) throw new StorageError("not_found", "No such turn.");
    const at = stamp();
    const outcome = patch.outcome ?? null;
    const cost = final && request ? costOfTurn(request, outcome, at) : null;
    const allowedFrom = ACTIVE_TURN_STATUSES.filter((from) => to === undefined || from === to || canTransition(from, to));
    const hashes = outcomeImageHashes(outcome);
    const { rows } = await read("save the turn", () =>
      sql<TurnRow & { old_status: string; from_status: string | null }>`
        WITH old AS (
          SELECT id, status FROM turns WHERE id = ${id} AND owner_id = ${ownerId} FOR UPDATE
        ), updated AS (
          UPDATE turns t SET
            status = coalesce(${to ?? null}::text, old.status),
            outcome_json = CASE WHEN ${patch.outcome !== undefined}::boolean THEN ${outcome === null ? null : json(outcome)}::text ELSE t.outcome_json END,
            error_json = CASE WHEN ${patch.error !== undefined}::boolean THEN ${patch.error ? json(patch.error) : null}::text ELSE t.error_json END,
            attempts = coalesce(${patch.attempts ?? null}::int, t.attempts),
            cover_image_hash = ${to === undefined ? null : coverImageOf(to, outcome)}::text,
            updated_at = ${at}::timestamptz,
            cost_json = ${cost === null ? null : json(cost)}::text,
            cost_micro_usd = ${cost?.microUsd ?? null}::bigint,
            billed_at = ${cost?.billedAt ?? null}::timestamptz
          FROM old
          WHERE t.id = old.id AND old.status = ANY(${allowedFrom}::text[])
          RETURNING t.*, old.status AS from_status
        ), touched AS (
          UPDATE sessions s SET updated_at = ${at}::timestamptz FROM updated u WHERE s.id = u.session_id AND u.status <> u.from_status
        ), granted AS (
          INSERT INTO image_access (owner_id, hash, session_id)
          SELECT ${ownerId}, hash, u.session_id FROM updated u, unnest(${hashes}::text[]) AS hash
          ON CONFLICT (owner_id, hash, (coalesce(session_id, ''))) DO NOTHING
        )
        SELECT u.*, old.status AS old_status FROM old LEFT JOIN updated u ON true`.execute(db),
    );
    const row = rows[0];
    if (!row) throw new StorageError("not_found", "No such turn.");
    if (row.from_status === null) {
      const from = row.old_status as TurnStatus;
      if (isFinishedStatus(from)) throw new StorageError("invalid_transition", `The turn has already ${from}; it can't change any more.`);
      throw new StorageError("invalid_transition", `A ${from} turn can't become ${to ?? from}.`);
    }
    return remember(toTurn(row));
  }

  /** The turn's request, which never changes: remembered from the turns this instance saw, else read. */
  async function requestOf(ownerId: string, id: string): Promise<TurnRequest | null> {
    const known = requests.get(id);
    if (known) return known;
    const row = await read("read the turn", () => db.selectFrom("turns").select("request_json").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst());
    if (!row) return null;
    const request = JSON.parse(row.request_json) as TurnRequest;
    requests.set(id, request);
    return request;
  }

  function remember(turn: Turn): Turn {
    requests.set(turn.id, turn.request);
    return turn;
  }

  const storage: PostgresStorage = {
    db,
    createTurnWith,
    interruptUnqueued: (error) => interruptActive(error, { unqueuedOnly: true }),
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
      async create(input) {
        return createTurnWith(input, async () => undefined);
      },
      async get(ownerId, id) {
        if (!validIds(id)) return null;
        return read("read the turn", async () => {
          const row = await turnById(db, ownerId, id).executeTakeFirst();
          return row ? remember(toTurn(row)) : null;
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
        // A final status without a new outcome bills what the row holds now, which only a read
        // under the row lock can know: the cancel and interrupt paths, not the runner's saves.
        if (patch.status !== undefined && isFinishedStatus(patch.status) && patch.outcome === undefined) return updateLocked(ownerId, id, patch);
        return updateInOne(ownerId, id, patch);
      },
      interruptRunning: (error) => interruptActive(error, { unqueuedOnly: false }),
      async listBatchWaiting() {
        const rows = await db.selectFrom("turns").selectAll().where("status", "in", ["queued", "running"]).orderBy("created_at").orderBy("seq").execute();
        return rows.map(toTurn).filter(isBatchWaiting);
      },
      async copyChain({ from, to }) {
        if (!validIds(from.turnId)) throw new StorageError("not_found", "No such turn.");
        if (!validIds(to.sessionId)) throw new StorageError("not_found", "No such session.");
        // One transaction for the rows and their model turns (both are rows here), so a copy is
        // whole or absent. FOR SHARE on the originals, a lock on the target session: a concurrent delete
        // of either waits for the copy, or is done before it looks.
        return write("copy the conversation", async (trx) => {
          const { rows } = await sql<TurnRow>`
            WITH RECURSIVE chain (id, parent_id, depth) AS (
              SELECT id, parent_id, 0 FROM turns WHERE id = ${from.turnId} AND owner_id = ${from.ownerId}
              UNION ALL
              SELECT t.id, t.parent_id, c.depth + 1 FROM turns t JOIN chain c ON t.id = c.parent_id
            )
            SELECT turns.* FROM chain JOIN turns ON turns.id = chain.id ORDER BY chain.depth DESC FOR SHARE OF turns`.execute(trx);
          if (rows.length === 0) throw new StorageError("not_found", "No such turn.");
          await lockOwnedSession(trx, to.ownerId, to.sessionId);
          if (rows.some((row) => !isFinishedStatus(row.status as TurnStatus))) {
            throw new StorageError("invalid_transition", "Only a finished turn can be continued.");
          }
          const copies: Turn[] = [];
          let parentId: string | null = null;
          for (const row of rows) {
            const id = randomUUID();
            const at = stamp();
            // No cost columns: the original turn was billed, and the copy must not count twice.
            const copy = await trx
              .insertInto("turns")
              .values({
                id,
                session_id: to.sessionId,
                owner_id: to.ownerId,
                parent_id: parentId,
                created_at: at,
                updated_at: at,
                status: row.status,
                prompt: row.prompt,
                request_json: row.request_json,
                outcome_json: row.outcome_json,
                error_json: row.error_json,
                attempts: row.attempts,
                cover_image_hash: row.cover_image_hash,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
            // The body names its images by hash, and the ImageStore is shared: the text copies as is.
            await trx
              .insertInto("model_turns")
              .columns(["turn_id", "owner_id", "body", "updated_at"])
              .expression(
                trx
                  .selectFrom("model_turns")
                  .select([
                    sql<string>`${id}::text`.as("turn_id"),
                    sql<string>`${to.ownerId}::text`.as("owner_id"),
                    "body",
                    sql<Date>`${at}::timestamptz`.as("updated_at"),
                  ])
                  .where("turn_id", "=", row.id)
                  .where("owner_id", "=", from.ownerId),
              )
              .execute();
            await touchSession(trx, to.sessionId, at);
            // The new owner may read every image of the copied chain, as of any turn of theirs.
            const copied = toTurn(copy);
            await grantImages(trx, to.ownerId, to.sessionId, copied);
            copies.push(copied);
            parentId = id;
          }
          return copies;
        });
      },
    },

    ledger: {
      async entries(range) {
        return read("read the cost ledger", async () => {
          const rows = await ledgerRows(range).selectAll().orderBy("billed_at").orderBy("seq").execute();
          return rows.map((row) => {
            const turn = toTurn(row);
            return { turnId: turn.id, sessionId: turn.sessionId, ownerId: turn.ownerId, status: turn.status, cost: turn.cost as TurnCost };
          });
        });
      },
      async spent(range) {
        return read("read the cost ledger", async () => {
          const row = await ledgerRows(range)
            .select(sql<string>`coalesce(sum(cost_micro_usd), 0)`.as("spent"))
            .executeTakeFirstOrThrow();
          return Number(row.spent);
        });
      },
      async activeRequests(ownerId) {
        return read("read the running turns", async () => {
          const rows = await db
            .selectFrom("turns")
            .select("request_json")
            .where("owner_id", "=", ownerId)
            .where("status", "in", ["queued", "running"])
            .orderBy("created_at")
            .orderBy("seq")
            .execute();
          return rows.map((row) => JSON.parse(row.request_json) as TurnRequest);
        });
      },
    },

    budgets: {
      async standing(ownerId, { from, to }) {
        // One statement for what budgetStatus read as four (each a round trip, and a connection
        // of the pool while the four ran side by side), before every start.
        return read("read the budget", async () => {
          const { rows } = await sql<{ has_override: boolean; override_limit: string | null; default_json: string | null; spent: string; active: string[] }>`
            SELECT
              o.owner_id IS NOT NULL AS has_override,
              o.limit_micro_usd AS override_limit,
              (SELECT value_json FROM studio_settings WHERE key = ${DEFAULT_BUDGET_KEY}) AS default_json,
              (SELECT coalesce(sum(cost_micro_usd), 0) FROM turns
                 WHERE owner_id = ${ownerId} AND billed_at >= ${from}::timestamptz AND billed_at < ${to}::timestamptz) AS spent,
              (SELECT coalesce(array_agg(request_json ORDER BY created_at, seq), '{}') FROM turns
                 WHERE owner_id = ${ownerId} AND status IN ('queued', 'running')) AS active
            FROM (SELECT 1) AS one LEFT JOIN budget_overrides o ON o.owner_id = ${ownerId}`.execute(db);
          const row = rows[0];
          if (!row) throw new StorageError("storage_failed", "The budget query returned no row.");
          const fallback = row.default_json === null ? null : (JSON.parse(row.default_json) as unknown);
          return {
            limitMicroUsd: row.has_override ? microUsd(row.override_limit) : isValidBudgetLimit(fallback) ? fallback : null,
            source: row.has_override ? "override" : "default",
            spentMicroUsd: Number(row.spent),
            activeRequests: row.active.map((json) => JSON.parse(json) as TurnRequest),
          };
        });
      },
      async getDefault() {
        return read("read the default budget", () => readDefaultBudget(db));
      },
      async setDefault(limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        return write("save the default budget", async (trx) => {
          const at = stamp();
          const value = json(limitMicroUsd);
          await trx
            .insertInto("studio_settings")
            .values({ key: DEFAULT_BUDGET_KEY, value_json: value, updated_at: at, updated_by: by })
            .onConflict((conflict) => conflict.column("key").doUpdateSet({ value_json: value, updated_at: at, updated_by: by }))
            .execute();
          return readDefaultBudget(trx);
        });
      },
      async getOverride(ownerId) {
        return read("read the budget", async () => {
          const row = await db.selectFrom("budget_overrides").selectAll().where("owner_id", "=", ownerId).executeTakeFirst();
          return row ? toOverride(row) : null;
        });
      },
      async listOverrides() {
        return read("read the budgets", async () => {
          const rows = await db.selectFrom("budget_overrides").selectAll().orderBy("owner_id").execute();
          return rows.map(toOverride);
        });
      },
      async setOverride(ownerId, limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        return write("save the budget", async (trx) => {
          const at = stamp();
          const row = await trx
            .insertInto("budget_overrides")
            .values({ owner_id: ownerId, limit_micro_usd: limitMicroUsd, updated_at: at, updated_by: by })
            .onConflict((conflict) => conflict.column("owner_id").doUpdateSet({ limit_micro_usd: limitMicroUsd, updated_at: at, updated_by: by }))
            .returningAll()
            .executeTakeFirstOrThrow();
          return toOverride(row);
        });
      },
      async clearOverride(ownerId) {
        return write("remove the budget", async (trx) => {
          const { numDeletedRows } = await trx.deleteFrom("budget_overrides").where("owner_id", "=", ownerId).executeTakeFirst();
          return numDeletedRows > BigInt(0);
        });
      },
    },

    shares: {
      async set(ownerId, sessionId, mode) {
        if (mode !== "view" && mode !== "continue") throw new StorageError("invalid_value", "A share is view-only or can-continue.");
        if (!validIds(sessionId)) throw new StorageError("not_found", "No such session.");
        return write("share the session", async (trx) => {
          await lockOwnedSession(trx, ownerId, sessionId);
          const at = stamp();
          const row = await trx
            .insertInto("session_shares")
            .values({ session_id: sessionId, owner_id: ownerId, mode, shared_by: ownerId, shared_at: at })
            .onConflict((conflict) => conflict.column("session_id").doUpdateSet({ mode, shared_by: ownerId, shared_at: at }))
            .returningAll()
            .executeTakeFirstOrThrow();
          return toShare(row);
        });
      },
      async remove(ownerId, sessionId) {
        if (!validIds(sessionId)) return false;
        return write("stop sharing the session", async (trx) => {
          const { numDeletedRows } = await trx
            .deleteFrom("session_shares")
            .where("session_id", "=", sessionId)
            .where("owner_id", "=", ownerId)
            .executeTakeFirst();
          return numDeletedRows > BigInt(0);
        });
      },
      async get(sessionId) {
        if (!validIds(sessionId)) return null;
        return read("read the share", async () => {
          const row = await db.selectFrom("session_shares").selectAll().where("session_id", "=", sessionId).executeTakeFirst();
          return row ? toShare(row) : null;
        });
      },
      async list(options = {}) {
        const { max, skip } = pageBounds(options);
        return read("list shared sessions", async () => {
          // As in the session list: the page first, then the per-session columns for its rows only.
          const { rows } = await sql<SessionRow & { share_mode: string; shared_by: string; shared_at: Date }>`
            SELECT ${SESSION_COLUMNS}, s.share_mode, s.shared_by, s.shared_at
            FROM (
              SELECT s.*, sh.mode AS share_mode, sh.shared_by, sh.shared_at
              FROM session_shares sh JOIN sessions s ON s.id = sh.session_id
              ORDER BY s.updated_at DESC, s.seq DESC LIMIT ${max} OFFSET ${skip}
            ) s
            ORDER BY s.updated_at DESC, s.seq DESC`.execute(db);
          return rows.map((row) => ({
            session: toSession(row),
            share: toShare({ session_id: row.id, owner_id: row.owner_id, mode: row.share_mode, shared_by: row.shared_by, shared_at: row.shared_at }),
          }));
        });
      },
    },

    modelTurns: {
      async put(ownerId, turnId, turn, known) {
        if (!validIds(ownerId, turnId)) throw new StorageError("not_found", "No such turn.");
        // Images go to the ImageStore before the row names them, so a row never points at nothing.
        const body = stringifyVerbatim(await externalizeModelTurn(images, turn, known));
        // One statement, no transaction around it: this sits between the model's last byte and the
        // turn's `done`, and each round trip to the database counts there. The foreign key on
        // (turn_id, owner_id) is the check that the turn exists and is the owner's.
        const at = stamp();
        const saved = await read("save the model's reply", () =>
          bulkDb
            .insertInto("model_turns")
            .values({ turn_id: turnId, owner_id: ownerId, body, updated_at: at })
            // Another owner's row for this turn id is left alone (and reported as no such turn).
            .onConflict((conflict) =>
              conflict
                .column("turn_id")
                .doUpdateSet((eb) => ({ body: eb.ref("excluded.body"), updated_at: eb.ref("excluded.updated_at") }))
                .where("model_turns.owner_id", "=", ownerId),
            )
            .executeTakeFirst(),
        ).catch((error: unknown) => {
          if ((error as { cause?: { code?: string } }).cause?.code === "23503") throw new StorageError("not_found", "No such turn.");
          throw error;
        });
        if (!saved.numInsertedOrUpdatedRows) throw new StorageError("not_found", "No such turn.");
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

    library: {
      async list(ownerId, options = {}) {
        const limit = libraryLimit(options.limit);
        return read("list the library", async () => {
          const turns = await db
            .selectFrom("turns as t")
            .innerJoin("sessions as s", "s.id", "t.session_id")
            .selectAll("t")
            .select("s.title as session_title")
            .where("t.owner_id", "=", ownerId)
            .where("t.status", "=", "succeeded")
            .orderBy("t.created_at", "desc")
            .orderBy("t.seq", "desc")
            .limit(limit)
            .execute();
          const favourites = await db.selectFrom("favourites").select(["turn_id", "hash"]).where("owner_id", "=", ownerId).execute();
          const items = await db
            .selectFrom("board_items as i")
            .innerJoin("boards as b", "b.id", "i.board_id")
            .select(["i.board_id", "i.turn_id", "i.hash"])
            .where("b.owner_id", "=", ownerId)
            .execute();
          return libraryItemsOf(
            turns.map((row) => ({ turn: toTurn(row), sessionTitle: row.session_title })),
            favourites.map((row) => ({ turnId: row.turn_id, hash: row.hash })),
            items.map((row) => ({ boardId: row.board_id, turnId: row.turn_id, hash: row.hash })),
            limit,
          );
        });
      },
      async setFavourite(ownerId, ref, favourite) {
        await write(favourite ? "star the result" : "unstar the result", async (trx) => {
          await checkResult(trx, ownerId, ref);
          if (favourite) {
            await trx
              .insertInto("favourites")
              .values({ owner_id: ownerId, turn_id: ref.turnId, hash: ref.hash, created_at: stamp() })
              .onConflict((conflict) => conflict.doNothing())
              .execute();
          } else {
            await trx.deleteFrom("favourites").where("owner_id", "=", ownerId).where("turn_id", "=", ref.turnId).where("hash", "=", ref.hash).execute();
          }
        });
      },
      async stateOf(ownerId, ref) {
        return read("read a result's favourite and boards", async () => {
          const [favourite, boards] = await Promise.all([
            db.selectFrom("favourites").select("turn_id").where("owner_id", "=", ownerId).where("turn_id", "=", ref.turnId).where("hash", "=", ref.hash).executeTakeFirst(),
            db
              .selectFrom("board_items as i")
              .innerJoin("boards as b", "b.id", "i.board_id")
              .select("i.board_id")
              .where("b.owner_id", "=", ownerId)
              .where("i.turn_id", "=", ref.turnId)
              .where("i.hash", "=", ref.hash)
              .orderBy("i.board_id")
              .execute(),
          ]);
          return { favourite: favourite !== undefined, boardIds: boards.map((row) => row.board_id) };
        });
      },
    },

    boards: {
      async create(ownerId, name) {
        const clean = normalizeBoardName(name);
        return write("create the board", async (trx) => {
          const id = randomUUID();
          const at = stamp();
          await trx.insertInto("boards").values({ id, owner_id: ownerId, name: clean, created_at: at, updated_at: at }).execute();
          return (await boardById(trx, ownerId, id)) as Board;
        });
      },
      async list(ownerId) {
        return read("list the boards", async () => {
          const rows = await boardsQuery(db, ownerId).orderBy(sql`lower(b.name)`).orderBy("b.created_at").execute();
          return rows.map((row) => toBoard({ ...row, item_count: row.item_count ?? 0 }));
        });
      },
      async get(ownerId, id) {
        return read("read the board", () => boardById(db, ownerId, id));
      },
      async rename(ownerId, id, name) {
        const clean = normalizeBoardName(name);
        if (!validIds(id)) return null;
        return write("rename the board", async (trx) => {
          const result = await trx.updateTable("boards").set({ name: clean, updated_at: stamp() }).where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
          return result.numUpdatedRows > 0n ? boardById(trx, ownerId, id) : null;
        });
      },
      async delete(ownerId, id) {
        if (!validIds(id)) return false;
        return write("delete the board", async (trx) => {
          const result = await trx.deleteFrom("boards").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
          return result.numDeletedRows > 0n;
        });
      },
      async addItem(ownerId, boardId, ref) {
        if (!validIds(boardId)) throw new StorageError("not_found", "No such board.");
        await write("add to the board", async (trx) => {
          const board = await trx.selectFrom("boards").select("id").where("id", "=", boardId).where("owner_id", "=", ownerId).forUpdate().executeTakeFirst();
          if (!board) throw new StorageError("not_found", "No such board.");
          await checkResult(trx, ownerId, ref);
          const inserted = await trx
            .insertInto("board_items")
            .values({ board_id: boardId, turn_id: ref.turnId, hash: ref.hash, added_at: stamp() })
            .onConflict((conflict) => conflict.doNothing())
            .executeTakeFirst();
          if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) await trx.updateTable("boards").set({ updated_at: stamp() }).where("id", "=", boardId).execute();
        }).catch((error: unknown) => {
          if (isForeignKeyViolation(error)) throw new StorageError("not_found", "No such result.");
          throw error;
        });
      },
      async removeItem(ownerId, boardId, ref) {
        if (!validIds(boardId)) return false;
        return write("remove from the board", async (trx) => {
          const board = await trx.selectFrom("boards").select("id").where("id", "=", boardId).where("owner_id", "=", ownerId).forUpdate().executeTakeFirst();
          if (!board) return false;
          const result = await trx.deleteFrom("board_items").where("board_id", "=", boardId).where("turn_id", "=", ref.turnId).where("hash", "=", ref.hash).executeTakeFirst();
          if (result.numDeletedRows === 0n) return false;
          await trx.updateTable("boards").set({ updated_at: stamp() }).where("id", "=", boardId).execute();
          return true;
        });
      },
    },

    prompts: {
      async create(ownerId, input) {
        const clean = normalizeSavedPrompt(input);
        return write("save the prompt", async (trx) => {
          const row = await trx
            .insertInto("saved_prompts")
            .values({ id: randomUUID(), owner_id: ownerId, name: clean.name, text: clean.text, tags_json: JSON.stringify(clean.tags), created_at: stamp() })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toSavedPrompt(row);
        });
      },
      async list(ownerId) {
        return read("list the saved prompts", async () => {
          const rows = await db.selectFrom("saved_prompts").selectAll().where("owner_id", "=", ownerId).orderBy("created_at", "desc").orderBy("id").execute();
          return rows.map(toSavedPrompt);
        });
      },
      async delete(ownerId, id) {
        if (!validIds(id)) return false;
        return write("delete the saved prompt", async (trx) => {
          const result = await trx.deleteFrom("saved_prompts").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
          return result.numDeletedRows > 0n;
        });
      },
    },

    imageAccess: {
      async recordUpload(ownerId, hash) {
        await write("record the upload", async (trx) => {
          await sql`
            INSERT INTO image_access (owner_id, hash, session_id) VALUES (${ownerId}, ${hash}, NULL)
            ON CONFLICT (owner_id, hash, (coalesce(session_id, ''))) DO NOTHING`.execute(trx);
        });
      },
      async canRead(ownerId, hash) {
        return read("check access to the image", async () => {
          const row = await db.selectFrom("image_access").select("hash").where("owner_id", "=", ownerId).where("hash", "=", hash).limit(1).executeTakeFirst();
          return row !== undefined;
        });
      },
      async sessionsWith(hash) {
        return read("find the image's sessions", async () => {
          const rows = await db
            .selectFrom("image_access")
            .select(["session_id", "owner_id"])
            .distinct()
            .where("hash", "=", hash)
            .where("session_id", "is not", null)
            .execute();
          return rows.map((row) => ({ sessionId: row.session_id ?? "", ownerId: row.owner_id }));
        });
      },
    },

    async reassignOwner(from, to) {
      return write("reassign the sessions", async (trx) => {
        // The rows tying turns, model replies and shares to their session's owner are checked at
        // commit (the keys are DEFERRABLE since 0004), when every table names the new owner.
        await sql`SET CONSTRAINTS ALL DEFERRED`.execute(trx);
        const moved = await trx.updateTable("sessions").set({ owner_id: to }).where("owner_id", "=", from).executeTakeFirst();
        await trx.updateTable("turns").set({ owner_id: to }).where("owner_id", "=", from).execute();
        await trx.updateTable("model_turns").set({ owner_id: to }).where("owner_id", "=", from).execute();
        await trx.updateTable("session_shares").set({ owner_id: to }).where("owner_id", "=", from).execute();
        await trx.updateTable("session_shares").set({ shared_by: to }).where("shared_by", "=", from).execute();
        await sql`
          UPDATE budget_overrides SET owner_id = ${to}
          WHERE owner_id = ${from} AND NOT EXISTS (SELECT 1 FROM budget_overrides b WHERE b.owner_id = ${to})`.execute(trx);
        await trx.deleteFrom("budget_overrides").where("owner_id", "=", from).execute();
        await sql`
          UPDATE image_access a SET owner_id = ${to}
          WHERE a.owner_id = ${from} AND NOT EXISTS (
            SELECT 1 FROM image_access b
            WHERE b.owner_id = ${to} AND b.hash = a.hash AND coalesce(b.session_id, '') = coalesce(a.session_id, ''))`.execute(trx);
        await trx.deleteFrom("image_access").where("owner_id", "=", from).execute();
        await trx.updateTable("favourites").set({ owner_id: to }).where("owner_id", "=", from).execute();
        await trx.updateTable("boards").set({ owner_id: to }).where("owner_id", "=", from).execute();
        await trx.updateTable("saved_prompts").set({ owner_id: to }).where("owner_id", "=", from).execute();
        return Number(moved.numUpdatedRows);
      });
    },

    async collectGarbage(options) {
      return collectImageGarbage(images, () => read("list the images in use", () => referencedImages(db)), options);
    },

    async ping() {
      await sql`SELECT 1`.execute(db);
    },

    async close() {
      await Promise.all([db.destroy(), bulkDb.destroy()]);
    },
  };
  return storage;
}

/**
 * Every image a turn uses, as lib/storage/garbage.ts imagesOfTurns reads them, done by PostgreSQL;
 * plus the images a model turn's parts point at (model-turn-codec.ts), which are the same ones in
 * practice but would make a continued conversation unreadable if one were missing.
 *
 * PostgreSQL's JSON functions refuse a document holding the escape \u0000 (a model's text may),
 * so it is swapped for \ufffd first. The swap keeps the JSON valid wherever the six characters
 * stand (after an escaped backslash they become literal text), and no hash contains them.
 */
async function referencedImages(db: Kysely<StudioDatabase>): Promise<Set<string>> {
  const nul = "\\u0000";
  const replacement = "\\ufffd";
  const doc = (column: string) => sql`replace(${sql.ref(column)}, ${nul}, ${replacement})::json`;
  const { rows } = await sql<{ hash: string | null }>`
    SELECT r->>'hash' AS hash FROM turns t, json_array_elements(${doc("t.request_json")}->'references') r
    UNION SELECT i->>'hash' FROM turns t, json_array_elements(${doc("t.outcome_json")}->'images') i
    UNION SELECT th->>'hash' FROM turns t, json_array_elements(${doc("t.outcome_json")}->'thoughts') th WHERE th->>'kind' = 'image'
    UNION SELECT e->>1 FROM model_turns m, json_array_elements(${doc("m.body")}->'external') e`.execute(db);
  return new Set(rows.flatMap((row) => (row.hash ? [row.hash] : [])));
}
