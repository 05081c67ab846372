/**
 * Next.js inlines every NEXT_PUBLIC_* variable into the browser bundle at build time. The Gemini key
 * must never sit in one, whatever a deployment's environment holds, so next.config.ts refuses to
 * build when a public variable is named like the key or carries its value.
 */
export function assertKeyStaysOnServer(env: Record<string, string | undefined>): void {
  const key = env.GEMINI_API_KEY?.trim();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("NEXT_PUBLIC_") || !value) continue;
    // A short key value would match ordinary text; real keys are far longer.
    if (/GEMINI|API_?KEY/i.test(name) || (key && key.length >= 8 && value.includes(key))) {
      throw new Error(`${name} would put a server secret into the browser bundle; remove it (GEMINI_API_KEY is read on the server only).`);
    }
  }
}
