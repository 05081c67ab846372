/**
 * Google Search was requested but the answer came back without grounding metadata (Google does
 * that): say so, rather than show nothing and leave the designer guessing whether search ran.
 */
export function NoGroundingNotice() {
  return (
    <section
      data-testid="grounding-missing"
      aria-label="Google Search"
      className="rounded-lg border border-zinc-200 bg-white p-3 text-xs text-zinc-700 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300"
    >
      <p className="font-semibold text-zinc-900 dark:text-zinc-100">Google Search was on, but nothing was grounded</p>
      <p className="mt-1">
        Google returned this answer without search results, sources or search suggestions, so nothing in it is backed by a cited
        source. Ask for facts explicitly in the prompt to make the model search.
      </p>
    </section>
  );
}
