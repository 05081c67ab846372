import "server-only";

import { mkdirSync } from "node:fs";
import path from "node:path";
import { getEnv, type StudioEnv } from "@/lib/env";
import { log } from "@/lib/server/log";
import { createFileImageStore, describeWriteFailure, type ImageStore } from "./image-store";
import { lockDataDir } from "./lock";
import { joinInstances } from "./postgres/instance-lock";
import { openPostgresStorage, postgresFailure } from "./postgres/postgres-storage";
import { createS3ImageStore } from "./s3/s3-image-store";
import { openSqliteStorage } from "./sqlite/sqlite-storage";
import { INTERRUPTED_TURN_ERROR, StorageError, type Storage } from "./types";

export * from "./types";

/** The one local user until accounts arrive; every row already carries an owner. */
export const LOCAL_OWNER_ID = "local";

/** How often unused uploads are looked for; the first run is this long after start, off the startup path. */
export const GARBAGE_COLLECTION_INTERVAL_MS = 60 * 60_000;

// On globalThis, not in a module variable: the dev server re-evaluates modules on every edit, and a
// second instance would re-run recovery and mark this process's own running turns as interrupted.
const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage> };

/**
 * The app's storage. By default `${dataDir}/studio.db` plus files under the data directory; with
 * DATABASE_URL, PostgreSQL, and images in an S3-compatible bucket when STUDIO_S3_BUCKET is set
 * (else still under the data directory). The first call opens it, runs migrations and recovers
 * from the last run: turns left queued or running become "interrupted", and temp files of writes
 * that never finished are removed. Recovery must not touch another process's work:
 * - embedded (SQLite), the first call takes the data directory's lock (lock.ts: one studio process
 *   per directory; a second one fails with DataDirLockedError naming the first);
 * - with PostgreSQL, several instances share the database, the bucket or even the data directory,
 *   so there is no file lock; turns are only recovered when no other instance runs (instance-lock.ts),
 *   and only those the shared job queue does not hold (lib/server/jobs/shared-queue.ts).
 * From then on, image files no turn uses are collected every GARBAGE_COLLECTION_INTERVAL_MS.
 *
 * A failure (e.g. an unwritable data directory) rejects with a StorageError; the next call tries again.
 */
export function getStorage(): Promise<Storage> {
  const holder = globalThis as StorageGlobal;
  holder[STORAGE_KEY] ??= openAppStorage().catch((error: unknown) => {
    delete holder[STORAGE_KEY];
    throw error;
  });
  return holder[STORAGE_KEY];
}

async function openAppStorage(): Promise<Storage> {
  const env = getEnv();
  const storage = env.databaseUrl ? await openTeamStorage(env, env.databaseUrl) : await openEmbeddedStorage(env);
  return withGarbageCollector(storage, env.unusedUploadTtlMs);
}

async function openEmbeddedStorage({ dataDir }: StudioEnv): Promise<Storage> {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new StorageError("storage_failed", `Could not open the data directory: ${describeWriteFailure(error, dataDir)}.`, { cause: error });
  }
  const lock = lockDataDir(dataDir);
  let storage: Storage;
  try {
    storage = openSqliteStorage({ dataDir, databaseFile: path.join(dataDir, "studio.db") });
  } catch (error) {
    lock.release();
    throw error;
  }
  try {
    await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR);
    await storage.images.sweepTemp?.(0);
  } catch (error) {
    await storage.close();
    lock.release();
    throw error;
  }
  return {
    ...storage,
    async close() {
      try {
        await storage.close();
      } finally {
        lock.release();
      }
    },
  };
}

async function openTeamStorage(env: StudioEnv, databaseUrl: string): Promise<Storage> {
  const images = env.s3 ? createS3ImageStore(env.s3) : createFileImageStore(env.dataDir);
  const storage = await openPostgresStorage({ connectionString: databaseUrl, images });
  try {
    // Other instances may share the data directory: spare their writes in flight.
    await images.sweepTemp?.(10 * 60_000);
    const membership = await joinInstances(databaseUrl, async () => {
      // Not the turns the shared job queue holds: its queued jobs still run (every instance may
      // have been restarted at once), and it finishes a dead instance's running ones itself.
      await storage.interruptUnqueued(INTERRUPTED_TURN_ERROR);
    }).catch((error: unknown) => {
      throw postgresFailure(error, "join the other studio instances");
    });
    return {
      ...storage,
      async close() {
        await membership.release();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/**
 * Collects unused uploads periodically. With several instances each one does: a collection is
 * idempotent (removing a file already gone is a no-op), and an hourly listing per instance is cheap
 * next to electing one.
 */
function withGarbageCollector(storage: Storage, unusedUploadTtlMs: number): Storage {
  const collect = async () => {
    try {
      const report = await storage.collectGarbage({ unusedOlderThanMs: unusedUploadTtlMs });
      if (report.removed.length > 0) log.info("storage.garbage_collected", { images: report.removed.length, bytes: report.bytes });
    } catch (error) {
      log.warn("storage.garbage_collection_failed", { error });
    }
  };
  const collector = setInterval(() => void collect(), GARBAGE_COLLECTION_INTERVAL_MS);
  collector.unref?.();
  return {
    ...storage,
    async close() {
      clearInterval(collector);
      await storage.close();
    },
  };
}

/**
 * The image store alone, for the routes that serve and accept images. Embedded, that is the data
 * directory's files without opening the database; with DATABASE_URL, the storage's own store (a
 * bucket, or the data directory), so every instance serves the same images.
 */
export async function getImageStore(): Promise<ImageStore> {
  const env = getEnv();
  if (!env.databaseUrl) return createFileImageStore(env.dataDir);
  return (await getStorage()).images;
}
