import "server-only";

import { betterAuth, type BetterAuthOptions } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { getMigrations } from "better-auth/db/migration";
import { nextCookies } from "better-auth/next-js";
import { admin, genericOAuth } from "better-auth/plugins";
import type { AuthEnv } from "@/lib/env";
import { recordAuditIn } from "./audit-store";
import { createStudioAuthTables, type AuthDatabase } from "./database";
import { clearSignInFailures, isSignInLocked, noteSignInFailure } from "./lockout";

/** The SSO provider's id in better-auth's routes: sign-in at /api/auth/sign-in/social, callback at /api/auth/callback/sso. */
export const SSO_PROVIDER_ID = "sso";

/** Failed sign-ins lock an address for this long. */
export const LOCK_MS = 15 * 60_000;

export interface StudioAuthOptions {
  database: AuthDatabase;
  secret: string;
  env: AuthEnv;
}

export function emailDomainAllowed(email: string, allowed: readonly string[]): boolean {
  const at = email.lastIndexOf("@");
  if (at < 1) return false;
  return allowed.includes(email.slice(at + 1).toLowerCase());
}

function requestAddress(headers: Headers | undefined): string | null {
  return headers?.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
}

/**
 * The studio's better-auth instance. Email + password with public sign-up closed (the setup page and
 * invitations create accounts through the admin API), optional OpenID Connect single sign-on, the
 * admin plugin for roles and disabling (a ban revokes every session at once), sign-in rate limits
 * kept in the database so a restart does not reset them, and a lock after repeated failures.
 */
export function createStudioAuth({ database, secret, env }: StudioAuthOptions) {
  const { kysely } = database;
  const secure = env.publicUrl?.startsWith("https://") ?? false;
  const oidc = env.oidc;
  const options = {
    appName: "Nano Banana Studio",
    secret,
    baseURL: env.publicUrl,
    database: { db: kysely, type: database.type },
    // Without a configured address every request names its own origin, and only that origin is
    // trusted: a form or fetch from any other site fails better-auth's origin check.
    trustedOrigins: async (request?: Request) => {
      if (env.publicUrl) return [new URL(env.publicUrl).origin];
      const host = request?.headers.get("host");
      if (!request || !host) return [];
      return [`${new URL(request.url).protocol}//${host}`];
    },
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: 10,
      maxPasswordLength: 256,
      autoSignIn: false,
    },
    session: {
      expiresIn: 60 * 60 * 24 * 14,
      updateAge: 60 * 60 * 24,
      // No cookie cache: a disabled person must be refused on the very next request.
      cookieCache: { enabled: false },
    },
    user: {
      validateUserInfo: ({ user, source }) => {
        if (source.method !== "oauth" || source.action !== "create-user") return;
        const email = typeof user.email === "string" ? user.email : "";
        if (!oidc || !emailDomainAllowed(email, oidc.allowedDomains)) {
          return { error: "domain_not_allowed", errorDescription: "This email domain may not join the studio; ask an admin for an invitation." };
        }
      },
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 200,
      customRules: {
        "/sign-in/email": { window: 60, max: 10 },
        "/sign-in/social": { window: 60, max: 20 },
      },
    },
    advanced: {
      useSecureCookies: secure,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure },
      ipAddress: { ipAddressHeaders: ["x-forwarded-for"] },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-in/email") return;
        const email = typeof ctx.body?.email === "string" ? ctx.body.email.trim().toLowerCase() : "";
        if (email && (await isSignInLocked(kysely, email))) {
          await recordAuditIn(kysely, { action: "sign_in.locked", actorEmail: email, address: requestAddress(ctx.headers) });
          throw new APIError("TOO_MANY_REQUESTS", {
            code: "ACCOUNT_LOCKED",
            message: "Too many failed sign-ins for this email. Try again in 15 minutes, or ask an admin.",
          });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const address = requestAddress(ctx.headers);
        if (ctx.path === "/sign-in/email") {
          const email = typeof ctx.body?.email === "string" ? ctx.body.email.trim().toLowerCase() : "";
          if (!email) return;
          const returned = ctx.context.returned;
          if (returned instanceof APIError) {
            if (returned.body?.code === "ACCOUNT_LOCKED") return;
            await noteSignInFailure(kysely, email, env.maxSignInFailures, LOCK_MS);
            await recordAuditIn(kysely, { action: "sign_in.failed", actorEmail: email, address });
            return;
          }
          const session = ctx.context.newSession;
          await clearSignInFailures(kysely, email);
          await recordAuditIn(kysely, { action: "sign_in", actorId: session?.user.id ?? null, actorEmail: email, detail: "password", address });
          return;
        }
        if (ctx.path.startsWith("/callback/")) {
          const session = ctx.context.newSession;
          if (session) {
            await recordAuditIn(kysely, { action: "sign_in", actorId: session.user.id, actorEmail: session.user.email, detail: "sso", address });
          } else {
            await recordAuditIn(kysely, { action: "sign_in.failed", detail: "sso", address });
          }
        }
      }),
    },
    plugins: [
      admin({ defaultRole: "user", adminRoles: ["admin"], bannedUserMessage: "This account is disabled. Ask an admin of the studio." }),
      ...(oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: SSO_PROVIDER_ID,
                  discoveryUrl: `${oidc.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
                  clientId: oidc.clientId,
                  clientSecret: oidc.clientSecret,
                  scopes: ["openid", "email", "profile"],
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
      // Last, as better-auth asks: sets the cookies of auth.api calls made inside server actions.
      nextCookies(),
    ],
  } satisfies BetterAuthOptions;
  return { auth: betterAuth(options), options };
}

export type StudioAuth = ReturnType<typeof createStudioAuth>["auth"];

/** better-auth's tables, then the studio's; each start applies only what is missing. */
export async function migrateAuthDatabase(options: BetterAuthOptions, database: AuthDatabase): Promise<void> {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  await createStudioAuthTables(database.kysely);
}
