import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Every e2e studio starts with the same seeded admin session (STUDIO_E2E_SESSION_TOKEN, see
 * lib/server/auth/runtime.ts) under the same secret, and browsers start with its signed cookie.
 * Cookies ignore ports, so one cookie signs the browser in to the main studio, offline preview and
 * every studio a spec starts on its own port: the specs written before accounts need no form.
 * Account specs (auth*.spec.ts) start from an empty browser context instead.
 */
export const E2E_AUTH = {
  secret: "e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz",
  sessionToken: "e2eSeededSessionToken0123456789abcdefXYZ",
  adminEmail: "e2e@studio.test",
  cookieName: "better-auth.session_token",
} as const;

export const E2E_AUTH_ENV = {
  BETTER_AUTH_SECRET: E2E_AUTH.secret,
  STUDIO_E2E_SESSION_TOKEN: E2E_AUTH.sessionToken,
} as const;

/** The cookie value better-auth expects: token, ".", base64 HMAC-SHA256 of the token, URL-encoded. */
export function signedSessionCookie(token: string, secret: string): string {
  const signature = createHmac("sha256", secret).update(token).digest("base64");
  return encodeURIComponent(`${token}.${signature}`);
}

/** Writes the Playwright storage state with the seeded session's cookie; returns its path. */
export function writeSeededStorageState(root: string): string {
  const file = path.join(root, "test-results", ".auth", "seeded-admin.json");
  mkdirSync(path.dirname(file), { recursive: true });
  const cookie = {
    name: E2E_AUTH.cookieName,
    value: signedSessionCookie(E2E_AUTH.sessionToken, E2E_AUTH.secret),
    domain: "127.0.0.1",
    path: "/",
    expires: -1,
    httpOnly: true,
    secure: false,
    sameSite: "Lax" as const,
  };
  writeFileSync(file, JSON.stringify({ cookies: [cookie], origins: [] }));
  return file;
}
