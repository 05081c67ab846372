import type { TurnStatus } from "@/lib/storage/types";

const STYLES: Record<TurnStatus, { label: string; className: string }> = {
  queued: { label: "Queued", className: "bg-zinc-200 text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200" },
  running: { label: "Running", className: "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200" },
  succeeded: { label: "Done", className: "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200" },
  failed: { label: "Failed", className: "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200" },
  interrupted: { label: "Interrupted", className: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200" },
  cancelled: { label: "Cancelled", className: "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300" },
};

export function TurnStatusBadge({ status }: { status: TurnStatus }) {
  const style = STYLES[status];
  return (
    <span data-testid="turn-status" data-status={status} className={`rounded px-1.5 py-0.5 text-[11px] font-medium ${style.className}`}>
      {style.label}
    </span>
  );
}
