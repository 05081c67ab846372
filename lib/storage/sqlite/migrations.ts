import "server-only";

import type Database from "better-sqlite3";

/**
 * The schema, as numbered steps. A step is never edited once shipped: change the schema by adding
 * the next one. Each runs in its own transaction and is recorded in `schema_migrations`, so a
 * database is always at exactly one known version, and opening it again runs nothing.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "sessions and turns",
    // `seq` is an INTEGER PRIMARY KEY (the rowid): stable across VACUUM, which the FTS index in
    // step 2 relies on, and the tie-break for rows created in the same millisecond.
    // The composite foreign keys make the database itself refuse a turn whose owner differs from
    // its session's, or whose parent sits in another session.
    sql: `
      CREATE TABLE sessions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        owner_id TEXT NOT NULL,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (id, owner_id)
      );
      CREATE INDEX sessions_by_owner_updated ON sessions (owner_id, updated_at DESC, seq DESC);

      CREATE TABLE turns (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        parent_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
        prompt TEXT NOT NULL,
        request_json TEXT NOT NULL CHECK (json_valid(request_json)),
        outcome_json TEXT CHECK (outcome_json IS NULL OR json_valid(outcome_json)),
        error_json TEXT CHECK (error_json IS NULL OR json_valid(error_json)),
        attempts INTEGER NOT NULL DEFAULT 0,
        cover_image_hash TEXT,
        UNIQUE (id, session_id),
        FOREIGN KEY (session_id, owner_id) REFERENCES sessions (id, owner_id) ON DELETE CASCADE,
        FOREIGN KEY (parent_id, session_id) REFERENCES turns (id, session_id) ON DELETE CASCADE
      );
      CREATE INDEX turns_by_session ON turns (session_id, created_at, seq);
      CREATE INDEX turns_by_parent ON turns (parent_id, session_id);
      CREATE INDEX turns_active ON turns (status) WHERE status IN ('queued', 'running');
    `,
  },
  {
    version: 2,
    name: "prompt search",
    // Trigram tokens make MATCH a case-insensitive substring search, like LIKE '%…%' but indexed.
    // It needs at least three characters; shorter queries fall back to LIKE.
    sql: `
      CREATE VIRTUAL TABLE turn_prompts USING fts5 (
        prompt, content = 'turns', content_rowid = 'seq', tokenize = 'trigram'
      );
      CREATE TRIGGER turn_prompts_insert AFTER INSERT ON turns BEGIN
        INSERT INTO turn_prompts (rowid, prompt) VALUES (new.seq, new.prompt);
      END;
      CREATE TRIGGER turn_prompts_delete AFTER DELETE ON turns BEGIN
        INSERT INTO turn_prompts (turn_prompts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
      END;
      CREATE TRIGGER turn_prompts_update AFTER UPDATE OF prompt ON turns BEGIN
        INSERT INTO turn_prompts (turn_prompts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
        INSERT INTO turn_prompts (rowid, prompt) VALUES (new.seq, new.prompt);
      END;
      INSERT INTO turn_prompts (turn_prompts) VALUES ('rebuild');
    `,
  },
  {
    version: 3,
    name: "cost ledger, budgets and shares",
    // A finished turn's cost is written with its final status (cost_json, billed_at); the integer
    // column is what the sums read. Turns finished before this step have no line: their usage was
    // priced by nobody at the time, and inventing one now would move past months' totals.
    // Copied turns (continued from a shared session) keep billed_at NULL: the original was billed.
    sql: `
      ALTER TABLE turns ADD COLUMN cost_json TEXT CHECK (cost_json IS NULL OR json_valid(cost_json));
      ALTER TABLE turns ADD COLUMN cost_micro_usd INTEGER;
      ALTER TABLE turns ADD COLUMN billed_at TEXT;
      CREATE INDEX turns_by_billed ON turns (billed_at) WHERE billed_at IS NOT NULL;
      CREATE INDEX turns_by_owner_billed ON turns (owner_id, billed_at) WHERE billed_at IS NOT NULL;

      CREATE TABLE session_shares (
        session_id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('view', 'continue')),
        shared_by TEXT NOT NULL,
        shared_at TEXT NOT NULL,
        FOREIGN KEY (session_id, owner_id) REFERENCES sessions (id, owner_id) ON DELETE CASCADE
      );

      CREATE TABLE studio_settings (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL CHECK (json_valid(value_json)),
        updated_at TEXT NOT NULL,
        updated_by TEXT
      );

      CREATE TABLE budget_overrides (
        owner_id TEXT PRIMARY KEY,
        limit_micro_usd INTEGER CHECK (limit_micro_usd IS NULL OR limit_micro_usd >= 0),
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "image access",
    // One row per (owner, image, session); uploads have no session. The unique index treats a
    // missing session as '' so an upload is recorded once. Rows go with their session (CASCADE), so
    // deleting a session takes away access to its images unless another session or upload grants it.
    // Existing turns are indexed from their saved JSON.
    sql: `
      CREATE TABLE image_access (
        owner_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX image_access_unique ON image_access (owner_id, hash, coalesce(session_id, ''));
      CREATE INDEX image_access_by_hash ON image_access (hash);
      INSERT OR IGNORE INTO image_access (owner_id, hash, session_id)
        SELECT t.owner_id, json_extract(r.value, '$.hash'), t.session_id
        FROM turns t, json_each(t.request_json, '$.references') r
        WHERE json_extract(r.value, '$.hash') IS NOT NULL;
      INSERT OR IGNORE INTO image_access (owner_id, hash, session_id)
        SELECT t.owner_id, json_extract(i.value, '$.hash'), t.session_id
        FROM turns t, json_each(t.outcome_json, '$.images') i
        WHERE t.outcome_json IS NOT NULL AND json_extract(i.value, '$.hash') IS NOT NULL;
      INSERT OR IGNORE INTO image_access (owner_id, hash, session_id)
        SELECT t.owner_id, json_extract(th.value, '$.hash'), t.session_id
        FROM turns t, json_each(t.outcome_json, '$.thoughts') th
        WHERE t.outcome_json IS NOT NULL AND json_extract(th.value, '$.kind') = 'image';
    `,
  },
  {
    version: 5,
    name: "library: favourites, boards, saved prompts",
    // Favourites and board items name a result by (turn, image hash) and go with their turn
    // (CASCADE), so deleting a session takes its results off every board and out of favourites
    // while the boards stay. Which hashes are a turn's final images is checked by the storage.
    sql: `
      CREATE TABLE favourites (
        owner_id TEXT NOT NULL,
        turn_id TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (owner_id, turn_id, hash)
      );
      CREATE INDEX favourites_by_turn ON favourites (turn_id);

      CREATE TABLE boards (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX boards_by_owner ON boards (owner_id);

      CREATE TABLE board_items (
        board_id TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        turn_id TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (board_id, turn_id, hash)
      );
      CREATE INDEX board_items_by_turn ON board_items (turn_id);

      CREATE TABLE saved_prompts (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        tags_json TEXT NOT NULL CHECK (json_valid(tags_json)),
        created_at TEXT NOT NULL
      );
      CREATE INDEX saved_prompts_by_owner ON saved_prompts (owner_id, created_at DESC);
    `,
  },
];

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`The database is at schema version ${found}, but this version of the studio only knows up to ${known}. Update the studio.`);
    this.name = "SchemaTooNewError";
  }
}

/** Brings the database up to the newest schema; returns the versions it applied (none when current). */
export function runMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => string = () => new Date().toISOString(),
): number[] {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )
  `);
  const currentVersion = () =>
    (db.prepare("SELECT coalesce(max(version), 0) AS version FROM schema_migrations").get() as { version: number }).version;
  const known = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
  const applied: number[] = [];

  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    // IMMEDIATE takes the write lock before reading the version, so two processes opening the
    // same database at once can't both apply a step.
    db.transaction(() => {
      const current = currentVersion();
      if (current > known) throw new SchemaTooNewError(current, known);
      if (current >= migration.version) return;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        now(),
      );
      applied.push(migration.version);
    }).immediate();
  }
  const current = currentVersion();
  if (current > known) throw new SchemaTooNewError(current, known);
  return applied;
}
