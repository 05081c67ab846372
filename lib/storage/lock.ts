import "server-only";

import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * One studio process per data directory. A second one would mark the first one's running turns
 * interrupted and sweep its temp files, losing finished work, so the second start fails instead,
 * naming the process that holds the directory.
 *
 * The lock is `studio.lock` in the data directory, created exclusively (O_EXCL), holding who took it
 * (pid, host, since). Why not proper-lockfile: its lock is a directory judged stale only by mtime,
 * so after a kill -9 every restart would wait out the stale period (the e2e crash tests restart at
 * once), and it records no holder to name in the message. Here a lock whose process is gone on
 * this host is taken over at once; one from another host (a shared volume) is taken over when its
 * heartbeat (the file's mtime, touched every HEARTBEAT_MS) is older than STALE_MS.
 */

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  token: string;
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

export class DataDirLockedError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Error && value.name === "DataDirLockedError";
  }

  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The data directory ${dataDir} is in use by another studio process (pid ${holder.pid} on ${holder.host}, since ${holder.since}). ` +
        "Stop that process, or give this one its own STUDIO_DATA_DIR.",
    );
    this.name = "DataDirLockedError";
  }
}

export const LOCK_FILE = "studio.lock";
const HEARTBEAT_MS = 10_000;
const STALE_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<LockHolder>;
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string") return null;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? "an unknown time"), token: String(parsed.token ?? "") };
  } catch {
    return null;
  }
}

/** Held locks of this process, by file: a second open of the same storage here is not a rival. */
const HELD_KEY = Symbol.for("nano-banana-studio.data-dir-locks");
type HeldGlobal = typeof globalThis & { [HELD_KEY]?: Map<string, string> };
function held(): Map<string, string> {
  const holder = globalThis as HeldGlobal;
  holder[HELD_KEY] ??= new Map();
  return holder[HELD_KEY];
}

function isStale(file: string, holder: LockHolder | null, now: number): boolean {
  // Unreadable: a crash between create and write, or junk. Judge it by age alone.
  if (!holder) return now - (statMtime(file) ?? 0) > STALE_MS;
  if (holder.host === os.hostname()) {
    // Our own pid, but not a lock this process holds: a previous run that had the same pid
    // (containers restart as the same pid).
    if (holder.pid === process.pid) return held().get(file) !== holder.token;
    return !isAlive(holder.pid);
  }
  return now - (statMtime(file) ?? 0) > STALE_MS;
}

function statMtime(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Takes the data directory's lock, or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), token: randomUUID() };
  const text = `${JSON.stringify(me)}\n`;
  try {
    writeFileSync(file, text, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const holder = readHolder(file);
    if (!isStale(file, holder, Date.now())) {
      throw new DataDirLockedError(dataDir, holder ?? { pid: 0, host: "an unknown host", since: "an unknown time", token: "" });
    }
    // Rename is atomic: the file is the old lock or ours, never a mix. Two processes taking over the
    // same stale lock at once both rename; the re-read tells the loser.
    const temp = `${file}.${me.token}`;
    writeFileSync(temp, text, { flag: "wx" });
    renameSync(temp, file);
    const now = readHolder(file);
    if (now?.token !== me.token) throw new DataDirLockedError(dataDir, now ?? me);
  }
  held().set(file, me.token);

  const heartbeat = setInterval(() => {
    try {
      const at = new Date();
      utimesSync(file, at, at);
    } catch {
      // A missing file or full disk: the next start judges the lock by pid, which still works.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref?.();

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off("exit", release);
    if (held().get(file) === me.token) held().delete(file);
    if (readHolder(file)?.token === me.token) {
      try {
        unlinkSync(file);
      } catch {
        // Gone already.
      }
    }
  };
  process.on("exit", release);
  return { file, holder: me, release };
}

/**
 * Ends the process when `error` says another studio holds the data directory: serving would answer
 * every request with an error, and an operator is better told at once, in words, why this one
 * won't start. Any other error is left to the caller.
 */
export function exitIfDataDirLocked(error: unknown): void {
  if (!(error instanceof DataDirLockedError)) return;
  console.error(`Nano Banana Studio can't start: ${error.message}`);
  process.exit(1);
}
