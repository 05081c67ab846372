import "server-only";

import type { Kysely } from "kysely";
import type { AuthTables } from "./database";

/**
 * Locks an email address after repeated failed password sign-ins. better-auth's rate limit counts
 * requests per client address; this counts failures per account, so guessing from many addresses
 * is stopped too. It is kept for unknown addresses as well, so a lock says nothing about whether an
 * account exists.
 */
export async function isSignInLocked(db: Kysely<AuthTables>, email: string, now = new Date()): Promise<boolean> {
  const row = await db.selectFrom("studio_sign_in_failure").select("locked_until").where("email", "=", email).executeTakeFirst();
  return row?.locked_until != null && row.locked_until > now.toISOString();
}

export async function noteSignInFailure(db: Kysely<AuthTables>, email: string, maxFailures: number, lockMs: number, now = new Date()): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("studio_sign_in_failure").selectAll().where("email", "=", email).executeTakeFirst();
    // A lock that has run out starts a fresh count.
    const expired = row?.locked_until != null && row.locked_until <= at;
    const failures = (row && !expired ? row.failures : 0) + 1;
    const lockedUntil = failures >= maxFailures ? new Date(now.getTime() + lockMs).toISOString() : null;
    await trx
      .insertInto("studio_sign_in_failure")
      .values({ email, failures, locked_until: lockedUntil, updated_at: at })
      .onConflict((conflict) => conflict.column("email").doUpdateSet({ failures, locked_until: lockedUntil, updated_at: at }))
      .execute();
  });
}

export async function clearSignInFailures(db: Kysely<AuthTables>, email: string): Promise<void> {
  await db.deleteFrom("studio_sign_in_failure").where("email", "=", email).execute();
}
