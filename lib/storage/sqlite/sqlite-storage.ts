import "server-only";

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { StudioError } from "@/lib/gemini/types";
import { collectImageGarbage } from "../garbage";
import { createFileImageStore, describeWriteFailure, type ImageStore } from "../image-store";
import { costOfTurn } from "../turn-cost";
import {
  DEFAULT_SESSION_LIST_LIMIT,
  MAX_SESSION_LIST_LIMIT,
  StorageError,
  canTransition,
  coverImageOf,
  createTimestampClock,
  imageHashesOf,
  isFinishedStatus,
  isBatchWaiting,
  isStorageId,
  isValidBudgetLimit,
  libraryItemsOf,
  libraryLimit,
  normalizeBoardName,
  normalizeSavedPrompt,
  resultImageOf,
  type Board,
  type BudgetLimit,
  type ResultRef,
  type SavedPrompt,
  type BudgetOverride,
  type BudgetStanding,
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
import { MIGRATIONS, SchemaTooNewError, runMigrations, type Migration } from "./migrations";
import { createModelTurnFiles } from "./model-turn-files";

/**
 * The embedded default: one SQLite file (WAL) for sessions and turns, image and model-turn files
 * beside it under the data directory. Nothing to install or start.
 *
 * better-sqlite3 is synchronous; each method does its work in one short transaction and returns a
 * settled promise, which keeps the async Storage interface that networked backends need.
 */

export interface SqliteStorageOptions {
  dataDir: string;
  /** Default `${dataDir}/studio.db`. */
  databaseFile?: string;
  now?: () => Date;
  images?: ImageStore;
  /** For tests of the migration runner. */
  migrations?: readonly Migration[];
}

export interface SqliteStorage extends Storage {
  /** The open database, for tests and diagnostics; app code goes through the repositories. */
  readonly database: Database.Database;
  readonly databaseFile: string;
}

interface SessionRow {
  seq: number;
  id: string;
  owner_id: string;
  title: string;
  created_at: string;
  updated_at: string;
  turn_count: number;
  last_prompt: string | null;
  cover_image_hash: string | null;
}

interface TurnRow {
  seq: number;
  id: string;
  session_id: string;
  owner_id: string;
  parent_id: string | null;
  created_at: string;
  updated_at: string;
  status: TurnStatus;
  prompt: string;
  request_json: string;
  outcome_json: string | null;
  error_json: string | null;
  attempts: number;
  cover_image_hash: string | null;
  cost_json: string | null;
  cost_micro_usd: number | null;
  billed_at: string | null;
}

interface ShareRow {
  session_id: string;
  owner_id: string;
  mode: ShareMode;
  shared_by: string;
  shared_at: string;
}

interface BudgetRow {
  owner_id: string;
  limit_micro_usd: number | null;
  updated_at: string;
  updated_by: string;
}

interface BoardRow {
  id: string;
  owner_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  item_count: number;
}

interface SavedPromptRow {
  id: string;
  owner_id: string;
  name: string;
  text: string;
  tags_json: string;
  created_at: string;
}

function toBoard(row: BoardRow): Board {
  return { id: row.id, ownerId: row.owner_id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at, itemCount: row.item_count };
}

function toSavedPrompt(row: SavedPromptRow): SavedPrompt {
  return { id: row.id, ownerId: row.owner_id, name: row.name, text: row.text, tags: JSON.parse(row.tags_json) as string[], createdAt: row.created_at };
}

const BOARD_COLUMNS = "b.*, (SELECT count(*) FROM board_items i WHERE i.board_id = b.id) AS item_count";

const DEFAULT_BUDGET_KEY = "budget.default_monthly_micro_usd";

const SESSION_COLUMNS = `
  s.seq, s.id, s.owner_id, s.title, s.created_at, s.updated_at,
  (SELECT count(*) FROM turns t WHERE t.session_id = s.id) AS turn_count,
  (SELECT t.prompt FROM turns t WHERE t.session_id = s.id ORDER BY t.created_at DESC, t.seq DESC LIMIT 1) AS last_prompt,
  (SELECT t.cover_image_hash FROM turns t
     WHERE t.session_id = s.id AND t.cover_image_hash IS NOT NULL
     ORDER BY t.created_at DESC, t.seq DESC LIMIT 1) AS cover_image_hash`;

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    ownerId: row.owner_id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    request: JSON.parse(row.request_json) as TurnRequest,
    outcome: row.outcome_json === null ? null : (JSON.parse(row.outcome_json) as TurnOutcome),
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as StudioError),
    attempts: row.attempts,
    cost: row.cost_json === null ? null : (JSON.parse(row.cost_json) as TurnCost),
  };
}

function toShare(row: ShareRow): SessionShare {
  return { sessionId: row.session_id, ownerId: row.owner_id, mode: row.mode, sharedBy: row.shared_by, sharedAt: row.shared_at };
}

