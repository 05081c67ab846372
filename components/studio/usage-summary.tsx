import type { Usage } from "@/lib/gemini/types";
import { formatInteger } from "@/lib/format/integer";

const format = formatInteger;

/**
 * Tokens as Google reported them, broken out the way they are billed: prompt (with what Google
 * Search added), thinking, image and text output. What Google did not report says so, never 0.
 */
export function UsageSummary({ usage }: { usage: Usage | null }) {
  if (!usage) {
    return (
      <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="usage">
        Token usage: not reported by Google for this answer.
      </p>
    );
  }
  const unknown = new Set(usage.notReported ?? []);
  const entries: Array<[string, string]> = [
    ["prompt", format(usage.promptTokens)],
    ...(usage.toolUsePromptTokens ? ([["Google Search", format(usage.toolUsePromptTokens)]] as Array<[string, string]>) : []),
    ["thinking", format(usage.thoughtsTokens)],
    ["image", unknown.has("imageTokens") ? "not reported" : format(usage.imageTokens)],
    ["text", unknown.has("textTokens") || usage.textTokens === null || usage.textTokens === undefined ? "not reported" : format(usage.textTokens)],
  ];
  return (
    <div className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="usage">
      <p>{format(usage.totalTokens)} tokens in total</p>
      <dl className="mt-0.5 flex flex-wrap gap-x-3">
        {entries.map(([label, value]) => (
          <div key={label} className="flex gap-1" data-testid={`usage-${label.replace(/\s+/g, "-").toLowerCase()}`}>
            <dt>{label}</dt>
            <dd className="tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** Whether an attempt that returned no image was billed, read from the usage Google reported. */
export function billingNote(usage: Usage | null): string {
  if (!usage) return "Google reported no token usage for this attempt, so the studio can't say whether it was billed.";
  const billed = usage.promptTokens + usage.thoughtsTokens + (usage.toolUsePromptTokens ?? 0);
  if (usage.outputTokens === 0 && usage.imageTokens === 0) {
    return usage.thoughtsTokens > 0
      ? `No image tokens were counted, but Google counted ${format(billed)} tokens for this attempt (${format(usage.thoughtsTokens)} of them thinking): those are normally billed.`
      : `No image tokens were counted; Google counted ${format(billed)} prompt tokens for this attempt.`;
  }
  return `Google counted ${format(usage.totalTokens)} tokens for this attempt, ${format(usage.imageTokens)} of them image output.`;
}
