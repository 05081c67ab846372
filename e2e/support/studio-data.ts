import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/**
 * What a studio has stored, read straight from its data directory: the rows of studio.db and the
 * files beside it. Specs compare a snapshot before and after a failure to prove what was stored
 * and that nothing else was (no stray row, no orphan or half-written file).
 */

export interface StoredTurn {
  id: string;
  sessionId: string;
  status: string;
  attempts: number;
  request: { prompt: string; references: unknown[]; settings: Record<string, unknown> };
  outcome: { images: Array<{ hash: string }>; thoughts: Array<{ kind: string; hash?: string }>; text: string } | null;
  error: { code: string; message: string; action: string; retryable: boolean; [key: string]: unknown } | null;
}

export interface DataSnapshot {
  sessionIds: string[];
  turns: StoredTurn[];
  /** Content hashes of every file under objects/. */
  objects: string[];
  /** Temp files of writes that never finished. */
  partFiles: string[];
  /** Named copies of results (gen-…, edit-…, search-…). */
  exports: string[];
}

interface TurnRow {
  id: string;
  session_id: string;
  status: string;
  attempts: number;
  request_json: string;
  outcome_json: string | null;
  error_json: string | null;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

export function readDataDir(dataDir: string): DataSnapshot {
  const databaseFile = path.join(dataDir, "studio.db");
  let sessionIds: string[] = [];
  let turns: StoredTurn[] = [];
  if (existsSync(databaseFile)) {
    // Read-only beside the running server: WAL lets a reader see every committed write.
    const database = new Database(databaseFile, { readonly: true, fileMustExist: true });
    try {
      sessionIds = (database.prepare("SELECT id FROM sessions ORDER BY seq").all() as Array<{ id: string }>).map((row) => row.id);
      turns = (database.prepare("SELECT * FROM turns ORDER BY seq").all() as TurnRow[]).map((row) => ({
        id: row.id,
        sessionId: row.session_id,
        status: row.status,
        attempts: row.attempts,
        request: JSON.parse(row.request_json) as StoredTurn["request"],
        outcome: row.outcome_json ? (JSON.parse(row.outcome_json) as StoredTurn["outcome"]) : null,
        error: row.error_json ? (JSON.parse(row.error_json) as StoredTurn["error"]) : null,
      }));
    } finally {
      database.close();
    }
  }
  const rootEntries = existsSync(dataDir) && statSync(dataDir).isDirectory() ? readdirSync(dataDir) : [];
  return {
    sessionIds,
    turns,
    objects: listFiles(path.join(dataDir, "objects")).map((file) => path.basename(file)).sort(),
    partFiles: [...listFiles(path.join(dataDir, "tmp")), ...listFiles(path.join(dataDir, "objects"))].filter((file) => file.endsWith(".part")),
    exports: rootEntries.filter((name) => /^(gen|edit|search)-/.test(name)).sort(),
  };
}

/** Hashes a turn's row points at: results, thought images and references. */
export function hashesOf(turn: StoredTurn): string[] {
  const fromOutcome = [
    ...(turn.outcome?.images.map((image) => image.hash) ?? []),
    ...(turn.outcome?.thoughts.flatMap((thought) => (thought.hash ? [thought.hash] : [])) ?? []),
  ];
  const fromRequest = turn.request.references.flatMap((reference) =>
    typeof reference === "object" && reference !== null && typeof (reference as { hash?: unknown }).hash === "string" ? [(reference as { hash: string }).hash] : [],
  );
  return [...fromOutcome, ...fromRequest];
}

/** What changed between two snapshots. */
export function diffData(before: DataSnapshot, after: DataSnapshot) {
  const known = new Set(before.turns.map((turn) => turn.id));
  return {
    newSessions: after.sessionIds.filter((id) => !before.sessionIds.includes(id)),
    newTurns: after.turns.filter((turn) => !known.has(turn.id)),
    /** Rows that existed before and now differ: a failure must not touch them. */
    changedTurns: after.turns.filter((turn) => {
      const old = before.turns.find((candidate) => candidate.id === turn.id);
      return old !== undefined && JSON.stringify(old) !== JSON.stringify(turn);
    }),
    newObjects: after.objects.filter((hash) => !before.objects.includes(hash)),
    newExports: after.exports.filter((name) => !before.exports.includes(name)),
  };
}

/** The `?turn=` of a studio URL. */
export function turnIdFromUrl(url: string): string {
  const id = new URL(url).searchParams.get("turn");
  if (!id) throw new Error(`No turn in ${url}`);
  return id;
}
