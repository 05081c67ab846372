"use client";

import { PROMPT_ID } from "./prompt-editor";

/**
 * The page's first tab stop. Following a fragment moves only the point the next Tab starts from, not
 * focus itself, so the click focuses the prompt directly; the href keeps it working before hydration.
 */
export function SkipToPrompt() {
  return (
    <a
      href={`#${PROMPT_ID}`}
      onClick={(event) => {
        const prompt = document.getElementById(PROMPT_ID);
        if (!prompt) return;
        event.preventDefault();
        prompt.focus();
      }}
      className="sr-only z-50 rounded-md bg-banana-400 px-3 py-2 text-sm font-semibold text-zinc-950 focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
    >
      Skip to prompt
    </a>
  );
}
