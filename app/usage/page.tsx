import { DefaultBudgetForm, UserBudgetForm } from "@/components/usage/budget-forms";
import { PageFrame } from "@/components/usage/page-frame";
import { LedgerTable, UsageTable } from "@/components/usage/usage-tables";
import { PRICE_TABLE, formatUsd } from "@/lib/gemini/prices";
import { listPeople } from "@/lib/server/auth/accounts";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { formatMonth, formatResetDate, monthOf } from "@/lib/server/budgets";
import { loadUsageReport, resolveMonth } from "@/lib/server/usage-report";
import { getStorage } from "@/lib/storage";

export const dynamic = "force-dynamic";

/** Spend and budgets: each member's own; for admins, the whole team's with the budget controls. */
export default async function UsagePage({ searchParams }: { searchParams: Promise<{ month?: string | string[] }> }) {
  const viewer = await viewerOrRedirect();
  const month = resolveMonth((await searchParams).month);
  const people = viewer.role === "admin" ? await listPeople() : [];
  const report = await loadUsageReport(await getStorage(), viewer, month, new Date(), people);
  const names = Object.fromEntries((report.team?.users ?? []).map((user) => [user.userId, user.name]));
  const current = formatMonth(month) === formatMonth(monthOf(new Date()));
  const { own } = report;
  const pricesReadOn = [...new Set(PRICE_TABLE.flatMap((p) => [p.input, p.outputImage].flatMap((price) => (price ? [price.readOn] : []))))].sort();

  return (
    <PageFrame title="Usage">
      <h1 className="text-xl font-semibold">{report.team ? "Usage and budgets" : "Usage"}</h1>
      <form method="get" className="flex items-center gap-2 text-sm">
        <label htmlFor="month">Month</label>
        <input id="month" name="month" type="month" defaultValue={formatMonth(month)} data-testid="usage-month" className="rounded-md border border-zinc-300 bg-transparent px-2 py-1 dark:border-zinc-700" />
        <button type="submit" className="rounded-md border border-zinc-300 px-3 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
          Show
        </button>
        <span className="flex-1" />
        {report.team && (
          <a href={`/api/usage/export?month=${formatMonth(month)}`} data-testid="usage-export" className="rounded-md border border-zinc-300 px-3 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800" download>
            Export CSV
          </a>
        )}
      </form>

      <section aria-label="Your usage" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
        <h2 className="text-lg font-semibold">Your spend in {formatMonth(month)}</h2>
        <p className="mt-1 text-2xl font-semibold tabular-nums" data-testid="own-spend" data-micro-usd={report.ownSummary.total.microUsd}>
          {formatUsd(report.ownSummary.total.microUsd)}
        </p>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-300" data-testid="own-budget">
          {own.limitMicroUsd === null
            ? "No monthly budget is set for you."
            : `Budget ${formatUsd(own.limitMicroUsd)} a month${own.source === "override" ? " (set for you)" : ""}: ${formatUsd(own.leftMicroUsd ?? 0)} left this month${own.committedMicroUsd > 0 ? ` after ${formatUsd(own.committedMicroUsd)} reserved by images being made` : ""}. Resets on ${formatResetDate(own.resetsAt)} (UTC).`}
        </p>
        {!current && <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">The budget line is for the current month.</p>}
        {report.ownSummary.total.unreported > 0 && (
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{report.ownSummary.total.unreported} finished turns have no figure: Google reported no usage for them (for example, cancelled before the answer ended).</p>
        )}
        <div className="mt-4">
          <LedgerTable entries={report.ownEntries} showUser={false} />
        </div>
      </section>

      {report.team && (
        <section aria-label="Team usage" className="flex flex-col gap-6 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <div>
            <h2 className="text-lg font-semibold">Team spend in {formatMonth(month)}</h2>
            <p className="mt-1 text-2xl font-semibold tabular-nums" data-testid="team-spend" data-micro-usd={report.team.summary.total.microUsd}>
              {formatUsd(report.team.summary.total.microUsd)}
            </p>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              Includes {formatUsd(report.team.summary.total.unsuccessfulMicroUsd)} billed for failed, blocked or cancelled turns; {report.team.summary.total.unreported} turns without a figure. Prices read on {pricesReadOn.join(" and ")}; several are third-party figures (see lib/gemini/prices.ts).
            </p>
          </div>
          <DefaultBudgetForm limitMicroUsd={report.team.defaultLimitMicroUsd} />
          <section aria-label="Budgets per user">
            <h3 className="mb-2 text-sm font-semibold">Per user</h3>
            <table className="w-full text-sm" data-testid="user-budgets">
              <thead>
                <tr>
                  <th className="px-2 py-1 text-left font-medium text-zinc-500 dark:text-zinc-400">User</th>
                  <th className="px-2 py-1 text-right font-medium text-zinc-500 dark:text-zinc-400">Spend</th>
                  <th className="px-2 py-1 text-left font-medium text-zinc-500 dark:text-zinc-400">Budget</th>
                  <th className="px-2 py-1 text-left font-medium text-zinc-500 dark:text-zinc-400">Change</th>
                </tr>
              </thead>
              <tbody>
                {report.team.users.map((user) => (
                  <tr key={user.userId} data-user={user.userId} className="border-t border-zinc-100 dark:border-zinc-800">
                    <td className="px-2 py-1">
                      {user.name}
                      {user.email && <span className="block text-xs text-zinc-500 dark:text-zinc-400">{user.email}</span>}
                    </td>
                    <td className="px-2 py-1 text-right tabular-nums">{formatUsd(user.spentMicroUsd)}</td>
                    <td className="px-2 py-1">
                      {user.limitMicroUsd === null ? "no limit" : formatUsd(user.limitMicroUsd)} {user.source === "default" ? "(default)" : "(own)"}
                    </td>
                    <td className="px-2 py-1">
                      <UserBudgetForm userId={user.userId} limitMicroUsd={user.limitMicroUsd} isOverride={user.source === "override"} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <UsageTable title="Per model" rows={report.team.summary.byModel} testId="usage-by-model" keyLabel="Model" />
          <UsageTable title="Per day (UTC)" rows={report.team.summary.byDay} testId="usage-by-day" keyLabel="Day" />
          <section aria-label="All turns">
            <h3 className="mb-2 text-sm font-semibold">All turns</h3>
            <LedgerTable entries={report.team.entries} showUser names={names} />
          </section>
        </section>
      )}
    </PageFrame>
  );
}
