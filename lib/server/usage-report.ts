import "server-only";

import type { BudgetLimit, LedgerEntry, Storage } from "@/lib/storage/types";
import type { Viewer } from "./auth/viewer";
import { budgetStatus, monthOf, parseMonth, type BudgetStatus, type MonthRange } from "./budgets";
import { summarizeLedger, type UsageSummary } from "./ledger";

/**
 * What the usage page and the CSV export show, from one read of the ledger. A member gets their
 * own figures; an admin also gets everyone's. The month is the viewer's choice (?month=YYYY-MM),
 * defaulting to the current UTC month.
 */

export interface UserBudgetLine {
  userId: string;
  /** The person's name and email from the accounts; the id alone for someone no longer there. */
  name: string;
  email: string | null;
  limitMicroUsd: BudgetLimit;
  source: "override" | "default";
  spentMicroUsd: number;
}

export interface UsageReport {
  month: MonthRange;
  /** The viewer's own standing this (current) month. */
  own: BudgetStatus;
  ownEntries: LedgerEntry[];
  ownSummary: UsageSummary;
  team: {
    entries: LedgerEntry[];
    summary: UsageSummary;
    defaultLimitMicroUsd: BudgetLimit;
    users: UserBudgetLine[];
  } | null;
}

export function resolveMonth(value: string | string[] | undefined, now: Date = new Date()): MonthRange {
  return (typeof value === "string" ? parseMonth(value) : null) ?? monthOf(now);
}

/** Someone with an account, as the usage page names them. */
export interface KnownPerson {
  id: string;
  name: string;
  email: string;
}

export async function loadUsageReport(
  storage: Storage,
  viewer: Viewer,
  month: MonthRange,
  now: Date = new Date(),
  people: readonly KnownPerson[] = [],
): Promise<UsageReport> {
  const [own, ownEntries] = await Promise.all([budgetStatus(storage, viewer.userId, now), storage.ledger.entries({ ...month, ownerId: viewer.userId })]);
  const report: UsageReport = { month, own, ownEntries, ownSummary: summarizeLedger(ownEntries), team: null };
  if (viewer.role !== "admin") return report;

  const [entries, defaults, overrides] = await Promise.all([storage.ledger.entries(month), storage.budgets.getDefault(), storage.budgets.listOverrides()]);
  const summary = summarizeLedger(entries);
  // Everyone with an account, plus anyone in the ledger or with a budget of their own who no longer has one.
  const userIds = new Set<string>([viewer.userId, ...people.map((person) => person.id), ...summary.byUser.map((row) => row.key), ...overrides.map((o) => o.ownerId)]);
  const byId = new Map(people.map((person) => [person.id, person]));
  const spentBy = new Map(summary.byUser.map((row) => [row.key, row.microUsd]));
  // Limits from the two reads above, not one read per person (BudgetRepository.standing's rule, applied here).
  const overrideOf = new Map(overrides.map((override) => [override.ownerId, override.limitMicroUsd]));
  const users = [...userIds].map(
    (userId): UserBudgetLine => ({
      userId,
      name: byId.get(userId)?.name ?? userId,
      email: byId.get(userId)?.email ?? null,
      ...(overrideOf.has(userId)
        ? { limitMicroUsd: overrideOf.get(userId) as BudgetLimit, source: "override" as const }
        : { limitMicroUsd: defaults.limitMicroUsd, source: "default" as const }),
      spentMicroUsd: spentBy.get(userId) ?? 0,
    }),
  );
  users.sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
  report.team = { entries, summary, defaultLimitMicroUsd: defaults.limitMicroUsd, users };
  return report;
}
