import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "@/lib/storage/types";
import { describeBill, ledgerCsv, summarizeLedger } from "./ledger";

function entry(partial: Partial<LedgerEntry> & { microUsd: number | null; at: string; model?: string; unpriced?: LedgerEntry["cost"]["unpriced"] }): LedgerEntry {
  return {
    turnId: partial.turnId ?? `t-${partial.at}`,
    sessionId: "s1",
    ownerId: partial.ownerId ?? "alice",
    status: partial.status ?? "succeeded",
    cost: {
      model: partial.model ?? "gemini-3.1-flash-image",
      status: partial.microUsd === null ? "not_reported" : "priced",
      microUsd: partial.microUsd,
      unpriced: partial.unpriced ?? [],
      pricesReadOn: partial.microUsd === null ? null : "2026-12-05",
      billedAt: partial.at,
    },
  };
}

const entries = [
  entry({ microUsd: 67_200, at: "2026-12-01T10:00:00.000Z" }),
  entry({ microUsd: 134_400, at: "2026-12-01T23:59:59.999Z", ownerId: "bob", model: "gemini-3-pro-image" }),
  entry({ microUsd: 305, at: "2026-12-02T00:00:00.000Z", status: "failed" }),
  entry({ microUsd: null, at: "2026-12-03T08:00:00.000Z", status: "cancelled", ownerId: "bob" }),
  entry({ microUsd: 33_600, at: "2026-12-03T09:00:00.000Z", unpriced: ["input"], model: "gemini-3.1-flash-lite-image" }),
];

describe("summarizeLedger", () => {
  it("adds integer micro-dollars per user, model and UTC day, and counts what has no figure", () => {
    const summary = summarizeLedger(entries);
    expect(summary.total).toEqual({ microUsd: 235_505, turns: 5, unreported: 1, partial: 1, unsuccessfulMicroUsd: 305 });
    expect(summary.byUser.map((row) => [row.key, row.microUsd, row.turns, row.unreported])).toEqual([
      ["bob", 134_400, 2, 1],
      ["alice", 101_105, 3, 0],
    ]);
    expect(summary.byModel.map((row) => [row.key, row.microUsd])).toEqual([
      ["gemini-3-pro-image", 134_400],
      ["gemini-3.1-flash-image", 67_505],
      ["gemini-3.1-flash-lite-image", 33_600],
    ]);
    expect(summary.byDay.map((row) => [row.key, row.microUsd])).toEqual([
      ["2026-12-01", 201_600],
      ["2026-12-02", 305],
      ["2026-12-03", 33_600],
    ]);
    const sum = (rows: { microUsd: number }[]) => rows.reduce((total, row) => total + row.microUsd, 0);
    expect(sum(summary.byUser)).toBe(summary.total.microUsd);
    expect(sum(summary.byModel)).toBe(summary.total.microUsd);
    expect(sum(summary.byDay)).toBe(summary.total.microUsd);
  });

  it("is all zeros for an empty month", () => {
    expect(summarizeLedger([])).toEqual({ total: { microUsd: 0, turns: 0, unreported: 0, partial: 0, unsuccessfulMicroUsd: 0 }, byUser: [], byModel: [], byDay: [] });
  });
});

describe("describeBill", () => {
  it("says what Google billed for failed turns, and when it reported nothing", () => {
    expect(describeBill(entries[0] as LedgerEntry)).toBe("billed $0.0672");
    expect(describeBill(entries[2] as LedgerEntry)).toBe("failed, still billed $0.000305");
    expect(describeBill(entries[3] as LedgerEntry)).toBe("Google reported no usage");
    expect(describeBill(entries[4] as LedgerEntry)).toBe("billed at least $0.0336");
    expect(describeBill({ status: "failed", cost: { ...(entries[2] as LedgerEntry).cost, microUsd: 0 } })).toBe("failed: nothing billed");
  });
});

describe("ledgerCsv", () => {
  it("writes one line per turn with exact amounts and empty cells for missing figures", () => {
    const csv = ledgerCsv(entries.slice(2, 4));
    expect(csv.split("\r\n")).toEqual([
      "billed_at,user,session_id,turn_id,status,model,cost_usd,cost_micro_usd,cost_status,unpriced,prices_read_on",
      "2026-12-02T00:00:00.000Z,alice,s1,t-2026-12-02T00:00:00.000Z,failed,gemini-3.1-flash-image,0.000305,305,priced,,2026-12-05",
      "2026-12-03T08:00:00.000Z,bob,s1,t-2026-12-03T08:00:00.000Z,cancelled,gemini-3.1-flash-image,,,not_reported,,",
      "",
    ]);
  });

  it("defuses spreadsheet formulas and quotes separators in names", () => {
    const csv = ledgerCsv([entries[0] as LedgerEntry], () => '=HYPERLINK("x"),evil');
    expect(csv).toContain(`"'=HYPERLINK(""x""),evil"`);
  });
});
