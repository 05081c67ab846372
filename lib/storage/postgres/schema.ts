import "server-only";

import { sql, type ColumnType, type Generated, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The PostgreSQL schema: the tables as Kysely sees them, and the numbered steps that build them.
 * A step is never edited once shipped: change the schema by adding the next one. Kysely's Migrator
 * runs them at start under an advisory lock, so instances starting together apply each step once.
 *
 * It mirrors lib/storage/sqlite/migrations.ts column for column (same names, same composite
 * foreign keys), so `npm run migrate-data` copies rows across unchanged. Differences, each for
 * PostgreSQL's sake: timestamps are timestamptz (ms precision, as the studio's clock), JSON
 * stays in text columns (jsonb would reorder keys and refuse the \u0000 escapes a model's text may
 * carry), and prompt search uses pg_trgm instead of FTS5.
 */

/** Written as ISO strings, read back as Dates by `pg`. */
type Timestamp = ColumnType<Date, string, string>;

/** bigint: `pg` reads int8 (and sums of it) back as strings, so the storage converts with Number. */
type NullableMicroUsd = ColumnType<string | null, number | null, number | null>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;

export interface SessionsTable {
  seq: Generated<string>;
  id: string;
  owner_id: string;
  title: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TurnsTable {
  seq: Generated<string>;
  id: string;
  session_id: string;
  owner_id: string;
  parent_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  status: string;
  prompt: string;
  request_json: string;
  outcome_json: string | null;
  error_json: string | null;
  attempts: Generated<number>;
  cover_image_hash: string | null;
  /** lib/storage/turn-cost.ts's TurnCost; null while the turn runs, for copies, and for turns finished before 0003. */
  cost_json: string | null;
  cost_micro_usd: NullableMicroUsd;
  billed_at: NullableTimestamp;
}

export interface ModelTurnsTable {
  turn_id: string;
  owner_id: string;
  /** lib/storage/model-turn-codec.ts's JSON: image parts by hash, the signature inline. */
  body: string;
  updated_at: Timestamp;
}

export interface SessionSharesTable {
  session_id: string;
  owner_id: string;
  mode: string;
  shared_by: string;
  shared_at: Timestamp;
}

export interface StudioSettingsTable {
  key: string;
  value_json: string;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface BudgetOverridesTable {
  owner_id: string;
  limit_micro_usd: NullableMicroUsd;
  updated_at: Timestamp;
  updated_by: string;
}

export interface ImageAccessTable {
  owner_id: string;
  hash: string;
  /** null: the owner's upload, readable whatever happens to sessions. */
  session_id: string | null;
}

export interface FavouritesTable {
  owner_id: string;
  turn_id: string;
  hash: string;
  created_at: Timestamp;
}

export interface BoardsTable {
  id: string;
  owner_id: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BoardItemsTable {
  board_id: string;
  turn_id: string;
  hash: string;
  added_at: Timestamp;
}

export interface SavedPromptsTable {
  id: string;
  owner_id: string;
  name: string;
  text: string;
  /** A JSON array of lower-case tags. */
  tags_json: string;
  created_at: Timestamp;
}

export interface StudioDatabase {
  sessions: SessionsTable;
  turns: TurnsTable;
  model_turns: ModelTurnsTable;
  session_shares: SessionSharesTable;
  studio_settings: StudioSettingsTable;
  budget_overrides: BudgetOverridesTable;
  image_access: ImageAccessTable;
  favourites: FavouritesTable;
  boards: BoardsTable;
  board_items: BoardItemsTable;
  saved_prompts: SavedPromptsTable;
}

/** Named so they sort in order: Kysely applies them alphabetically. */
export const POSTGRES_MIGRATIONS: Record<string, Migration> = {
  "0001_sessions_and_turns": {
    // `seq` is the tie-break for rows created in the same millisecond. The composite foreign keys
    // make the database itself refuse a turn whose owner differs from its session's, or whose
    // parent sits in another session.
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE sessions (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id text NOT NULL UNIQUE,
          owner_id text NOT NULL,
          title text NOT NULL,
          created_at timestamptz(3) NOT NULL,
          updated_at timestamptz(3) NOT NULL,
          UNIQUE (id, owner_id)
        );
        CREATE INDEX sessions_by_owner_updated ON sessions (owner_id, updated_at DESC, seq DESC);

        CREATE TABLE turns (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id text NOT NULL UNIQUE,
          session_id text NOT NULL,
          owner_id text NOT NULL,
          parent_id text,
          created_at timestamptz(3) NOT NULL,
          updated_at timestamptz(3) NOT NULL,
          status text NOT NULL
            CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
          prompt text NOT NULL,
          request_json text NOT NULL CHECK (request_json::json IS NOT NULL),
          outcome_json text CHECK (outcome_json IS NULL OR outcome_json::json IS NOT NULL),
          error_json text CHECK (error_json IS NULL OR error_json::json IS NOT NULL),
          attempts integer NOT NULL DEFAULT 0,
          cover_image_hash text,
          UNIQUE (id, session_id),
          UNIQUE (id, owner_id),
          FOREIGN KEY (session_id, owner_id) REFERENCES sessions (id, owner_id) ON DELETE CASCADE,
          FOREIGN KEY (parent_id, session_id) REFERENCES turns (id, session_id) ON DELETE CASCADE
        );
        CREATE INDEX turns_by_session ON turns (session_id, created_at, seq);
        CREATE INDEX turns_by_parent ON turns (parent_id, session_id);
        CREATE INDEX turns_by_owner ON turns (owner_id);
        CREATE INDEX turns_active ON turns (status) WHERE status IN ('queued', 'running');

        -- A model turn is ~600 KB of thought signature: TOAST keeps it out of the turn rows that
        -- lists and pages read, and the foreign key deletes it with its turn.
        CREATE TABLE model_turns (
          turn_id text PRIMARY KEY,
          owner_id text NOT NULL,
          body text NOT NULL,
          updated_at timestamptz(3) NOT NULL,
          FOREIGN KEY (turn_id, owner_id) REFERENCES turns (id, owner_id) ON DELETE CASCADE
        );
      `.execute(db);
    },
  },
  "0002_prompt_search": {
    // Trigram indexes serve ILIKE '%…%' (case-insensitive substring) for queries of three or more
    // characters; shorter ones scan the owner's rows, which is what SQLite does too.
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX turns_prompt_trgm ON turns USING gin (prompt gin_trgm_ops);
        CREATE INDEX sessions_title_trgm ON sessions USING gin (title gin_trgm_ops);
      `.execute(db);
    },
  },
  "0003_cost_ledger_budgets_shares": {
    // SQLite's migration 3, column for column. A finished turn's cost is written with its final
    // status (cost_json, billed_at); the integer column is what the sums read. Turns finished
    // before this step have no line: inventing one now would move past months' totals. Copied
    // turns (continued from a shared session) keep billed_at NULL: the original was billed.
    // Micro-dollars are bigint because a budget may be any safe integer, beyond int4's range.
    async up(db: Kysely<unknown>) {
      await sql`
        ALTER TABLE turns
          ADD COLUMN cost_json text CHECK (cost_json IS NULL OR cost_json::json IS NOT NULL),
          ADD COLUMN cost_micro_usd bigint,
          ADD COLUMN billed_at timestamptz(3);
        CREATE INDEX turns_by_billed ON turns (billed_at, seq) WHERE billed_at IS NOT NULL;
        CREATE INDEX turns_by_owner_billed ON turns (owner_id, billed_at) WHERE billed_at IS NOT NULL;

        CREATE TABLE session_shares (
          session_id text PRIMARY KEY,
          owner_id text NOT NULL,
          mode text NOT NULL CHECK (mode IN ('view', 'continue')),
          shared_by text NOT NULL,
          shared_at timestamptz(3) NOT NULL,
          FOREIGN KEY (session_id, owner_id) REFERENCES sessions (id, owner_id) ON DELETE CASCADE
        );

        CREATE TABLE studio_settings (
          key text PRIMARY KEY,
          value_json text NOT NULL CHECK (value_json::json IS NOT NULL),
          updated_at timestamptz(3) NOT NULL,
          updated_by text
        );

        CREATE TABLE budget_overrides (
          owner_id text PRIMARY KEY,
          limit_micro_usd bigint CHECK (limit_micro_usd IS NULL OR limit_micro_usd >= 0),
          updated_at timestamptz(3) NOT NULL,
          updated_by text NOT NULL
        );
      `.execute(db);
    },
  },
  "0004_image_access": {
    // SQLite's migration 4: one row per (owner, image, session), uploads without a session; rows go
    // with their session, so deleting it takes access away unless another session or upload grants it.
    // Existing turns are indexed from their saved JSON. The foreign keys that tie rows to an owner
    // become DEFERRABLE, so reassignOwner can move a session and its rows in one transaction and
    // have them checked together at commit (they stay immediate otherwise).
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE image_access (
          owner_id text NOT NULL,
          hash text NOT NULL,
          session_id text REFERENCES sessions (id) ON DELETE CASCADE
        );
        CREATE UNIQUE INDEX image_access_unique ON image_access (owner_id, hash, (coalesce(session_id, '')));
        CREATE INDEX image_access_by_hash ON image_access (hash);
        INSERT INTO image_access (owner_id, hash, session_id)
          SELECT t.owner_id, r->>'hash', t.session_id
          FROM turns t, json_array_elements(t.request_json::json->'references') r
          WHERE r->>'hash' IS NOT NULL
          ON CONFLICT DO NOTHING;
        INSERT INTO image_access (owner_id, hash, session_id)
          SELECT t.owner_id, i->>'hash', t.session_id
          FROM turns t, json_array_elements(t.outcome_json::json->'images') i
          WHERE t.outcome_json IS NOT NULL AND i->>'hash' IS NOT NULL
          ON CONFLICT DO NOTHING;
        INSERT INTO image_access (owner_id, hash, session_id)
          SELECT t.owner_id, th->>'hash', t.session_id
          FROM turns t, json_array_elements(t.outcome_json::json->'thoughts') th
          WHERE t.outcome_json IS NOT NULL AND th->>'kind' = 'image'
          ON CONFLICT DO NOTHING;
        ALTER TABLE turns ALTER CONSTRAINT turns_session_id_owner_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
        ALTER TABLE model_turns ALTER CONSTRAINT model_turns_turn_id_owner_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
        ALTER TABLE session_shares ALTER CONSTRAINT session_shares_session_id_owner_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
      `.execute(db);
    },
  },  "0005_library": {
    // SQLite's migration 5, column for column: favourites and board items name a result by (turn,
    // image hash) and go with their turn, so deleting a session empties them from boards and
    // favourites while the boards stay.
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE favourites (
          owner_id text NOT NULL,
          turn_id text NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
          hash text NOT NULL,
          created_at timestamptz(3) NOT NULL,
          PRIMARY KEY (owner_id, turn_id, hash)
        );
        CREATE INDEX favourites_by_turn ON favourites (turn_id);

        CREATE TABLE boards (
          id text PRIMARY KEY,
          owner_id text NOT NULL,
          name text NOT NULL,
          created_at timestamptz(3) NOT NULL,
          updated_at timestamptz(3) NOT NULL
        );
        CREATE INDEX boards_by_owner ON boards (owner_id);

        CREATE TABLE board_items (
          board_id text NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
          turn_id text NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
          hash text NOT NULL,
          added_at timestamptz(3) NOT NULL,
          PRIMARY KEY (board_id, turn_id, hash)
        );
        CREATE INDEX board_items_by_turn ON board_items (turn_id);

        CREATE TABLE saved_prompts (
          id text PRIMARY KEY,
          owner_id text NOT NULL,
          name text NOT NULL,
          text text NOT NULL,
          tags_json text NOT NULL CHECK (tags_json::json IS NOT NULL),
          created_at timestamptz(3) NOT NULL
        );
        CREATE INDEX saved_prompts_by_owner ON saved_prompts (owner_id, created_at DESC);
      `.execute(db);
    },
  },
  "0006_job_queue": {
    // The shared job queue of lib/server/jobs/shared-queue.ts (PostgreSQL only: embedded, jobs live
    // in the one process). A job row exists while its turn is queued or running; `seq` is the FIFO
    // order, `instance_id` the instance running it (its liveness is an advisory lock), `sent` whether
    // the request may have reached Google. Job events are kept while the job runs so a follower on
    // any instance can replay them; they go with their turn.
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE studio_jobs (
          turn_id text PRIMARY KEY REFERENCES turns (id) ON DELETE CASCADE,
          owner_id text NOT NULL,
          seq bigserial NOT NULL,
          state text NOT NULL CHECK (state IN ('queued', 'running', 'reaping')),
          instance_id integer,
          sent boolean NOT NULL DEFAULT false,
          enqueued_at timestamptz(3) NOT NULL DEFAULT now(),
          claimed_at timestamptz(3)
        );
        CREATE INDEX studio_jobs_queued ON studio_jobs (seq) WHERE state = 'queued';
        CREATE INDEX studio_jobs_by_instance ON studio_jobs (instance_id) WHERE instance_id IS NOT NULL;

        CREATE TABLE studio_job_events (
          turn_id text NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
          seq integer NOT NULL,
          body_json text NOT NULL,
          created_at timestamptz(3) NOT NULL DEFAULT now(),
          PRIMARY KEY (turn_id, seq)
        );
        CREATE INDEX studio_job_events_by_age ON studio_job_events (created_at);
      `.execute(db);
    },
  },
  "0007_model_turn_storage": {
    // A model turn's body is mostly thought signatures (~600 KB a 1K answer, encrypted, so base64 of
    // random bytes) that pglz cannot shrink by the 25% it requires: it tried on every row and kept
    // the text as it was. Out of line without compression, the write of a row took about half the
    // time (measured: p50 51-77 ms against 26-48 ms for 600 KB, 2-core machine under load). Rows
    // written before keep their format; both read the same.
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE model_turns ALTER COLUMN body SET STORAGE EXTERNAL`.execute(db);
    },
  },
};
