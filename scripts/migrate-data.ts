/**
 * `npm run migrate-data -- --to postgres`: copies an embedded studio (SQLite + files under the data
 * directory) into PostgreSQL (DATABASE_URL), with images into the S3-compatible bucket when
 * STUDIO_S3_BUCKET is set, else left in the data directory where the team setup reads them too.
 *
 * Idempotent: rows keep their ids and go in with ON CONFLICT DO NOTHING, images are content-addressed,
 * so a second run (or a run after an interrupted one) copies only what is missing and says so.
 * Every image is checked: its file's bytes must hash to its name before it is copied, and the copy
 * in the target must hash to it afterwards; any mismatch fails the run (exit code 1).
 *
 * Stop the studio before running it: rows already in PostgreSQL are never overwritten, so a turn
 * that finished after it was copied keeps the state it was copied in.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { sql, type Kysely } from "kysely";
import { getEnv, type AuthEnv } from "@/lib/env";
import { createStudioAuth, migrateAuthDatabase } from "@/lib/server/auth/auth";
import { createStudioAuthTables, openPostgresAuthDatabase, withAuthSchemaLock } from "@/lib/server/auth/database";
import { createFileImageStore, isContentHash, type ImageStore } from "@/lib/storage/image-store";
import { MODEL_TURN_FORMAT, type SavedModelTurn } from "@/lib/storage/model-turn-codec";
import { openPostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import type { StudioDatabase } from "@/lib/storage/postgres/schema";
import { createS3ImageStore } from "@/lib/storage/s3/s3-image-store";
import { runMigrations } from "@/lib/storage/sqlite/migrations";

export interface MigrationCounts {
  sessions: { copied: number; present: number };
  turns: { copied: number; present: number };
  modelTurns: { copied: number; present: number };
  shares: { copied: number; present: number };
  /** Studio-wide settings (the default budget) and per-user budget overrides. */
  settings: { copied: number; present: number };
  budgetOverrides: { copied: number; present: number };
  imageAccess: { copied: number; present: number };
  /** The library: favourites, boards with their items, saved prompts. */
  favourites: { copied: number; present: number };
  boards: { copied: number; present: number };
  boardItems: { copied: number; present: number };
  savedPrompts: { copied: number; present: number };
  /** Rows of the accounts' tables (people, their sign-in methods and sessions, invitations, audit log). */
  accounts: { copied: number; present: number };
  images: { copied: number; present: number; verified: number };
  /** Images whose bytes do not hash to their name, in the source or the target. Non-empty fails the run. */
  mismatches: string[];
}

export interface MigrateDataOptions {
  dataDir: string;
  /** Default `${dataDir}/studio.db`. */
  databaseFile?: string;
  connectionString: string;
  /** Where images go; when it is the same data directory's files, they are verified in place. */
  images: ImageStore;
  log?: (line: string) => void;
}

const BATCH = 500;

