import { describe, expect, it } from "vitest";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { createStudioAuth, migrateAuthDatabase } from "./auth";
import { createStudioAuthTables, openPostgresAuthDatabase, sharedAuthSecret, withAuthSchemaLock, type AuthDatabase } from "./database";

// Accounts on PostgreSQL, as several instances sharing one database start them: real PostgreSQL,
// real better-auth.

const env = { secret: undefined, publicUrl: "http://studio.test", oidc: undefined, maxSignInFailures: 5, e2eSessionToken: undefined };

/** What lib/server/auth/runtime.ts does at start, for one instance. */
async function startInstance(database: AuthDatabase) {
  return withAuthSchemaLock(database, async () => {
    await createStudioAuthTables(database.kysely);
    const secret = await sharedAuthSecret(database.kysely);
    const created = createStudioAuth({ database, secret, env });
    await migrateAuthDatabase(created.options, database);
    return { ...created, secret };
  });
}

describe.skipIf(skipPostgres)("accounts on PostgreSQL", () => {
  const cluster = withPostgres();

  it("two instances starting at once migrate once, share one secret, and see the same people", async () => {
    const url = await cluster().createDatabase();
    const first = openPostgresAuthDatabase(url);
    const second = openPostgresAuthDatabase(url);
    try {
      const [a, b] = await Promise.all([startInstance(first), startInstance(second)]);
      expect(a.secret).toBe(b.secret);
      expect(a.secret.length).toBeGreaterThanOrEqual(32);

      await a.auth.api.createUser({ body: { email: "ann@example.com", password: "a long enough password", name: "Ann", role: "admin" } });
      // Signed in through the other instance: same accounts, and its cookie is valid on the first.
      const signedIn = await b.auth.api.signInEmail({ body: { email: "ann@example.com", password: "a long enough password" }, asResponse: true });
      expect(signedIn.status).toBe(200);
      const cookie = signedIn.headers.get("set-cookie")?.split(";")[0] ?? "";
      expect(cookie).toMatch(/session_token=/);
      const session = await a.auth.api.getSession({ headers: new Headers({ cookie }) });
      expect(session?.user.email).toBe("ann@example.com");

      const wrong = await a.auth.api.signInEmail({ body: { email: "ann@example.com", password: "not the password" }, asResponse: true });
      expect(wrong.status).toBe(401);

      // A restart finds everything in place and changes nothing.
      const again = await startInstance(first);
      expect(again.secret).toBe(a.secret);
      const users = await first.kysely.selectFrom("user" as never).select((eb) => eb.fn.countAll<string>().as("count")).executeTakeFirstOrThrow();
      expect(Number(users.count)).toBe(1);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);
});
