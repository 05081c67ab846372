import "server-only";

import { randomInt } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import type { PostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import { INTERRUPTED_TURN_ERROR, StorageError, type OwnerId, type Turn } from "@/lib/storage/types";
import { isTerminalJobEvent, type JobEvent, type JobEventBody, type JobListener } from "@/lib/studio/job-events";

/**
 * The job queue several studio instances share when the studio runs on PostgreSQL (DATABASE_URL).
 * Embedded (SQLite), the runner keeps its queue in memory and none of this is used.
 *
 * - A start inserts the turn (queued), its row in studio_jobs and its first events in one
 *   transaction (PostgresStorage.createTurnWith): both exist or neither does.
 * - Any instance claims queued jobs, oldest first (studio_jobs.seq), in a transaction that holds
 *   one advisory lock while it counts the jobs running on every instance, so the global cap
 *   (STUDIO_MAX_CONCURRENT_JOBS) holds across instances.
 * - Each instance holds a session-level advisory lock on its own id for as long as its dedicated
 *   connection lives; PostgreSQL drops it when the process dies (SIGKILL included). Every instance
 *   checks pg_locks each second for running jobs whose instance no longer holds its lock: a job
 *   that never sent its request to Google (studio_jobs.sent) goes back to the front of the queue,
 *   the others finish as interrupted (Retry offered).
 * - Job events go to studio_job_events and a NOTIFY names the turn; a follower on any instance
 *   replays the rows and reads new ones as notifications arrive (and every few seconds, in case one
 *   was missed). Cancel is a NOTIFY to the instance running the job.
 *
 * Why not pg-boss (removed from the dependencies): pg-boss 12 does cover a transactional send
 * (`db` option), FIFO fetch and a cross-node group concurrency limit, but it finds a dead worker
 * only through job heartbeats, which it accepts no shorter than 10 s (heartbeatSeconds) and checks
 * on its monitor interval (60 s by default), so a killed instance's job would end 10 s or more
 * later, where a connection-bound advisory lock is gone the moment the process is; a
 * failed or expired job would be retried by pg-boss itself, while a turn whose request reached
 * Google must not be sent twice; and it carries no event stream, so LISTEN/NOTIFY, the event
 * table and the turn rows would still be this module's. What remains for pg-boss would be one
 * table and one `SELECT … FOR UPDATE SKIP LOCKED`; the two small tables here cost less than
 * keeping the turn row and a pg-boss job in step. No Redis: PostgreSQL is the one moving part.
 */

export interface ClaimedJob {
  turnId: string;
  ownerId: OwnerId;
  /** The events published so far (the start's, a previous attempt's), so seq goes on from them. */
  events: JobEvent[];
}

export interface SharedQueueHandlers {
  /** This instance holds a slot for the job now: run it, then call release(). */
  run(job: ClaimedJob): void;
  /** Someone (on any instance) cancelled a turn; stop it if it runs here. */
  cancel(turnId: string): void;
}

export interface EnqueueResult {
  turn: Turn;
  /** Jobs ahead in the line, or null when a slot was free as it was queued. */
  ahead: number | null;
  /**
   * The job, when this instance took it in the start's own transaction (a slot was free and
   * nobody waited before it): the caller runs it at once, as if claimed. Null: it waits in the line
   * for whichever instance claims it.
   */
  claimed: ClaimedJob | null;
}

export interface SharedJobQueue {
  /** Starts claiming jobs for this instance. */
  attach(handlers: SharedQueueHandlers): void;
  /**
   * The turn, its job and its first events, in one transaction; "busy" when every slot is taken and
   * the line is full. With a slot free and nobody waiting, the job is claimed by this instance in
   * that same transaction (EnqueueResult.claimed).
   */
  enqueue(input: Parameters<PostgresStorage["turns"]["create"]>[0], limits: { maxQueued: number }): Promise<EnqueueResult | "busy">;
  /** Stores an event of a job running here and tells followers on every instance. */
  publish(event: JobEvent): Promise<void>;
  /** Stores an event for a turn no instance runs (a queued job cancelled, a dead instance's job). */
  publishNext(turnId: string, body: JobEventBody): Promise<void>;
  /** The request may reach Google from now on: after this, a lost job is interrupted, not retried. */
  markSent(turnId: string): Promise<void>;
  /** The job is over (its end recorded): frees its slot for any instance. */
  release(turnId: string): Promise<void>;
  /** Puts a job this instance claimed back in its place in the line, for any instance to claim. */
  requeue(turnId: string): Promise<void>;
  /** Takes a job out of the line if it is still waiting there; true when it was. */
  dequeue(turnId: string): Promise<boolean>;
  /** True while the turn has a job, queued or running on any instance. */
  isActive(turnId: string): Promise<boolean>;
  /** The active jobs of a session, for cancelling them before it is deleted. */
  activeTurnsOfSession(ownerId: OwnerId, sessionId: string): Promise<string[]>;
  /** Asks the instance running the job to stop it. */
  requestCancel(turnId: string): Promise<void>;
  /**
   * Replays the turn's stored events after `afterSeq` and delivers new ones until the terminal
   * one. Null when the turn has no job (then its row in storage is the whole story).
   */
  follow(ownerId: OwnerId, turnId: string, listener: JobListener, afterSeq: number): Promise<(() => void) | null>;
  /** Throws when the database or this instance's queue connection is unreachable. */
  ping(): Promise<void>;
  /** No more claims by this instance (before its own jobs are stopped, at shutdown). */
  stopClaiming(): void;
  /** Lets go of this instance's lock and connection (its running jobs should be stopped first). */
  close(): Promise<void>;
}

export interface SharedJobQueueOptions {
  storage: PostgresStorage;
  /** For this instance's dedicated connection (LISTEN and its liveness lock). */
  connectionString: string;
  /** Jobs running at once across every instance. */
  maxConcurrentJobs: number;
  /** How often to look for work and for dead instances (ms). */
  pollMs?: number;
  /** A claim or a look for dead instances failed (the database is down); tried again next tick. For logs. */
  onError?: (error: unknown) => void;
  /** Called with each lost job this instance finishes for a dead one; for logs. */
  onReaped?: (turnId: string, outcome: "interrupted" | "requeued") => void;
}

/** Namespace of the two-key advisory locks: "nb" (and key 0 in it serialises claims). */
const LOCK_NAMESPACE = 0x6e62;
const CLAIM_LOCK = 0;
const CHANNEL_CHANGED = "studio_jobs_changed";
const CHANNEL_EVENT = "studio_job_event";
const CHANNEL_CANCEL = "studio_job_cancel";
const FOLLOW_POLL_MS = 2_000;
/**
 * NOTIFY refuses a payload of 8000 bytes or more; an event up to this size rides in its
 * notification, so a follower on another instance needs no read for it (the `done` event of a turn
 * with a long text or many thoughts does not fit and is read from studio_job_events).
 */
const MAX_EVENT_PAYLOAD_BYTES = 7_500;
const PING_TIMEOUT_MS = 3_000;
const CLEANUP_EVERY_MS = 30_000;
/** Events of finished jobs are kept this long, for a follower that reconnects just after the end. */
const EVENT_RETENTION = "10 minutes";

/** Thrown inside a start's transaction to roll it back when every slot and place in the line is taken. */
class QueueFull extends Error {}

/** What an event's NOTIFY carries: the event's JSON when it fits, else its turn's id (a UUID, never "{…"). */
export function eventPayload(turnId: string, body: string): string {
  return Buffer.byteLength(body, "utf8") <= MAX_EVENT_PAYLOAD_BYTES ? body : turnId;
}

interface JobRow {
  turn_id: string;
  owner_id: string;
  state: string;
}

interface EventRow {
  body_json: string;
  age_ms: number;
}

interface Follower {
  ownerId: OwnerId;
  listener: JobListener;
  lastSeq: number;
  fetching: Promise<void>;
  closed: boolean;
}

export async function openSharedJobQueue(options: SharedJobQueueOptions): Promise<SharedJobQueue> {
  const { storage } = options;
  const db = storage.db;
  const pollMs = options.pollMs ?? 1_000;
  let handlers: SharedQueueHandlers | null = null;
  let closed = false;
  let ended = false;
  const followers = new Map<string, Set<Follower>>();
  let instanceId = 0;
  let client: pg.Client;
  let connected = false;

  function onNotification(message: pg.Notification): void {
    const payload = message.payload ?? "";
    if (message.channel === CHANNEL_CHANGED) scheduleClaim();
    else if (message.channel === CHANNEL_EVENT) onEventNotification(payload);
    else if (message.channel === CHANNEL_CANCEL) handlers?.cancel(payload);
  }

  /**
   * The dedicated connection: this instance's lock (a random id nobody holds, or the same id again
   * after a reconnect) and its LISTENs. While it is down, this instance claims nothing, since
   * others would see its jobs as orphaned.
   */
  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString });
    const lost = () => {
      if (!connected || next !== client) return;
      connected = false;
      if (!ended) setTimeout(() => void reconnect(), pollMs).unref?.();
    };
    next.on("error", lost);
    next.on("end", lost);
    next.on("notification", onNotification);
    await next.connect();
    try {
      for (let tries = 0; ; tries += 1) {
        const candidate = instanceId || randomInt(1, 2 ** 31 - 1);
        const { rows } = await next.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [LOCK_NAMESPACE, candidate]);
        if (rows[0]?.ok) {
          instanceId = candidate;
          break;
        }
        instanceId = 0;
        if (tries > 10) throw new Error("Could not take an instance lock in PostgreSQL.");
      }
      await next.query(`LISTEN ${CHANNEL_CHANGED}; LISTEN ${CHANNEL_EVENT}; LISTEN ${CHANNEL_CANCEL}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    client = next;
    connected = true;
  }

  async function reconnect(): Promise<void> {
    if (ended || connected) return;
    try {
      await connect();
      scheduleClaim();
    } catch (error) {
      options.onError?.(error);
      if (!ended) setTimeout(() => void reconnect(), pollMs).unref?.();
    }
  }

  await connect();

  async function notify(channel: string, payload: string): Promise<void> {
    await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
  }

  // --- claiming -------------------------------------------------------------------------------

  let claiming: Promise<void> | null = null;
  let claimAgain = false;

  function scheduleClaim(): void {
    if (closed || !handlers || !connected) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = claim()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        claiming = null;
        if (claimAgain) {
          claimAgain = false;
          scheduleClaim();
        }
      });
  }

  async function claim(): Promise<void> {
    // Every tick of every instance gets here, and the line is empty nearly always (a start with a
    // free slot runs where it was taken): one read instead of a five-statement transaction under
    // the claim lock. A job queued just after this read announces itself by NOTIFY.
    const { rows: waiting } = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM studio_jobs WHERE state = 'queued') AS any`.execute(db);
    if (!waiting[0]?.any) return;
    const claimed = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${CLAIM_LOCK})`.execute(trx);
      const { rows: counted } = await sql<{ busy: number }>`SELECT count(*)::int AS busy FROM studio_jobs WHERE state <> 'queued'`.execute(trx);
      const free = options.maxConcurrentJobs - (counted[0]?.busy ?? 0);
      if (free <= 0) return [];
      const { rows } = await sql<JobRow>`
        UPDATE studio_jobs SET state = 'running', instance_id = ${instanceId}, claimed_at = now()
        WHERE turn_id IN (SELECT turn_id FROM studio_jobs WHERE state = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE)
        RETURNING turn_id, owner_id, state`.execute(trx);
      return rows;
    });
    if (claimed.length === 0) return;
    // One job per claim, then claim again: the instances' claims interleave, so work spreads.
    claimAgain = true;
    const { rows: eventRows } = await sql<{ turn_id: string; body_json: string }>`
      SELECT turn_id, body_json FROM studio_job_events WHERE turn_id = ANY(${claimed.map((row) => row.turn_id)}) ORDER BY turn_id, seq`.execute(db);
    for (const row of claimed) {
      const events = eventRows.filter((event) => event.turn_id === row.turn_id).map((event) => JSON.parse(event.body_json) as JobEvent);
      handlers?.run({ turnId: row.turn_id, ownerId: row.owner_id, events });
    }
    // Others may wait behind these; their places changed.
    await announcePositions().catch(() => undefined);
  }

  async function announcePositions(): Promise<void> {
    const { rows } = await sql<{ turn_id: string; ahead: number }>`
      SELECT turn_id, (row_number() OVER (ORDER BY seq) - 1)::int AS ahead FROM studio_jobs WHERE state = 'queued' ORDER BY seq LIMIT 64`.execute(db);
    for (const row of rows) await publishNext(row.turn_id, { type: "queued", ahead: row.ahead });
  }

  // --- dead instances --------------------------------------------------------------------------

  let lastCleanup = 0;

  async function reap(): Promise<void> {
    // A running job whose instance no longer holds its lock lost its process. Taken over in one
    // statement: a second instance reaping at once finds the rows already reassigned.
    const { rows } = await sql<JobRow>`
      WITH live AS (
        SELECT objid::bigint AS id FROM pg_locks
        WHERE locktype = 'advisory' AND classid::bigint = ${LOCK_NAMESPACE}::bigint AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      )
      UPDATE studio_jobs SET
        state = CASE WHEN sent THEN 'reaping' ELSE 'queued' END,
        instance_id = CASE WHEN sent THEN ${instanceId}::int ELSE NULL END,
        claimed_at = NULL
      WHERE state IN ('running', 'reaping') AND instance_id IS NOT NULL AND instance_id <> ${instanceId}
        AND instance_id NOT IN (SELECT id FROM live)
      RETURNING turn_id, owner_id, state`.execute(db);
    // Also this instance's own takeovers that did not finish (storage refused the write).
    const { rows: mine } = await sql<JobRow>`
      SELECT turn_id, owner_id, state FROM studio_jobs WHERE state = 'reaping' AND instance_id = ${instanceId}`.execute(db);
    const reaping = [...rows.filter((row) => row.state === "reaping"), ...mine.filter((row) => !rows.some((other) => other.turn_id === row.turn_id))];
    for (const row of reaping) {
      const turn = await storage.turns.update(row.owner_id, row.turn_id, { status: "interrupted", error: INTERRUPTED_TURN_ERROR }).catch((error: unknown) => {
        // Already ended (its instance recorded the end before it died), or deleted with its session.
        if (error instanceof StorageError && (error.code === "invalid_transition" || error.code === "not_found")) return null;
        throw error;
      });
      if (turn) await publishNext(row.turn_id, { type: "interrupted", turn });
      await sql`DELETE FROM studio_jobs WHERE turn_id = ${row.turn_id} AND instance_id = ${instanceId}`.execute(db);
      options.onReaped?.(row.turn_id, "interrupted");
    }
    const requeued = rows.filter((row) => row.state === "queued");
    for (const row of requeued) options.onReaped?.(row.turn_id, "requeued");
    if (reaping.length > 0 || requeued.length > 0) await notify(CHANNEL_CHANGED, "");

    if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
      lastCleanup = Date.now();
      // Rows of turns that ended some other way (startup recovery, a reaped job's late writer).
      await sql`
        DELETE FROM studio_jobs j USING turns t
        WHERE t.id = j.turn_id AND t.status NOT IN ('queued', 'running') AND j.state = 'queued'`.execute(db);
      await sql`
        DELETE FROM studio_job_events e
        WHERE e.created_at < now() - ${EVENT_RETENTION}::interval
          AND NOT EXISTS (SELECT 1 FROM studio_jobs j WHERE j.turn_id = e.turn_id)`.execute(db);
    }
  }

  let ticking = false;
  const ticker = setInterval(() => {
    if (ticking || closed || !connected) return;
    ticking = true;
    void reap()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        ticking = false;
        scheduleClaim();
      });
  }, pollMs);
  ticker.unref?.();

  // --- events ----------------------------------------------------------------------------------

  async function publish(event: JobEvent): Promise<void> {
    const body = JSON.stringify(event);
    await sql`
      WITH stored AS (
        INSERT INTO studio_job_events (turn_id, seq, body_json) VALUES (${event.turnId}, ${event.seq}, ${body})
        ON CONFLICT DO NOTHING RETURNING turn_id
      )
      SELECT pg_notify(${CHANNEL_EVENT}, ${eventPayload(event.turnId, body)}::text) FROM stored`.execute(db);
  }

  async function publishNext(turnId: string, body: JobEventBody): Promise<void> {
    for (let tries = 0; tries < 5; tries += 1) {
      const { rows } = await sql<{ next: number }>`SELECT coalesce(max(seq), 0)::int + 1 AS next FROM studio_job_events WHERE turn_id = ${turnId}`.execute(db);
      const seq = rows[0]?.next ?? 1;
      const event = JSON.stringify({ ...body, turnId, seq } as JobEvent);
      const { rows: stored } = await sql<{ turn_id: string }>`
        WITH stored AS (
          INSERT INTO studio_job_events (turn_id, seq, body_json) VALUES (${turnId}, ${seq}, ${event})
          ON CONFLICT DO NOTHING RETURNING turn_id
        )
        SELECT pg_notify(${CHANNEL_EVENT}, ${eventPayload(turnId, event)}::text), turn_id FROM stored`.execute(db);
      if (stored.length > 0) return;
    }
  }

  /**
   * An event's notification: the event itself when it fits (eventPayload), else its turn's id. A
   * carried event goes to a follower whose last one was just before it, with no read; any other
   * follower (one behind, since a notification was lost or it joined meanwhile) reads the rows
   * after its last one. Both in the follower's own chain, so the order holds either way.
   */
  function onEventNotification(payload: string): void {
    if (!payload.startsWith("{")) {
      for (const follower of followers.get(payload) ?? []) fetchFor(payload, follower);
      return;
    }
    let event: JobEvent;
    try {
      event = JSON.parse(payload) as JobEvent;
    } catch {
      return;
    }
    for (const follower of followers.get(event.turnId) ?? []) {
      follower.fetching = follower.fetching.then(async () => {
        if (follower.closed || event.seq <= follower.lastSeq) return;
        if (event.seq === follower.lastSeq + 1) deliver(event.turnId, follower, event);
        else await readAfter(event.turnId, follower);
      });
    }
  }

  function deliver(turnId: string, follower: Follower, event: JobEvent): void {
    follower.lastSeq = event.seq;
    try {
      follower.listener(event);
    } catch {
      // A follower that throws (a closed stream) must not stop the others.
    }
    if (isTerminalJobEvent(event)) stopFollowing(turnId, follower);
  }

  function fetchFor(turnId: string, follower: Follower): void {
    follower.fetching = follower.fetching.then(() => readAfter(turnId, follower));
  }

  /** Delivers the stored events after the follower's last one; only inside its `fetching` chain. */
  async function readAfter(turnId: string, follower: Follower): Promise<void> {
    if (follower.closed) return;
    const { rows } = await sql<EventRow>`
      SELECT body_json, (extract(epoch FROM clock_timestamp() - created_at) * 1000)::int AS age_ms
      FROM studio_job_events WHERE turn_id = ${turnId} AND seq > ${follower.lastSeq} ORDER BY seq`
      .execute(db)
      .catch(() => ({ rows: [] as EventRow[] }));
    for (const row of rows) {
      if (follower.closed) return;
      const stored = JSON.parse(row.body_json) as JobEvent;
      if (stored.seq <= follower.lastSeq) continue;
      // A retry's wait counts from when it began, as for a follower on the running instance.
      deliver(turnId, follower, stored.type === "retry" ? { ...stored, delayMs: Math.max(0, stored.delayMs - row.age_ms) } : stored);
    }
  }

  function stopFollowing(turnId: string, follower: Follower): void {
    follower.closed = true;
    const set = followers.get(turnId);
    set?.delete(follower);
    if (set?.size === 0) followers.delete(turnId);
  }

  const followPoller = setInterval(() => {
    for (const [turnId, set] of followers) for (const follower of set) fetchFor(turnId, follower);
  }, FOLLOW_POLL_MS);
  followPoller.unref?.();

  async function follow(ownerId: OwnerId, turnId: string, listener: JobListener, afterSeq: number): Promise<(() => void) | null> {
    const { rows } = await sql<{ turn_id: string }>`
      SELECT j.turn_id FROM studio_jobs j JOIN turns t ON t.id = j.turn_id WHERE j.turn_id = ${turnId} AND t.owner_id = ${ownerId}`.execute(db);
    if (rows.length === 0) return null;
    const follower: Follower = { ownerId, listener, lastSeq: afterSeq, fetching: Promise.resolve(), closed: false };
    // Registered before the first read, so an event stored meanwhile is fetched by its notification.
    const set = followers.get(turnId) ?? new Set();
    set.add(follower);
    followers.set(turnId, set);
    fetchFor(turnId, follower);
    await follower.fetching;
    return () => stopFollowing(turnId, follower);
  }

  return {
    attach(given) {
      handlers = given;
      scheduleClaim();
    },

    async enqueue(input, { maxQueued }) {
      let ahead: number | null = null;
      let events: JobEvent[] = [];
      let claimedHere = false;
      // Taking the job here, in the start's transaction, saves the round of a NOTIFY, a claim by
      // some instance and its reads before the request can go out; and the event stream the start's
      // page opens next, on this instance, then follows the job in memory rather than through the
      // database. Under the claim lock, so the global cap holds as for claim().
      const mayClaim = handlers !== null && connected && !closed;
      let turn: Turn;
      try {
        turn = await storage.createTurnWith(input, async (trx, created) => {
          if (mayClaim) await sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${CLAIM_LOCK})`.execute(trx);
          const { rows } = await sql<{ busy: number; queued: number }>`
            SELECT count(*) FILTER (WHERE state <> 'queued')::int AS busy, count(*) FILTER (WHERE state = 'queued')::int AS queued FROM studio_jobs`.execute(trx);
          const busy = rows[0]?.busy ?? 0;
          const queued = rows[0]?.queued ?? 0;
          // As embedded: every slot taken and maxQueued waiting (so with 0, no start waits at all).
          // Thrown, so the turn inserted above is rolled back with it.
          if (busy + queued >= options.maxConcurrentJobs + maxQueued) throw new QueueFull();
          ahead = busy < options.maxConcurrentJobs && queued === 0 ? null : queued;
          claimedHere = mayClaim && ahead === null;
          events = [{ type: "started", turn: claimedHere ? { ...created, status: "running" } : created, turnId: created.id, seq: 1 }];
          if (ahead !== null) events.push({ type: "queued", ahead, turnId: created.id, seq: 2 });
          // One statement for the job and its first events (each its own round trip before).
          await sql`
            WITH job AS (
              INSERT INTO studio_jobs (turn_id, owner_id, state, instance_id, claimed_at)
              VALUES (${created.id}, ${created.ownerId}, ${claimedHere ? "running" : "queued"}, ${claimedHere ? instanceId : null}::int,
                      ${claimedHere ? sql`now()` : sql`NULL`})
              RETURNING turn_id
            )
            INSERT INTO studio_job_events (turn_id, seq, body_json)
            SELECT job.turn_id, event.seq, event.body FROM job,
              unnest(${events.map((event) => event.seq)}::int[], ${events.map((event) => JSON.stringify(event))}::text[]) AS event (seq, body)`.execute(trx);
          // Delivered at commit, and only if it commits.
          if (!claimedHere) await sql`SELECT pg_notify(${CHANNEL_CHANGED}, ${created.id})`.execute(trx);
          // Claimed here: the turn is recorded running in this transaction, not in one more after it.
          return claimedHere ? "running" : undefined;
        });
      } catch (error) {
        if (error instanceof QueueFull || (error instanceof StorageError && error.cause instanceof QueueFull)) return "busy";
        throw error;
      }
      return { turn, ahead, claimed: claimedHere ? { turnId: turn.id, ownerId: turn.ownerId, events } : null };
    },

    publish,
    publishNext,

    async markSent(turnId) {
      await sql`UPDATE studio_jobs SET sent = true WHERE turn_id = ${turnId}`.execute(db);
    },

    async release(turnId) {
      await sql`DELETE FROM studio_jobs WHERE turn_id = ${turnId}`.execute(db);
      await notify(CHANNEL_CHANGED, turnId);
    },

    async requeue(turnId) {
      await sql`UPDATE studio_jobs SET state = 'queued', instance_id = NULL, claimed_at = NULL WHERE turn_id = ${turnId} AND NOT sent`.execute(db);
      await notify(CHANNEL_CHANGED, turnId);
    },

    async dequeue(turnId) {
      const { rows } = await sql<{ turn_id: string }>`DELETE FROM studio_jobs WHERE turn_id = ${turnId} AND state = 'queued' RETURNING turn_id`.execute(db);
      if (rows.length > 0) await announcePositions().catch(() => undefined);
      return rows.length > 0;
    },

    async isActive(turnId) {
      const { rows } = await sql<{ turn_id: string }>`SELECT turn_id FROM studio_jobs WHERE turn_id = ${turnId}`.execute(db);
      return rows.length > 0;
    },

    async activeTurnsOfSession(ownerId, sessionId) {
      const { rows } = await sql<{ turn_id: string }>`
        SELECT j.turn_id FROM studio_jobs j JOIN turns t ON t.id = j.turn_id WHERE t.session_id = ${sessionId} AND t.owner_id = ${ownerId} ORDER BY j.seq`.execute(db);
      return rows.map((row) => row.turn_id);
    },

    async requestCancel(turnId) {
      await notify(CHANNEL_CANCEL, turnId);
    },

    follow,

    async ping() {
      if (!connected) throw new Error("The job queue's connection to PostgreSQL was lost.");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("PostgreSQL did not answer the job queue in time.")), PING_TIMEOUT_MS);
      });
      try {
        await Promise.race([Promise.all([client.query("SELECT 1"), sql`SELECT 1 FROM studio_jobs LIMIT 1`.execute(db)]), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    stopClaiming() {
      closed = true;
    },

    async close() {
      closed = true;
      if (ended) return;
      ended = true;
      connected = false;
      clearInterval(ticker);
      clearInterval(followPoller);
      for (const [turnId, set] of followers) for (const follower of set) stopFollowing(turnId, follower);
      await claiming?.catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
