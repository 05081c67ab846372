import type { StudioError } from "@/lib/gemini/types";

/**
 * Removes configured secrets (the Gemini API key, whatever its shape) from text that designers see.
 * The upstream, or a proxy in front of it, may echo the key in an error message ("API key
 * sk-live-… not valid"), and redactSecrets in lib/gemini/errors.ts only knows Google's `AIza…`
 * shape. This knows the actual value, so it catches any shape, and the forms a URL or a JSON body
 * would carry it in.
 *
 * Secrets shorter than MIN_SECRET_LENGTH are left alone: replacing every "abc" in a message would
 * garble it, and a key that short is no secret worth hiding.
 */

export const REDACTED = "[redacted]";
const MIN_SECRET_LENGTH = 6;

function spellings(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of spellings(secret)) result = result.split(form).join(REDACTED);
  }
  return result;
}

/** Every string field of the error (message, action, detail, what the model said, …), redacted. */
export function redactStudioError(error: StudioError, secrets: readonly (string | undefined)[]): StudioError {
  if (!secrets.some((secret) => secret && secret.length >= MIN_SECRET_LENGTH)) return error;
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) redacted[key] = typeof value === "string" ? redactText(value, secrets) : value;
  return redacted as unknown as StudioError;
}
