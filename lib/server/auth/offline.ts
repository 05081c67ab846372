import "server-only";

import { createHmac } from "node:crypto";
import { adoptPreAccountsData, countUsers, getAuthRuntime } from "./runtime";
import { recordAuditIn } from "./audit-store";
import { resolveAuthSecret } from "./secret";
import { getEnv } from "@/lib/env";

export const LOCAL_ADMIN_EMAIL = "local-admin@studio.invalid";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Offline preview (npm start without a key) signs a local admin in with no form, so the README's two
 * commands reach a working studio. Only then, and only on loopback: scripts/serve.ts binds the
 * server to 127.0.0.1 in this mode, and the Host must name this machine too.
 */
export function offlineAutoSignInAllowed(host: string | null): boolean {
  if (getEnv().mode !== "offline-preview" || !host) return false;
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  return LOOPBACK_HOSTS.has(hostname);
}

/** The local admin's password: derived from the cookie secret, never shown, never stored. */
function localAdminPassword(): string {
  const env = getEnv();
  return createHmac("sha256", resolveAuthSecret(env.auth.secret, env.dataDir)).update("offline-local-admin").digest("base64url");
}

/**
 * Signs the local admin in (creating it when the studio has nobody yet) and answers better-auth's
 * response with the session cookie, or null when this studio already has other people and no local
 * admin (then the sign-in form is the way in).
 */
export async function signInLocalAdmin(headers: Headers): Promise<Response | null> {
  const runtime = await getAuthRuntime();
  const { auth } = runtime;
  const context = await auth.$context;
  let user = await context.internalAdapter.findUserByEmail(LOCAL_ADMIN_EMAIL);
  if (!user) {
    if ((await countUsers(runtime)) > 0) return null;
    const created = await auth.api.createUser({
      body: { email: LOCAL_ADMIN_EMAIL, password: localAdminPassword(), name: "Local admin", role: "admin" },
    });
    await adoptPreAccountsData(created.user.id);
    await recordAuditIn(runtime.database.kysely, { action: "setup.admin_created", actorId: created.user.id, actorEmail: LOCAL_ADMIN_EMAIL, detail: "offline preview" });
    user = await context.internalAdapter.findUserByEmail(LOCAL_ADMIN_EMAIL);
  }
  if (!user || (user.user as { banned?: boolean | null }).banned) return null;
  return auth.api.signInEmail({ body: { email: LOCAL_ADMIN_EMAIL, password: localAdminPassword() }, headers, asResponse: true });
}
