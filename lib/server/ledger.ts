import type { LedgerEntry } from "@/lib/storage/types";
import { formatUsdPrecise } from "@/lib/gemini/prices";

/**
 * The usage page's figures, all derived from the same ledger entries (one per finished turn), so
 * every total is the exact integer sum of the turns' recorded costs and rounds to the cent once.
 * Pure: no storage, no React, easy to check by hand.
 */

export interface UsageTotals {
  microUsd: number;
  turns: number;
  /** Finished turns with no figure: Google reported no usage, or the model has no prices. */
  unreported: number;
  /** Priced turns with a used component the studio has no price for: their cost is a lower bound. */
  partial: number;
  /** What failed, cancelled and interrupted turns were billed (included in microUsd). */
  unsuccessfulMicroUsd: number;
}

export interface UsageRow extends UsageTotals {
  key: string;
}

export interface UsageSummary {
  total: UsageTotals;
  byUser: UsageRow[];
  byModel: UsageRow[];
  /** YYYY-MM-DD (UTC), oldest first. */
  byDay: UsageRow[];
}

function emptyTotals(): UsageTotals {
  return { microUsd: 0, turns: 0, unreported: 0, partial: 0, unsuccessfulMicroUsd: 0 };
}

function add(totals: UsageTotals, entry: LedgerEntry): void {
  totals.turns += 1;
  if (entry.cost.microUsd === null) {
    totals.unreported += 1;
    return;
  }
  totals.microUsd += entry.cost.microUsd;
  if (entry.cost.unpriced.length > 0) totals.partial += 1;
  if (entry.status !== "succeeded") totals.unsuccessfulMicroUsd += entry.cost.microUsd;
}

function grouped(entries: readonly LedgerEntry[], keyOf: (entry: LedgerEntry) => string): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const entry of entries) {
    const key = keyOf(entry);
    let row = rows.get(key);
    if (!row) {
      row = { key, ...emptyTotals() };
      rows.set(key, row);
    }
    add(row, entry);
  }
  return [...rows.values()];
}

export function summarizeLedger(entries: readonly LedgerEntry[]): UsageSummary {
  const total = emptyTotals();
  for (const entry of entries) add(total, entry);
  const bySpend = (a: UsageRow, b: UsageRow) => b.microUsd - a.microUsd || a.key.localeCompare(b.key);
  return {
    total,
    byUser: grouped(entries, (entry) => entry.ownerId).sort(bySpend),
    byModel: grouped(entries, (entry) => entry.cost.model).sort(bySpend),
    byDay: grouped(entries, (entry) => entry.cost.billedAt.slice(0, 10)).sort((a, b) => a.key.localeCompare(b.key)),
  };
}

/** What a finished turn's line says about its bill, for people: "billed $0.0672", "not reported by Google". */
export function describeBill(entry: Pick<LedgerEntry, "status" | "cost">): string {
  const { cost, status } = entry;
  if (cost.microUsd === null) {
    return cost.status === "unknown_model" ? `no prices known for ${cost.model}` : "Google reported no usage";
  }
  const amount = `${cost.unpriced.length > 0 ? "at least " : ""}${formatUsdPrecise(cost.microUsd)}`;
  if (status === "succeeded") return `billed ${amount}`;
  return cost.microUsd === 0 ? `${status}: nothing billed` : `${status}, still billed ${amount}`;
}

const CSV_COLUMNS = ["billed_at", "user", "session_id", "turn_id", "status", "model", "cost_usd", "cost_micro_usd", "cost_status", "unpriced", "prices_read_on"];

/** One line per finished turn. Cells that could start a spreadsheet formula are quoted and prefixed. */
export function ledgerCsv(entries: readonly LedgerEntry[], userName: (ownerId: string) => string = (id) => id): string {
  const cell = (value: string | number | null) => {
    if (value === null) return "";
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text) && typeof value === "string") text = `'${text}`;
    return /[",\n\r]/.test(text) || text.startsWith("'") ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(",")];
  for (const entry of entries) {
    const { cost } = entry;
    lines.push(
      [
        cost.billedAt,
        userName(entry.ownerId),
        entry.sessionId,
        entry.turnId,
        entry.status,
        cost.model,
        cost.microUsd === null ? null : (cost.microUsd / 1_000_000).toFixed(6),
        cost.microUsd,
        cost.status,
        cost.unpriced.join(" "),
        cost.pricesReadOn,
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
