import "server-only";

import pg from "pg";

/**
 * Which studio instances are alive, as PostgreSQL session-level advisory locks: each instance holds
 * a shared lock on one key for as long as it runs, on a connection of its own. The server drops a
 * connection's locks when the connection ends, a killed process included, so the lock is held
 * exactly by the instances still running.
 *
 * Startup recovery uses it: turns left queued or running may be marked interrupted only when no
 * other instance could be running them, i.e. when this one can take the key exclusively (and even
 * then not those the shared job queue holds: PostgresStorage.interruptUnqueued). With
 * others alive it leaves them alone: finishing the turns of an instance that dies while others run
 * is the shared job queue's work (lib/server/jobs/shared-queue.ts), which knows which instance ran
 * what and checks each second.
 */

/** "nbstudio" in ASCII: one key for every studio sharing a database. */
const INSTANCE_LOCK_KEY = BigInt("0x6e6273747564696f");

export interface InstanceMembership {
  /** True when no other instance held the lock as this one joined. */
  alone: boolean;
  release(): Promise<void>;
}

/**
 * Joins the running instances. When none is running, `recoverAlone` runs first, while this instance
 * holds the key exclusively: an instance starting meanwhile waits for it before it joins (and before
 * it can start any job), so recovery never interrupts a turn another instance has just begun.
 */
export async function joinInstances(connectionString: string, recoverAlone: () => Promise<void>): Promise<InstanceMembership> {
  const client = new pg.Client({ connectionString });
  // A dropped connection means the lock is gone; there is nothing to do but not crash.
  client.on("error", () => undefined);
  await client.connect();
  try {
    const key = INSTANCE_LOCK_KEY.toString();
    const { rows } = await client.query<{ alone: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS alone", [key]);
    const alone = rows[0]?.alone === true;
    if (alone) await recoverAlone();
    // Shared before letting go of the exclusive hold, so this instance is never unlisted.
    await client.query("SELECT pg_advisory_lock_shared($1::bigint)", [key]);
    if (alone) await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
    let released = false;
    return {
      alone,
      async release() {
        if (released) return;
        released = true;
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
