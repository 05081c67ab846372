import "server-only";

import { mkdirSync } from "node:fs";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { log } from "@/lib/server/log";
import { describeWriteFailure } from "./image-store";
import { lockDataDir } from "./lock";
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
 * The app's storage: `${dataDir}/studio.db` plus files under the data directory. The first call
 * takes the data directory's lock (lib/storage/lock.ts: one studio process per directory; a second
 * one fails with DataDirLockedError naming the first), opens the database, runs migrations and
 * recovers from the last run: turns left queued or running become "interrupted", and temp files of
 * writes that never finished are removed. Recovery is only safe because of that lock. From then on,
 * image files no turn uses are collected every GARBAGE_COLLECTION_INTERVAL_MS.
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
  const { dataDir, unusedUploadTtlMs } = getEnv();
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
  const close = storage.close.bind(storage);
  storage.close = async () => {
    clearInterval(collector);
    try {
      await close();
    } finally {
      lock.release();
    }
  };
  return storage;
}
