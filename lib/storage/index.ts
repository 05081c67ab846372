import "server-only";

import path from "node:path";
import { getEnv } from "@/lib/env";
import { openSqliteStorage } from "./sqlite/sqlite-storage";
import { INTERRUPTED_TURN_ERROR, type Storage } from "./types";

export * from "./types";

// On globalThis, not in a module variable: the dev server re-evaluates modules on every edit, and a
// second instance would re-run recovery and mark this process's own running turns as interrupted.
const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage> };

/**
 * The app's storage: `${dataDir}/studio.db` plus files under the data directory. The first call
 * opens it, runs migrations and recovers from the last run: turns left queued or running become
 * "interrupted", and temp files of writes that never finished are removed. This assumes one studio
 * process per data directory, which is what the embedded default is for.
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
  const { dataDir } = getEnv();
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