interface SessionRow {
  id: string;
  owner_id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

interface TurnRow {
  id: string;
  session_id: string;
  owner_id: string;
  parent_id: string | null;
  created_at: string;
  updated_at: string;
  status: string;
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

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

/** Inserts `rows` in batches, skipping keys already there; returns how many went in. */
async function insertNew<T extends keyof StudioDatabase>(
  db: Kysely<StudioDatabase>,
  table: T,
  /** null: any unique key (for tables keyed by several columns). */
  conflictColumn: (keyof StudioDatabase[T] & string) | null,
  rows: Array<Record<string, unknown>>,
): Promise<number> {
  let copied = 0;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    const result = await db
      .insertInto(table)
      .values(batch as never)
      .onConflict((conflict) => (conflictColumn === null ? conflict : conflict.column(conflictColumn as never)).doNothing())
      .executeTakeFirst();
    copied += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return copied;
}

/** PostgreSQL text can't hold U+0000 (see pgText in postgres-storage.ts); JSON columns escape it already. */
function pgText(value: string): string {
  return value.includes("\u0000") ? value.replace(/\u0000/g, "\uFFFD") : value;
}

/**
 * better-auth's tables and the studio's own account tables, parents first. The rate-limit windows
 * are not copied: they are a minute long. On SQLite better-auth stores dates as ISO text and
 * booleans as 0/1; the PostgreSQL columns it creates are timestamptz and boolean.
 */
const ACCOUNT_TABLES = [
  { table: "user", key: "id" },
  { table: "account", key: "id" },
  { table: "session", key: "id" },
  { table: "verification", key: "id" },
  { table: "studio_invitation", key: "id" },
  { table: "studio_sign_in_failure", key: "email" },
  { table: "studio_audit_log", key: "id" },
] as const;

/**
 * Copies the accounts, so the team keeps its people, roles and passwords, and (with the cookie
 * secret) everyone stays signed in. A studio from before accounts has none of these tables.
 */
async function copyAccounts(source: Database.Database, connectionString: string, dataDir: string, log: (line: string) => void) {
  const present = new Set((source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((row) => row.name));
  if (!present.has("user")) {
    log("accounts: none (the studio had no accounts yet)");
    return { copied: 0, present: 0 };
  }
  const database = openPostgresAuthDatabase(connectionString);
  try {
    // The same tables the studio creates at start, under the same lock.
    const env: AuthEnv = { secret: undefined, publicUrl: undefined, oidc: undefined, maxSignInFailures: 5, e2eSessionToken: undefined };
    await withAuthSchemaLock(database, async () => {
      await createStudioAuthTables(database.kysely);
      const { options } = createStudioAuth({ database, secret: "migrate-data-only-creates-the-tables-0123456789", env });
      await migrateAuthDatabase(options, database);
    });
    // The embedded studio's cookie secret, unless the team studio already has one: sessions stay valid.
    const secretFile = await fs.readFile(path.join(dataDir, "auth-secret"), "utf8").catch(() => "");
    if (secretFile.trim().length >= 32) {
      await sql`INSERT INTO studio_auth_secret (id, secret) VALUES (1, ${secretFile.trim()}) ON CONFLICT (id) DO NOTHING`.execute(database.kysely);
    }
    let copied = 0;
    let total = 0;
    for (const { table, key } of ACCOUNT_TABLES) {
      if (!present.has(table)) continue;
      const { rows: columns } = await sql<{ column_name: string; data_type: string }>`
        SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`.execute(database.kysely);
      const types = new Map(columns.map((column) => [column.column_name, column.data_type]));
      const rows = (source.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>).map((row) =>
        Object.fromEntries(
          Object.entries(row)
            .filter(([name]) => types.has(name))
            .map(([name, value]) => [name, types.get(name) === "boolean" && value !== null ? Boolean(value) : value]),
        ),
      );
      let tableCopied = 0;
      for (let start = 0; start < rows.length; start += BATCH) {
        const result = await database.kysely
          .insertInto(table as never)
          .values(rows.slice(start, start + BATCH) as never)
          .onConflict((conflict) => conflict.column(key as never).doNothing())
          .executeTakeFirst();
        tableCopied += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      log(`accounts, ${table}: ${tableCopied} copied, ${rows.length - tableCopied} already there`);
      copied += tableCopied;
      total += rows.length;
    }
    return { copied, present: total - copied };
  } finally {
    await database.close();
  }
}

export async function migrateData(options: MigrateDataOptions): Promise<MigrationCounts> {
  const { dataDir, images } = options;
  const log = options.log ?? (() => undefined);
  const databaseFile = options.databaseFile ?? path.join(dataDir, "studio.db");
  await fs.access(databaseFile).catch(() => {
    throw new Error(`No studio database at ${databaseFile}: point STUDIO_DATA_DIR at the data directory to copy.`);
  });

  // Brought to the current schema first, so the columns read below exist whatever version wrote it.
  const source = new Database(databaseFile);
  const target = await openPostgresStorage({ connectionString: options.connectionString, images, poolSize: 2 });
  const counts: MigrationCounts = {
    sessions: { copied: 0, present: 0 },
    turns: { copied: 0, present: 0 },
    modelTurns: { copied: 0, present: 0 },
    shares: { copied: 0, present: 0 },
    settings: { copied: 0, present: 0 },
    budgetOverrides: { copied: 0, present: 0 },
    imageAccess: { copied: 0, present: 0 },
    favourites: { copied: 0, present: 0 },
    boards: { copied: 0, present: 0 },
    boardItems: { copied: 0, present: 0 },
    savedPrompts: { copied: 0, present: 0 },
    accounts: { copied: 0, present: 0 },
    images: { copied: 0, present: 0, verified: 0 },
    mismatches: [],
  };
  try {
    runMigrations(source);

    // Images first: a row copied before its image would name bytes the target does not have yet.
    const objectFiles = (await listFiles(path.join(dataDir, "objects"))).filter((file) => isContentHash(path.basename(file)));
    log(`images: ${objectFiles.length} in ${path.join(dataDir, "objects")}`);
    for (const file of objectFiles) {
      const hash = path.basename(file);
      const bytes = await fs.readFile(file);
      if (sha256(bytes) !== hash) {
        counts.mismatches.push(`${file}: the file's bytes do not hash to its name`);
        continue;
      }
      let stored = await images.get(hash);
      const existed = stored !== null;
      if (!stored) {
        await images.put(bytes);
        stored = await images.get(hash);
      }
      if (!stored || sha256(stored.bytes) !== hash) {
        counts.mismatches.push(`${hash}: the copy in the target does not match`);
        continue;
      }
      counts.images[existed ? "present" : "copied"] += 1;
      counts.images.verified += 1;
    }

    const sessions = source.prepare("SELECT id, owner_id, title, created_at, updated_at FROM sessions ORDER BY seq").all() as SessionRow[];
    counts.sessions.copied = await insertNew(
      target.db,
      "sessions",
      "id",
      sessions.map((row) => ({ ...row, title: pgText(row.title) })),
    );
    counts.sessions.present = sessions.length - counts.sessions.copied;
    log(`sessions: ${counts.sessions.copied} copied, ${counts.sessions.present} already there`);

    // seq order puts every parent before its children, as the foreign key needs.
    const turns = source
      .prepare(
        `SELECT id, session_id, owner_id, parent_id, created_at, updated_at, status, prompt, request_json, outcome_json,
                error_json, attempts, cover_image_hash, cost_json, cost_micro_usd, billed_at FROM turns ORDER BY seq`,
      )
      .all() as TurnRow[];
    counts.turns.copied = await insertNew(
      target.db,
      "turns",
      "id",
      turns.map((row) => ({ ...row, prompt: pgText(row.prompt) })),
    );
    counts.turns.present = turns.length - counts.turns.copied;
    log(`turns: ${counts.turns.copied} copied, ${counts.turns.present} already there`);

    // Model-turn files already hold the codec's format (image parts by hash): the body moves as is.
    const turnOwners = new Map(turns.map((row) => [row.id, row.owner_id]));
    const modelTurns: Array<Record<string, unknown>> = [];
    for (const file of await listFiles(path.join(dataDir, "model-turns"))) {
      const turnId = path.basename(file, ".json");
      const ownerId = path.basename(path.dirname(file));
      if (!file.endsWith(".json") || turnOwners.get(turnId) !== ownerId) continue;
      const body = await fs.readFile(file, "utf8");
      const saved = JSON.parse(body) as SavedModelTurn;
      if (saved.format !== MODEL_TURN_FORMAT || !Array.isArray(saved.turn?.parts)) throw new Error(`${file} is not a model turn this version can read.`);
      const stat = await fs.stat(file);
      modelTurns.push({ turn_id: turnId, owner_id: ownerId, body, updated_at: stat.mtime.toISOString() });
    }
    // Bodies are up to ~600 KB each: insert them a few at a time rather than in one huge statement.
    for (let start = 0; start < modelTurns.length; start += 20) {
      counts.modelTurns.copied += await insertNew(target.db, "model_turns", "turn_id", modelTurns.slice(start, start + 20));
    }
    counts.modelTurns.present = modelTurns.length - counts.modelTurns.copied;
    log(`model turns: ${counts.modelTurns.copied} copied, ${counts.modelTurns.present} already there`);

    // After the sessions: a share names its session (and goes with it when it is deleted).
    async function copyRows<T extends keyof StudioDatabase>(table: T, key: (keyof StudioDatabase[T] & string) | null, query: string) {
      const rows = source.prepare(query).all() as Array<Record<string, unknown>>;
      const copied = await insertNew(target.db, table, key, rows);
      log(`${table.replace(/_/g, " ")}: ${copied} copied, ${rows.length - copied} already there`);
      return { copied, present: rows.length - copied };
    }
    counts.shares = await copyRows(
      "session_shares",
      "session_id",
      "SELECT session_id, owner_id, mode, shared_by, shared_at FROM session_shares ORDER BY session_id",
    );
    counts.settings = await copyRows("studio_settings", "key", "SELECT key, value_json, updated_at, updated_by FROM studio_settings ORDER BY key");
    counts.budgetOverrides = await copyRows(
      "budget_overrides",
      "owner_id",
      "SELECT owner_id, limit_micro_usd, updated_at, updated_by FROM budget_overrides ORDER BY owner_id",
    );

    // Who may read which image (lib/storage/types.ts ImageAccessRepository): without these rows
    // every copied image would answer 404 to its owner.
    const access = source.prepare("SELECT owner_id, hash, session_id FROM image_access ORDER BY rowid").all() as Array<{ owner_id: string; hash: string; session_id: string | null }>;
    let accessCopied = 0;
    for (let start = 0; start < access.length; start += 1_000) {
      const batch = access.slice(start, start + 1_000);
      const result = await sql`
        INSERT INTO image_access (owner_id, hash, session_id)
        SELECT * FROM unnest(${batch.map((row) => row.owner_id)}::text[], ${batch.map((row) => row.hash)}::text[], ${batch.map((row) => row.session_id)}::text[])
        ON CONFLICT (owner_id, hash, (coalesce(session_id, ''))) DO NOTHING`.execute(target.db);
      accessCopied += Number(result.numAffectedRows ?? 0);
    }
    counts.imageAccess = { copied: accessCopied, present: access.length - accessCopied };
    log(`image access: ${counts.imageAccess.copied} copied, ${counts.imageAccess.present} already there`);

    // After the turns and sessions they name; boards before their items.
    counts.favourites = await copyRows("favourites", null, "SELECT owner_id, turn_id, hash, created_at FROM favourites ORDER BY rowid");
    counts.boards = await copyRows("boards", "id", "SELECT id, owner_id, name, created_at, updated_at FROM boards ORDER BY rowid");
    counts.boardItems = await copyRows("board_items", null, "SELECT board_id, turn_id, hash, added_at FROM board_items ORDER BY rowid");
    counts.savedPrompts = await copyRows("saved_prompts", "id", "SELECT id, owner_id, name, text, tags_json, created_at FROM saved_prompts ORDER BY rowid");

    counts.accounts = await copyAccounts(source, options.connectionString, dataDir, log);
  } finally {
    source.close();
    await target.close();
  }
  return counts;
}

function usage(): never {
  console.error("Usage: npm run migrate-data -- --to postgres\n\nNeeds DATABASE_URL (and STUDIO_S3_* for images in a bucket); reads STUDIO_DATA_DIR.");
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const to = args[args.indexOf("--to") + 1];
  if (!args.includes("--to") || to !== "postgres") usage();
  const env = getEnv();
  if (!env.databaseUrl) {
    console.error("DATABASE_URL is not set: it names the PostgreSQL database to copy into.");
    process.exit(2);
  }
  const images = env.s3 ? createS3ImageStore(env.s3) : createFileImageStore(env.dataDir);
  console.log(`Copying ${env.dataDir} into PostgreSQL${env.s3 ? ` and bucket ${env.s3.bucket}` : " (images stay in the data directory)"}.`);
  const counts = await migrateData({ dataDir: env.dataDir, connectionString: env.databaseUrl, images, log: (line) => console.log(line) });
  console.log(
    `Done: ${counts.sessions.copied} sessions, ${counts.turns.copied} turns, ${counts.modelTurns.copied} model turns, ` +
      `${counts.shares.copied} shares, ${counts.settings.copied + counts.budgetOverrides.copied} budget settings, ${counts.accounts.copied} account rows and ${counts.images.copied} images copied; ${counts.images.verified} images verified by hash.`,
  );
  if (counts.mismatches.length > 0) {
    console.error(`${counts.mismatches.length} image(s) did not match their hash:\n${counts.mismatches.map((line) => `  ${line}`).join("\n")}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