function toOverride(row: BudgetRow): BudgetOverride {
  return { ownerId: row.owner_id, limitMicroUsd: row.limit_micro_usd, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

function checkLimit(limit: unknown): asserts limit is BudgetLimit {
  if (!isValidBudgetLimit(limit)) throw new StorageError("invalid_value", "A budget is a whole number of micro-dollars, 0 or more, or no limit.");
}

function json(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new StorageError("storage_failed", "A value to save is not JSON.");
  return text;
}

/** LIKE with `%`, `_` and the escape character taken literally. */
function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** One FTS5 phrase: double quotes inside are doubled, everything else is literal. */
function ftsPhrase(query: string): string {
  return `"${query.replace(/"/g, '""')}"`;
}

/** SQLite's errors, in words an operator can act on, as StorageError "storage_failed". */
function storageFailure(error: unknown, databaseFile: string, doing: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqliteCode = typeof code === "string" ? code : "";
  let reason: string;
  if (error instanceof SchemaTooNewError) reason = error.message;
  else if (sqliteCode === "SQLITE_FULL") reason = `the disk holding ${databaseFile} is full`;
  else if (sqliteCode.startsWith("SQLITE_READONLY")) reason = `${databaseFile} is read-only for the studio`;
  else if (sqliteCode.startsWith("SQLITE_CANTOPEN")) reason = `${databaseFile} can't be opened: check that its directory exists and is writable`;
  else if (sqliteCode.startsWith("SQLITE_BUSY")) reason = `${databaseFile} is locked by another process`;
  else if (sqliteCode.startsWith("SQLITE_CORRUPT") || sqliteCode === "SQLITE_NOTADB") reason = `${databaseFile} is damaged or not a studio database`;
  else if (sqliteCode.startsWith("SQLITE_IOERR")) reason = `reading or writing ${databaseFile} failed (${sqliteCode})`;
  else reason = error instanceof Error ? error.message : String(error);
  return new StorageError("storage_failed", `Could not ${doing}: ${reason}.`, { cause: error });
}

export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const { dataDir } = options;
  const databaseFile = options.databaseFile ?? path.join(dataDir, "studio.db");
  try {
    mkdirSync(path.dirname(databaseFile), { recursive: true });
  } catch (error) {
    throw new StorageError("storage_failed", `Could not open the studio database: ${describeWriteFailure(error, path.dirname(databaseFile))}.`, {
      cause: error,
    });
  }

  let db: Database.Database;
  try {
    db = new Database(databaseFile);
  } catch (error) {
    throw storageFailure(error, databaseFile, "open the studio database");
  }
  const stamp = createTimestampClock(options.now);
  try {
    // WAL lets readers (page loads, SSE) run while a job writes; NORMAL sync is safe with WAL
    // (a power cut may lose the last commits, never corrupt the file).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    runMigrations(db, options.migrations ?? MIGRATIONS, stamp);
  } catch (error) {
    db.close();
    throw storageFailure(error, databaseFile, "prepare the studio database");
  }

  const images = options.images ?? createFileImageStore(dataDir);
  const files = createModelTurnFiles(dataDir, images);

  /** Runs `work` in one transaction and turns SQLite's errors into StorageError. */
  function write<T>(doing: string, work: () => T): T {
    try {
      return db.transaction(work).immediate();
    } catch (error) {
      throw storageFailure(error, databaseFile, doing);
    }
  }
  function read<T>(doing: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storageFailure(error, databaseFile, doing);
    }
  }

  const statements = {
    sessionById: db.prepare<[string, string], SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.id = ? AND s.owner_id = ?`),
    insertSession: db.prepare(
      "INSERT INTO sessions (id, owner_id, title, created_at, updated_at) VALUES (@id, @ownerId, @title, @at, @at)",
    ),
    renameSession: db.prepare("UPDATE sessions SET title = ?, updated_at = ? WHERE id = ? AND owner_id = ?"),
    touchSession: db.prepare("UPDATE sessions SET updated_at = ? WHERE id = ?"),
    deleteSession: db.prepare("DELETE FROM sessions WHERE id = ? AND owner_id = ?"),
    turnIdsOfSession: db.prepare<[string], { id: string }>("SELECT id FROM turns WHERE session_id = ?"),
    turnById: db.prepare<[string, string], TurnRow>("SELECT * FROM turns WHERE id = ? AND owner_id = ?"),
    turnsBySession: db.prepare<[string, string], TurnRow>(
      "SELECT * FROM turns WHERE session_id = ? AND owner_id = ? ORDER BY created_at, seq",
    ),
    chain: db.prepare<[string, string], TurnRow>(`
      WITH RECURSIVE chain (id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM turns WHERE id = ? AND owner_id = ?
        UNION ALL
        SELECT t.id, t.parent_id, c.depth + 1 FROM turns t JOIN chain c ON t.id = c.parent_id
      )
      SELECT turns.* FROM chain JOIN turns ON turns.id = chain.id ORDER BY chain.depth DESC`),
    insertTurn: db.prepare(`
      INSERT INTO turns (id, session_id, owner_id, parent_id, created_at, updated_at, status, prompt, request_json)
      VALUES (@id, @sessionId, @ownerId, @parentId, @at, @at, 'queued', @prompt, @request)`),
    updateTurn: db.prepare(`
      UPDATE turns SET status = @status, outcome_json = @outcome, error_json = @error, attempts = @attempts,
        cover_image_hash = @cover, updated_at = @at, cost_json = @cost, cost_micro_usd = @costMicroUsd, billed_at = @billedAt
      WHERE id = @id`),
    activeTurns: db.prepare<[], TurnRow>("SELECT * FROM turns WHERE status IN ('queued', 'running') ORDER BY created_at, seq"),
    interruptTurn: db.prepare(
      "UPDATE turns SET status = 'interrupted', error_json = ?, updated_at = ?, cost_json = ?, cost_micro_usd = ?, billed_at = ? WHERE id = ?",
    ),
    copyTurn: db.prepare(`
      INSERT INTO turns (id, session_id, owner_id, parent_id, created_at, updated_at, status, prompt, request_json,
        outcome_json, error_json, attempts, cover_image_hash)
      VALUES (@id, @sessionId, @ownerId, @parentId, @at, @at, @status, @prompt, @request, @outcome, @error, @attempts, @cover)`),
    ledgerAll: db.prepare<[string, string], TurnRow>(
      "SELECT * FROM turns WHERE billed_at >= ? AND billed_at < ? ORDER BY billed_at, seq",
    ),
    ledgerOfOwner: db.prepare<[string, string, string], TurnRow>(
      "SELECT * FROM turns WHERE owner_id = ? AND billed_at >= ? AND billed_at < ? ORDER BY billed_at, seq",
    ),
    spent: db.prepare<[string, string, string], { spent: number }>(
      "SELECT coalesce(sum(cost_micro_usd), 0) AS spent FROM turns WHERE owner_id = ? AND billed_at >= ? AND billed_at < ?",
    ),
    activeOfOwner: db.prepare<[string], { request_json: string }>(
      "SELECT request_json FROM turns WHERE owner_id = ? AND status IN ('queued', 'running') ORDER BY created_at, seq",
    ),
    getSetting: db.prepare<[string], { value_json: string; updated_at: string; updated_by: string | null }>(
      "SELECT value_json, updated_at, updated_by FROM studio_settings WHERE key = ?",
    ),
    putSetting: db.prepare(`
      INSERT INTO studio_settings (key, value_json, updated_at, updated_by) VALUES (@key, @value, @at, @by)
      ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    getOverride: db.prepare<[string], BudgetRow>("SELECT * FROM budget_overrides WHERE owner_id = ?"),
    listOverrides: db.prepare<[], BudgetRow>("SELECT * FROM budget_overrides ORDER BY owner_id"),
    putOverride: db.prepare(`
      INSERT INTO budget_overrides (owner_id, limit_micro_usd, updated_at, updated_by) VALUES (@ownerId, @limit, @at, @by)
      ON CONFLICT (owner_id) DO UPDATE SET limit_micro_usd = excluded.limit_micro_usd, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    deleteOverride: db.prepare("DELETE FROM budget_overrides WHERE owner_id = ?"),
    putShare: db.prepare(`
      INSERT INTO session_shares (session_id, owner_id, mode, shared_by, shared_at) VALUES (@sessionId, @ownerId, @mode, @ownerId, @at)
      ON CONFLICT (session_id) DO UPDATE SET mode = excluded.mode, shared_by = excluded.shared_by, shared_at = excluded.shared_at`),
    getShare: db.prepare<[string], ShareRow>("SELECT * FROM session_shares WHERE session_id = ?"),
    deleteShare: db.prepare("DELETE FROM session_shares WHERE session_id = ? AND owner_id = ?"),
    listShares: db.prepare<{ max: number; skip: number }, SessionRow & { share_mode: ShareMode; shared_by: string; shared_at: string }>(`
      SELECT ${SESSION_COLUMNS}, sh.mode AS share_mode, sh.shared_by, sh.shared_at
      FROM session_shares sh JOIN sessions s ON s.id = sh.session_id
      ORDER BY s.updated_at DESC, s.seq DESC LIMIT @max OFFSET @skip`),
    grantImage: db.prepare("INSERT OR IGNORE INTO image_access (owner_id, hash, session_id) VALUES (?, ?, ?)"),
    libraryTurns: db.prepare<[string, number], TurnRow & { session_title: string }>(`
      SELECT t.*, s.title AS session_title FROM turns t JOIN sessions s ON s.id = t.session_id
      WHERE t.owner_id = ? AND t.status = 'succeeded' ORDER BY t.created_at DESC, t.seq DESC LIMIT ?`),
    favouritesOf: db.prepare<[string], { turn_id: string; hash: string }>("SELECT turn_id, hash FROM favourites WHERE owner_id = ?"),
    putFavourite: db.prepare("INSERT OR IGNORE INTO favourites (owner_id, turn_id, hash, created_at) VALUES (?, ?, ?, ?)"),
    deleteFavourite: db.prepare("DELETE FROM favourites WHERE owner_id = ? AND turn_id = ? AND hash = ?"),
    isFavourite: db.prepare<[string, string, string], { one: number }>("SELECT 1 AS one FROM favourites WHERE owner_id = ? AND turn_id = ? AND hash = ?"),
    boardsHolding: db.prepare<[string, string, string], { board_id: string }>(
      "SELECT i.board_id FROM board_items i JOIN boards b ON b.id = i.board_id WHERE b.owner_id = ? AND i.turn_id = ? AND i.hash = ? ORDER BY i.board_id",
    ),
    boardItemsOf: db.prepare<[string], { board_id: string; turn_id: string; hash: string }>(
      "SELECT i.board_id, i.turn_id, i.hash FROM board_items i JOIN boards b ON b.id = i.board_id WHERE b.owner_id = ?",
    ),
    boardById: db.prepare<[string, string], BoardRow>(`SELECT ${BOARD_COLUMNS} FROM boards b WHERE b.id = ? AND b.owner_id = ?`),
    boardsOf: db.prepare<[string], BoardRow>(`SELECT ${BOARD_COLUMNS} FROM boards b WHERE b.owner_id = ? ORDER BY b.name COLLATE NOCASE, b.created_at`),
    insertBoard: db.prepare("INSERT INTO boards (id, owner_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"),
    renameBoard: db.prepare("UPDATE boards SET name = ?, updated_at = ? WHERE id = ? AND owner_id = ?"),
    touchBoard: db.prepare("UPDATE boards SET updated_at = ? WHERE id = ?"),
    deleteBoard: db.prepare("DELETE FROM boards WHERE id = ? AND owner_id = ?"),
    putBoardItem: db.prepare("INSERT OR IGNORE INTO board_items (board_id, turn_id, hash, added_at) VALUES (?, ?, ?, ?)"),
    deleteBoardItem: db.prepare("DELETE FROM board_items WHERE board_id = ? AND turn_id = ? AND hash = ?"),
    insertPrompt: db.prepare("INSERT INTO saved_prompts (id, owner_id, name, text, tags_json, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
    promptById: db.prepare<[string], SavedPromptRow>("SELECT * FROM saved_prompts WHERE id = ?"),
    promptsOf: db.prepare<[string], SavedPromptRow>("SELECT * FROM saved_prompts WHERE owner_id = ? ORDER BY created_at DESC, rowid DESC"),
    deletePrompt: db.prepare("DELETE FROM saved_prompts WHERE id = ? AND owner_id = ?"),
    canReadImage: db.prepare<[string, string], { found: number }>("SELECT 1 AS found FROM image_access WHERE owner_id = ? AND hash = ? LIMIT 1"),
    sessionsWithImage: db.prepare<[string], { session_id: string; owner_id: string }>(
      "SELECT DISTINCT session_id, owner_id FROM image_access WHERE hash = ? AND session_id IS NOT NULL",
    ),
    // Every image a turn uses, as lib/storage/garbage.ts imagesOfTurns reads them, done by SQLite.
    referencedImages: db.prepare<[], { hash: string | null }>(`
      SELECT json_extract(r.value, '$.hash') AS hash FROM turns t, json_each(t.request_json, '$.references') r
      UNION SELECT json_extract(i.value, '$.hash') FROM turns t, json_each(t.outcome_json, '$.images') i
      UNION SELECT json_extract(th.value, '$.hash') FROM turns t, json_each(t.outcome_json, '$.thoughts') th
        WHERE json_extract(th.value, '$.kind') = 'image'`),
  };

  function ledgerRows({ from, to, ownerId }: LedgerRange): TurnRow[] {
    return ownerId === undefined ? statements.ledgerAll.all(from, to) : statements.ledgerOfOwner.all(ownerId, from, to);
  }

  /** Inside a transaction: the result must be a final image of one of the owner's succeeded turns. */
  function checkResult(ownerId: string, ref: ResultRef): void {
    const row = statements.turnById.get(ref.turnId, ownerId);
    if (!row || !resultImageOf(toTurn(row), ref.hash)) throw new StorageError("not_found", "No such result.");
  }

  function readDefaultBudget(): DefaultBudget {
    const row = statements.getSetting.get(DEFAULT_BUDGET_KEY);
    if (!row) return { limitMicroUsd: null, updatedAt: null, updatedBy: null };
    const value = JSON.parse(row.value_json) as unknown;
    return { limitMicroUsd: isValidBudgetLimit(value) ? value : null, updatedAt: row.updated_at, updatedBy: row.updated_by };
  }

  function sessionList(ownerId: string, { query, limit, offset }: ListSessionsOptions): Session[] {
    const max = Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_SESSION_LIST_LIMIT)), MAX_SESSION_LIST_LIMIT);
    const skip = Math.max(0, Math.floor(offset ?? 0));
    const needle = query?.trim() ?? "";
    const order = "ORDER BY s.updated_at DESC, s.seq DESC LIMIT @max OFFSET @skip";
    if (needle === "") {
      return db.prepare<{ ownerId: string; max: number; skip: number }, SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions s WHERE s.owner_id = @ownerId ${order}`)
        .all({ ownerId, max, skip })
        .map(toSession);
    }
    // Trigram search needs three characters; below that a LIKE scan over the owner's turns is cheap enough.
    const promptMatch =
      [...needle].length >= 3
        ? "t.seq IN (SELECT rowid FROM turn_prompts WHERE turn_prompts MATCH @phrase)"
        : "t.prompt LIKE @like ESCAPE '\\'";
    return db
      .prepare<{ ownerId: string; max: number; skip: number; like: string; phrase: string }, SessionRow>(
        `SELECT ${SESSION_COLUMNS} FROM sessions s
         WHERE s.owner_id = @ownerId AND (
           s.title LIKE @like ESCAPE '\\'
           OR EXISTS (SELECT 1 FROM turns t WHERE t.session_id = s.id AND ${promptMatch})
         )
         ${order}`,
      )
      .all({ ownerId, max, skip, like: likePattern(needle), phrase: ftsPhrase(needle) })
      .map(toSession);
  }

  function turnOrThrow(ownerId: string, id: string): TurnRow {
    const row = statements.turnById.get(id, ownerId);
    if (!row) throw new StorageError("not_found", "No such turn.");
    return row;
  }

  const storage: SqliteStorage = {
    database: db,
    databaseFile,
    images,

    sessions: {
      async create({ ownerId, title }) {
        return write("create the session", () => {
          const id = randomUUID();
          statements.insertSession.run({ id, ownerId, title, at: stamp() });
          return toSession(statements.sessionById.get(id, ownerId) as SessionRow);
        });
      },
      async get(ownerId, id) {
        return read("read the session", () => {
          const row = statements.sessionById.get(id, ownerId);
          return row ? toSession(row) : null;
        });
      },
      async list(ownerId, options = {}) {
        return read("list sessions", () => sessionList(ownerId, options));
      },
      async rename(ownerId, id, title) {
        return write("rename the session", () => {
          const { changes } = statements.renameSession.run(title, stamp(), id, ownerId);
          if (changes === 0) return null;
          return toSession(statements.sessionById.get(id, ownerId) as SessionRow);
        });
      },
      async delete(ownerId, id) {
        const turnIds = write("delete the session", () => {
          if (!statements.sessionById.get(id, ownerId)) return null;
          const ids = statements.turnIdsOfSession.all(id).map((row) => row.id);
          // Turns go with the session (ON DELETE CASCADE), and their search entries with them (trigger).
          statements.deleteSession.run(id, ownerId);
          return ids;
        });
        if (turnIds === null) return false;
        // The rows are gone, so these files are unreachable; removing them is tidying, and a file
        // that can't be removed now harms nothing.
        await Promise.all(turnIds.map((turnId) => files.remove(ownerId, turnId).catch(() => undefined)));
        return true;
      },
    },

    turns: {
      async create({ ownerId, sessionId, parentId, request }) {
        return write("save the turn", () => {
          if (!statements.sessionById.get(sessionId, ownerId)) throw new StorageError("not_found", "No such session.");
          if (parentId !== null && statements.turnById.get(parentId, ownerId)?.session_id !== sessionId) {
            throw new StorageError("not_found", "No such parent turn in this session.");
          }
          const id = randomUUID();
          const at = stamp();
          statements.insertTurn.run({ id, sessionId, ownerId, parentId, at, prompt: request.prompt, request: json(request) });
          for (const hash of imageHashesOf({ request, outcome: null })) statements.grantImage.run(ownerId, hash, sessionId);
          statements.touchSession.run(at, sessionId);
          return toTurn(turnOrThrow(ownerId, id));
        });
      },
      async get(ownerId, id) {
        return read("read the turn", () => {
          const row = statements.turnById.get(id, ownerId);
          return row ? toTurn(row) : null;
        });
      },
      async listBySession(ownerId, sessionId) {
        return read("read the session's turns", () => statements.turnsBySession.all(sessionId, ownerId).map(toTurn));
      },
      async chain(ownerId, turnId) {
        return read("read the conversation", () => {
          const rows = statements.chain.all(turnId, ownerId);
          return rows.length === 0 ? null : rows.map(toTurn);
        });
      },
      async update(ownerId, id, patch: TurnPatch) {
        return write("save the turn", () => {
          const row = turnOrThrow(ownerId, id);
          if (isFinishedStatus(row.status)) {
            throw new StorageError("invalid_transition", `The turn has already ${row.status}; it can't change any more.`);
          }
          const status = patch.status ?? row.status;
          if (status !== row.status && !canTransition(row.status, status)) {
            throw new StorageError("invalid_transition", `A ${row.status} turn can't become ${status}.`);
          }
          const current = toTurn(row);
          const outcome = patch.outcome === undefined ? current.outcome : patch.outcome;
          const error = patch.error === undefined ? current.error : patch.error;
          const at = stamp();
          const cost = isFinishedStatus(status) ? costOfTurn(current.request, outcome, at) : null;
          statements.updateTurn.run({
            id,
            status,
            outcome: outcome === null ? null : json(outcome),
            error: error === null ? null : json(error),
            attempts: patch.attempts ?? row.attempts,
            cover: coverImageOf(status, outcome),
            at,
            cost: cost === null ? null : json(cost),
            costMicroUsd: cost?.microUsd ?? null,
            billedAt: cost?.billedAt ?? null,
          });
          if (status !== row.status) statements.touchSession.run(at, row.session_id);
          for (const hash of imageHashesOf({ request: current.request, outcome })) statements.grantImage.run(ownerId, hash, row.session_id);
          return toTurn(turnOrThrow(ownerId, id));
        });
      },
      async copyChain({ from, to }) {
        const plan = read("read the conversation", () => {
          const rows = statements.chain.all(from.turnId, from.ownerId);
          if (rows.length === 0) throw new StorageError("not_found", "No such turn.");
          if (!statements.sessionById.get(to.sessionId, to.ownerId)) throw new StorageError("not_found", "No such session.");
          if (rows.some((row) => !isFinishedStatus(row.status))) {
            throw new StorageError("invalid_transition", "Only a finished turn can be continued.");
          }
          return rows.map((row) => ({ row, id: randomUUID() }));
        });
        // Model turns first: a copied succeeded turn must always have one to replay. If a row
        // insert then fails, the orphaned files are removed below.
        for (const { row, id } of plan) {
          const modelTurn = await files.read(from.ownerId, row.id);
          if (modelTurn) await files.write(to.ownerId, id, modelTurn);
        }
        try {
          return write("copy the conversation", () => {
            let parentId: string | null = null;
            for (const { row, id } of plan) {
              const at = stamp();
              statements.copyTurn.run({
                id,
                sessionId: to.sessionId,
                ownerId: to.ownerId,
                parentId,
                at,
                status: row.status,
                prompt: row.prompt,
                request: row.request_json,
                outcome: row.outcome_json,
                error: row.error_json,
                attempts: row.attempts,
                cover: row.cover_image_hash,
              });
              // The new owner may read every image of the copied chain, as of any turn of theirs.
              const copied = toTurn(row);
              for (const hash of imageHashesOf(copied)) statements.grantImage.run(to.ownerId, hash, to.sessionId);
              statements.touchSession.run(at, to.sessionId);
              parentId = id;
            }
            return plan.map(({ id }) => toTurn(turnOrThrow(to.ownerId, id)));
          });
        } catch (error) {
          await Promise.all(plan.map(({ id }) => files.remove(to.ownerId, id).catch(() => undefined)));
          throw error;
        }
      },
      async listBatchWaiting() {
        return read("list the turns waiting for a batch", () => statements.activeTurns.all().map(toTurn).filter(isBatchWaiting));
      },
      async interruptRunning(error) {
        return write("mark unfinished turns as interrupted", () => {
          const errorJson = json(error);
          return statements.activeTurns.all().flatMap((row) => {
            const at = stamp();
            const turn = toTurn(row);
            if (isBatchWaiting(turn)) return [];
            const cost = costOfTurn(turn.request, turn.outcome, at);
            statements.interruptTurn.run(errorJson, at, json(cost), cost.microUsd, cost.billedAt, row.id);
            statements.touchSession.run(at, row.session_id);
            return toTurn(turnOrThrow(row.owner_id, row.id));
          });
        });
      },
    },

    ledger: {
      async entries(range) {
        return read("read the cost ledger", () =>
          ledgerRows(range).map((row) => {
            const turn = toTurn(row);
            return { turnId: turn.id, sessionId: turn.sessionId, ownerId: turn.ownerId, status: turn.status, cost: turn.cost as TurnCost };
          }),
        );
      },
      async spent({ from, to, ownerId }) {
        return read("read the cost ledger", () => statements.spent.get(ownerId, from, to)?.spent ?? 0);
      },
      async activeRequests(ownerId) {
        return read("read the running turns", () => statements.activeOfOwner.all(ownerId).map((row) => JSON.parse(row.request_json) as TurnRequest));
      },
    },

    budgets: {
      async standing(ownerId, { from, to }) {
        return read<BudgetStanding>("read the budget", () => {
          const override = statements.getOverride.get(ownerId);
          return {
            limitMicroUsd: override ? toOverride(override).limitMicroUsd : readDefaultBudget().limitMicroUsd,
            source: override ? "override" : "default",
            spentMicroUsd: statements.spent.get(ownerId, from, to)?.spent ?? 0,
            activeRequests: statements.activeOfOwner.all(ownerId).map((row) => JSON.parse(row.request_json) as TurnRequest),
          };
        });
      },
      async getDefault() {
        return read("read the default budget", readDefaultBudget);
      },
      async setDefault(limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        return write("save the default budget", () => {
          statements.putSetting.run({ key: DEFAULT_BUDGET_KEY, value: json(limitMicroUsd), at: stamp(), by });
          return readDefaultBudget();
        });
      },
      async getOverride(ownerId) {
        return read("read the budget", () => {
          const row = statements.getOverride.get(ownerId);
          return row ? toOverride(row) : null;
        });
      },
      async listOverrides() {
        return read("read the budgets", () => statements.listOverrides.all().map(toOverride));
      },
      async setOverride(ownerId, limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        return write("save the budget", () => {
          statements.putOverride.run({ ownerId, limit: limitMicroUsd, at: stamp(), by });
          return toOverride(statements.getOverride.get(ownerId) as BudgetRow);
        });
      },
      async clearOverride(ownerId) {
        return write("remove the budget", () => statements.deleteOverride.run(ownerId).changes > 0);
      },
    },

    shares: {
      async set(ownerId, sessionId, mode) {
        if (mode !== "view" && mode !== "continue") throw new StorageError("invalid_value", "A share is view-only or can-continue.");
        return write("share the session", () => {
          if (!statements.sessionById.get(sessionId, ownerId)) throw new StorageError("not_found", "No such session.");
          statements.putShare.run({ sessionId, ownerId, mode, at: stamp() });
          return toShare(statements.getShare.get(sessionId) as ShareRow);
        });
      },
      async remove(ownerId, sessionId) {
        return write("stop sharing the session", () => statements.deleteShare.run(sessionId, ownerId).changes > 0);
      },
      async get(sessionId) {
        return read("read the share", () => {
          const row = statements.getShare.get(sessionId);
          return row ? toShare(row) : null;
        });
      },
      async list({ limit, offset } = {}) {
        const max = Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_SESSION_LIST_LIMIT)), MAX_SESSION_LIST_LIMIT);
        const skip = Math.max(0, Math.floor(offset ?? 0));
        return read("list shared sessions", () =>
          statements.listShares.all({ max, skip }).map((row) => ({
            session: toSession(row),
            share: toShare({ session_id: row.id, owner_id: row.owner_id, mode: row.share_mode, shared_by: row.shared_by, shared_at: row.shared_at }),
          })),
        );
      },
    },

    modelTurns: {
      async put(ownerId, turnId, turn, known) {
        const exists = read("read the turn", () => statements.turnById.get(turnId, ownerId) !== undefined);
        if (!exists) throw new StorageError("not_found", "No such turn.");
        await files.write(ownerId, turnId, turn, known);
      },
      async get(ownerId, turnId) {
        if (!isStorageId(ownerId) || !isStorageId(turnId)) return null;
        const exists = read("read the turn", () => statements.turnById.get(turnId, ownerId) !== undefined);
        return exists ? files.read(ownerId, turnId) : null;
      },
      async delete(ownerId, turnId) {
        if (!isStorageId(ownerId) || !isStorageId(turnId)) return;
        await files.remove(ownerId, turnId);
      },
    },

    library: {
      async list(ownerId, options = {}) {
        const limit = libraryLimit(options.limit);
        return read("list the library", () =>
          libraryItemsOf(
            statements.libraryTurns.all(ownerId, limit).map((row) => ({ turn: toTurn(row), sessionTitle: row.session_title })),
            statements.favouritesOf.all(ownerId).map((row) => ({ turnId: row.turn_id, hash: row.hash })),
            statements.boardItemsOf.all(ownerId).map((row) => ({ boardId: row.board_id, turnId: row.turn_id, hash: row.hash })),
            limit,
          ),
        );
      },
      async setFavourite(ownerId, ref, favourite) {
        write(favourite ? "star the result" : "unstar the result", () => {
          checkResult(ownerId, ref);
          if (favourite) statements.putFavourite.run(ownerId, ref.turnId, ref.hash, stamp());
          else statements.deleteFavourite.run(ownerId, ref.turnId, ref.hash);
        });
      },
      async stateOf(ownerId, ref) {
        return read("read a result's favourite and boards", () => ({
          favourite: statements.isFavourite.get(ownerId, ref.turnId, ref.hash) !== undefined,
          boardIds: statements.boardsHolding.all(ownerId, ref.turnId, ref.hash).map((row) => row.board_id),
        }));
      },
    },

    boards: {
      async create(ownerId, name) {
        const clean = normalizeBoardName(name);
        return write("create the board", () => {
          const id = randomUUID();
          const at = stamp();
          statements.insertBoard.run(id, ownerId, clean, at, at);
          return toBoard(statements.boardById.get(id, ownerId) as BoardRow);
        });
      },
      async list(ownerId) {
        return read("list the boards", () => statements.boardsOf.all(ownerId).map(toBoard));
      },
      async get(ownerId, id) {
        return read("read the board", () => {
          const row = statements.boardById.get(id, ownerId);
          return row ? toBoard(row) : null;
        });
      },
      async rename(ownerId, id, name) {
        const clean = normalizeBoardName(name);
        return write("rename the board", () => {
          if (statements.renameBoard.run(clean, stamp(), id, ownerId).changes === 0) return null;
          return toBoard(statements.boardById.get(id, ownerId) as BoardRow);
        });
      },
      async delete(ownerId, id) {
        return write("delete the board", () => statements.deleteBoard.run(id, ownerId).changes > 0);
      },
      async addItem(ownerId, boardId, ref) {
        write("add to the board", () => {
          if (!statements.boardById.get(boardId, ownerId)) throw new StorageError("not_found", "No such board.");
          checkResult(ownerId, ref);
          if (statements.putBoardItem.run(boardId, ref.turnId, ref.hash, stamp()).changes > 0) statements.touchBoard.run(stamp(), boardId);
        });
      },
      async removeItem(ownerId, boardId, ref) {
        return write("remove from the board", () => {
          if (!statements.boardById.get(boardId, ownerId)) return false;
          const removed = statements.deleteBoardItem.run(boardId, ref.turnId, ref.hash).changes > 0;
          if (removed) statements.touchBoard.run(stamp(), boardId);
          return removed;
        });
      },
    },

    prompts: {
      async create(ownerId, input) {
        const clean = normalizeSavedPrompt(input);
        return write("save the prompt", () => {
          const id = randomUUID();
          statements.insertPrompt.run(id, ownerId, clean.name, clean.text, json(clean.tags), stamp());
          return toSavedPrompt(statements.promptById.get(id) as SavedPromptRow);
        });
      },
      async list(ownerId) {
        return read("list the saved prompts", () => statements.promptsOf.all(ownerId).map(toSavedPrompt));
      },
      async delete(ownerId, id) {
        return write("delete the saved prompt", () => statements.deletePrompt.run(id, ownerId).changes > 0);
      },
    },

    imageAccess: {
      async recordUpload(ownerId, hash) {
        write("record the upload", () => {
          if (!statements.canReadImage.get(ownerId, hash)) statements.grantImage.run(ownerId, hash, null);
        });
      },
      async canRead(ownerId, hash) {
        return read("check access to the image", () => statements.canReadImage.get(ownerId, hash) !== undefined);
      },
      async sessionsWith(hash) {
        return read("find the image's sessions", () =>
          statements.sessionsWithImage.all(hash).map((row) => ({ sessionId: row.session_id, ownerId: row.owner_id })),
        );
      },
    },

    async reassignOwner(from, to) {
      const moved = write("reassign the sessions", () => {
        // The turns' composite foreign key points at (session id, owner): checked at commit, when
        // both tables agree again.
        db.pragma("defer_foreign_keys = ON");
        const { changes } = db.prepare("UPDATE sessions SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("UPDATE turns SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("UPDATE session_shares SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("UPDATE session_shares SET shared_by = ? WHERE shared_by = ?").run(to, from);
        db.prepare("UPDATE OR IGNORE budget_overrides SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("UPDATE OR IGNORE image_access SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("DELETE FROM image_access WHERE owner_id = ?").run(from);
        db.prepare("UPDATE OR IGNORE favourites SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("DELETE FROM favourites WHERE owner_id = ?").run(from);
        db.prepare("UPDATE boards SET owner_id = ? WHERE owner_id = ?").run(to, from);
        db.prepare("UPDATE saved_prompts SET owner_id = ? WHERE owner_id = ?").run(to, from);
        return changes;
      });
      await files.moveOwner(from, to);
      return moved;
    },

    async collectGarbage(options) {
      return collectImageGarbage(
        images,
        async () =>
          read("list the images in use", () => new Set(statements.referencedImages.all().flatMap((row) => (row.hash ? [row.hash] : [])))),
        options,
      );
    },

    async close() {
      if (db.open) db.close();
    },
  };
  return storage;
}
