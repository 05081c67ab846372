import Link from "next/link";
import { formatUsd } from "@/lib/gemini/prices";
import { describeBill, type UsageRow } from "@/lib/server/ledger";
import type { LedgerEntry } from "@/lib/storage/types";

const th = "px-2 py-1 text-left font-medium text-zinc-500 dark:text-zinc-400";
const td = "px-2 py-1";

/** "12 turns, 1 without a figure" */
function countNote(row: Pick<UsageRow, "turns" | "unreported" | "partial">): string {
  const notes = [`${row.turns} turn${row.turns === 1 ? "" : "s"}`];
  if (row.unreported > 0) notes.push(`${row.unreported} not reported`);
  if (row.partial > 0) notes.push(`${row.partial} partly priced`);
  return notes.join(", ");
}

export function UsageTable({ title, rows, testId, keyLabel }: { title: string; rows: UsageRow[]; testId: string; keyLabel: string }) {
  return (
    <section aria-label={title}>
      <h3 className="mb-2 text-sm font-semibold">{title}</h3>
      {rows.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Nothing this month.</p>
      ) : (
        <table className="w-full text-sm" data-testid={testId}>
          <thead>
            <tr>
              <th className={th}>{keyLabel}</th>
              <th className={`${th} text-right`}>Spend</th>
              <th className={`${th} text-right`}>Of which failed or blocked</th>
              <th className={th}>Turns</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key} data-key={row.key} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className={td}>{row.key}</td>
                <td className={`${td} text-right tabular-nums`} data-testid="row-spend">
                  {formatUsd(row.microUsd)}
                </td>
                <td className={`${td} text-right tabular-nums`}>{formatUsd(row.unsuccessfulMicroUsd)}</td>
                <td className={`${td} text-zinc-500 dark:text-zinc-400`}>{countNote(row)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Every finished turn of the month with what Google billed for it, failed and blocked ones included. */
export function LedgerTable({ entries, showUser, names }: { entries: LedgerEntry[]; showUser: boolean; names?: Readonly<Record<string, string>> }) {
  if (entries.length === 0) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No finished turns this month.</p>;
  return (
    <table className="w-full text-sm" data-testid="ledger">
      <thead>
        <tr>
          <th className={th}>Finished (UTC)</th>
          {showUser && <th className={th}>User</th>}
          <th className={th}>Model</th>
          <th className={th}>Status</th>
          <th className={th}>Bill</th>
        </tr>
      </thead>
      <tbody>
        {[...entries].reverse().map((entry) => (
          <tr key={entry.turnId} data-testid="ledger-row" data-turn-id={entry.turnId} data-micro-usd={entry.cost.microUsd ?? ""} className="border-t border-zinc-100 dark:border-zinc-800">
            <td className={`${td} tabular-nums`}>
              <Link href={`/s/${entry.sessionId}?turn=${entry.turnId}`} className="hover:underline">
                {entry.cost.billedAt.slice(0, 16).replace("T", " ")}
              </Link>
            </td>
            {showUser && <td className={td}>{names?.[entry.ownerId] ?? entry.ownerId}</td>}
            <td className={td}>{entry.cost.model}</td>
            <td className={td}>{entry.status}</td>
            <td className={td} data-testid="ledger-bill">
              {describeBill(entry)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
