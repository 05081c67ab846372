import { listAudit } from "@/lib/server/audit";

export const dynamic = "force-dynamic";

/** Who did what, when: the newest 500 entries. */
export default async function AuditPage() {
  const entries = await listAudit({ limit: 500 });
  return (
    <section className="space-y-4">
      <h1 className="text-xl font-semibold">Audit log</h1>
      <div className="overflow-x-auto rounded-md border border-zinc-200 dark:border-zinc-800">
        <table className="w-full text-left text-sm" data-testid="audit-table">
          <thead className="bg-zinc-50 text-xs uppercase text-zinc-500 dark:text-zinc-400 dark:bg-zinc-900">
            <tr>
              <th className="px-3 py-2">When (UTC)</th>
              <th className="px-3 py-2">Who</th>
              <th className="px-3 py-2">What</th>
              <th className="px-3 py-2">Target</th>
              <th className="px-3 py-2">Detail</th>
              <th className="px-3 py-2">Address</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} className="border-t border-zinc-200 dark:border-zinc-800" data-testid="audit-row" data-action={entry.action}>
                <td className="whitespace-nowrap px-3 py-2 tabular-nums">{entry.at.replace("T", " ").slice(0, 19)}</td>
                <td className="px-3 py-2">{entry.actorEmail ?? "—"}</td>
                <td className="px-3 py-2 font-mono text-xs">{entry.action}</td>
                <td className="px-3 py-2">{entry.target ?? ""}</td>
                <td className="px-3 py-2">{entry.detail ?? ""}</td>
                <td className="px-3 py-2 font-mono text-xs">{entry.address ?? ""}</td>
              </tr>
            ))}
            {entries.length === 0 && (
              <tr>
                <td colSpan={6} className="px-3 py-6 text-center text-zinc-500 dark:text-zinc-400">
                  Nothing recorded yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
