import "server-only";

import { randomBytes } from "node:crypto";
import { getEnv } from "@/lib/env";
import { log } from "@/lib/server/log";
import { getStorage } from "@/lib/storage";
import { createStudioAuth, migrateAuthDatabase, type StudioAuth } from "./auth";
import { createStudioAuthTables, openPostgresAuthDatabase, openSqliteAuthDatabase, sharedAuthSecret, withAuthSchemaLock, type AuthDatabase } from "./database";
import { resolveAuthSecret } from "./secret";

export interface AuthRuntime {
  auth: StudioAuth;
  database: AuthDatabase;
}

/** Who owned everything before the studio had accounts (round 1 stored "local" on every row). */
const PRE_ACCOUNTS_OWNER_ID = "local";

export const E2E_ADMIN_EMAIL = "e2e@studio.test";

// On globalThis like the storage (lib/storage/index.ts): the dev server re-evaluates modules.
const RUNTIME_KEY = Symbol.for("nano-banana-studio.auth");
type RuntimeGlobal = typeof globalThis & { [RUNTIME_KEY]?: Promise<AuthRuntime> };

/** The accounts, opened and migrated on first use; a failure is retried by the next call. */
export function getAuthRuntime(): Promise<AuthRuntime> {
  const holder = globalThis as RuntimeGlobal;
  holder[RUNTIME_KEY] ??= openAuthRuntime().catch((error: unknown) => {
    delete holder[RUNTIME_KEY];
    throw error;
  });
  return holder[RUNTIME_KEY];
}

export async function getAuth(): Promise<StudioAuth> {
  return (await getAuthRuntime()).auth;
}

async function openAuthRuntime(): Promise<AuthRuntime> {
  const env = getEnv();
  // The storage creates the data directory and the database file, and owns its migrations.
  await getStorage();
  const database = env.databaseUrl ? openPostgresAuthDatabase(env.databaseUrl) : openSqliteAuthDatabase(env.dataDir);
  try {
    const auth = await withAuthSchemaLock(database, async () => {
      let secret = env.auth.secret;
      if (!secret && database.type === "postgres") {
        // Instances share the database, not a directory: the secret lives with the accounts.
        await createStudioAuthTables(database.kysely);
        secret = await sharedAuthSecret(database.kysely);
      }
      const created = createStudioAuth({ database, secret: secret ?? resolveAuthSecret(undefined, env.dataDir), env: env.auth });
      await migrateAuthDatabase(created.options, database);
      return created.auth;
    });
    const runtime = { auth, database };
    if (env.auth.e2eSessionToken) await seedE2eSession(runtime, env.auth.e2eSessionToken);
    return runtime;
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function countUsers(runtime?: AuthRuntime): Promise<number> {
  const { database } = runtime ?? (await getAuthRuntime());
  const row = await database.kysely
    .selectFrom("user" as never)
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * The first admin takes over what the studio made before it had accounts, so a team upgrading
 * from a single-user studio keeps its sessions.
 */
export async function adoptPreAccountsData(userId: string): Promise<void> {
  const storage = await getStorage();
  const moved = await storage.reassignOwner(PRE_ACCOUNTS_OWNER_ID, userId);
  if (moved > 0) log.info("auth.adopted_local_sessions", { userId, sessions: moved });
}

/**
 * Tests only (STUDIO_E2E_SESSION_TOKEN): an admin with a session under a token the test runner
 * knows, so every e2e studio accepts the same signed cookie and the existing specs need no form.
 */
async function seedE2eSession({ auth }: AuthRuntime, token: string): Promise<void> {
  const context = await auth.$context;
  let user = await context.internalAdapter.findUserByEmail(E2E_ADMIN_EMAIL);
  if (!user) {
    const created = await auth.api.createUser({
      body: { email: E2E_ADMIN_EMAIL, password: randomBytes(24).toString("base64url"), name: "E2E Admin", role: "admin" },
    });
    await adoptPreAccountsData(created.user.id);
    user = await context.internalAdapter.findUserByEmail(E2E_ADMIN_EMAIL);
  }
  if (!user) throw new Error("The e2e admin could not be created.");
  const existing = await context.adapter.findOne({ model: "session", where: [{ field: "token", value: token }] });
  if (existing) return;
  const now = new Date();
  await context.adapter.create({
    model: "session",
    data: { token, userId: user.user.id, expiresAt: new Date(now.getTime() + 7 * 24 * 3_600_000), createdAt: now, updatedAt: now },
  });
}
