import "server-only";

import path from "node:path";
import { getEnv, type StudioEnv } from "@/lib/env";
import { createFileImageStore, type ImageStore } from "./image-store";
import { joinInstances } from "./postgres/instance-lock";
import { openPostgresStorage, postgresFailure } from "./postgres/postgres-storage";
import { createS3ImageStore } from "./s3/s3-image-store";
import { openSqliteStorage } from "./sqlite/sqlite-storage";
import { INTERRUPTED_TURN_ERROR, type Storage } from "./types";

export * from "./types";

// On globalThis, not in a module variable: the dev server re-evaluates modules on every edit, and a
// second instance would re-run recovery and mark this process's own running turns as interrupted.
const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage> };

/**
 * The app's storage. By default `${dataDir}/studio.db` plus files under the data directory; with
 * DATABASE_URL, PostgreSQL, and images in an S3-compatible bucket when STUDIO_S3_BUCKET is set
 * (else still under the data directory). The first call opens it, runs migrations and recovers
 * from the last run: turns left queued or running become "interrupted", and temp files of writes
 * that never finished are removed. With SQLite this assumes one studio process per data directory;
 * with PostgreSQL the turns are only recovered when no other instance is running (instance-lock.ts).
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
  if (env.databaseUrl) return openTeamStorage(env, env.databaseUrl);
  const { dataDir } = env;
  const storage = openSqliteStorage({ dataDir, databaseFile: path.join(dataDir, "studio.db") });
  try {
    await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR);
    await storage.images.sweepTemp?.(0);
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

async function openTeamStorage(env: StudioEnv, databaseUrl: string): Promise<Storage> {
  const images = env.s3 ? createS3ImageStore(env.s3) : createFileImageStore(env.dataDir);
  const storage = await openPostgresStorage({ connectionString: databaseUrl, images });
  try {
    // Other instances may share the data directory: spare their writes in flight.
    await images.sweepTemp?.(10 * 60_000);
    const membership = await joinInstances(databaseUrl, async () => {
      await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR);
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
 * The image store alone, for the routes that serve and accept images. Embedded, that is the data
 * directory's files without opening the database; with DATABASE_URL, the storage's own store (a
 * bucket, or the data directory), so every instance serves the same images.
 */
export async function getImageStore(): Promise<ImageStore> {
  const env = getEnv();
  if (!env.databaseUrl) return createFileImageStore(env.dataDir);
  return (await getStorage()).images;
}
