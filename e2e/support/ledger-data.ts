import path from "node:path";
import Database from "better-sqlite3";

/** The cost ledger as studio.db holds it, read beside the running server (WAL lets a reader see every commit). */
export interface LedgerRow {
  id: string;
  sessionId: string;
  ownerId: string;
  status: string;
  costMicroUsd: number | null;
  billedAt: string;
}

export function readLedger(dataDir: string, month: string): LedgerRow[] {
  const database = new Database(path.join(dataDir, "studio.db"), { readonly: true, fileMustExist: true });
  try {
    const [year, monthNumber] = month.split("-").map(Number) as [number, number];
    const from = new Date(Date.UTC(year, monthNumber - 1, 1)).toISOString();
    const to = new Date(Date.UTC(year, monthNumber, 1)).toISOString();
    return (
      database
        .prepare("SELECT id, session_id, owner_id, status, cost_micro_usd, billed_at FROM turns WHERE billed_at >= ? AND billed_at < ? ORDER BY billed_at, seq")
        .all(from, to) as Array<{ id: string; session_id: string; owner_id: string; status: string; cost_micro_usd: number | null; billed_at: string }>
    ).map((row) => ({
      id: row.id,
      sessionId: row.session_id,
      ownerId: row.owner_id,
      status: row.status,
      costMicroUsd: row.cost_micro_usd,
      billedAt: row.billed_at,
    }));
  } finally {
    database.close();
  }
}

export function sumMicroUsd(rows: readonly LedgerRow[]): number {
  return rows.reduce((sum, row) => sum + (row.costMicroUsd ?? 0), 0);
}

/** The same rounding the studio shows: to the cent, half away from zero. */
export function usd(microUsd: number): string {
  const cents = Math.round(microUsd / 10_000);
  return `$${Math.floor(cents / 100).toLocaleString("en-US")}.${String(cents % 100).padStart(2, "0")}`;
}

export function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

/** The user id of the seeded e2e admin (e2e/support/auth.ts), who owns what the specs generate. */
export function seededAdminId(dataDir: string, email: string): string {
  const database = new Database(path.join(dataDir, "studio.db"), { readonly: true, fileMustExist: true });
  try {
    const row = database.prepare('SELECT id FROM "user" WHERE email = ?').get(email) as { id: string } | undefined;
    if (!row) throw new Error(`No user ${email} in ${dataDir}: the studio did not seed its e2e admin.`);
    return row.id;
  } finally {
    database.close();
  }
}
