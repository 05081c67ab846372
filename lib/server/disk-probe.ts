import "server-only";

import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * The data directory's part of /api/health (writable, free space), answered without waiting behind
 * uploads. Every check is a few file-system calls, and those run on libuv's thread pool behind the
 * writes of the uploads streaming in: in the upload storm (bench scenario 9) single health answers
 * took 2–3 s while the disk was fine. So a check runs in the background, one at a time, and a
 * health request waits for it only briefly: if it is done within FRESH_WAIT_MS (an idle disk, and
 * the moment a disk breaks) its result is the answer; otherwise the last result is, with its age,
 * as long as it is recent. A check that takes longer than OVERDUE_MS fails readiness on its own: a
 * disk that does not answer for that long is not ready, whatever it said before.
 *
 * Hand-written: readiness libraries (e.g. terminus, lightship) run a callback per probe and would
 * put the same file-system calls back in front of every request.
 */

export type DiskState =
  | { ok: true; freeBytes: number }
  | { ok: false; reason: "data directory is not writable" | "free disk space could not be read" };

export type DiskReading =
  | { state: DiskState; ageMs: number }
  | { state: { ok: false; reason: "data directory check overdue" }; ageMs: number | null; pendingMs: number };

export interface DiskProbeOptions {
  check: () => Promise<DiskState>;
  /** How long a request waits for the check it started before taking the last result. */
  freshWaitMs?: number;
  /** How old a last result may be and still answer. */
  maxAgeMs?: number;
  /** A check running this long fails readiness. */
  overdueMs?: number;
  now?: () => number;
}

export const FRESH_WAIT_MS = 20;
const MAX_AGE_MS = 10_000;
export const OVERDUE_MS = 20_000;

export interface DiskProbe {
  read(): Promise<DiskReading>;
}

function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), Math.max(0, ms)).unref?.());
}

export function createDiskProbe({ check, freshWaitMs = FRESH_WAIT_MS, maxAgeMs = MAX_AGE_MS, overdueMs = OVERDUE_MS, now = Date.now }: DiskProbeOptions): DiskProbe {
  let last: { state: DiskState; at: number } | null = null;
  let running: { done: Promise<{ state: DiskState; at: number }>; startedAt: number } | null = null;

  const start = () => {
    if (running) return running;
    const startedAt = now();
    const done = check()
      .catch((): DiskState => ({ ok: false, reason: "data directory is not writable" }))
      .then((state) => {
        last = { state, at: now() };
        running = null;
        return last;
      });
    running = { done, startedAt };
    return running;
  };

  const answer = (reading: { state: DiskState; at: number }): DiskReading => ({ state: reading.state, ageMs: Math.max(0, now() - reading.at) });

  return {
    async read() {
      const current = start();
      const fresh = await Promise.race([current.done, delay(freshWaitMs)]);
      if (fresh) return answer(fresh);
      if (last && now() - last.at <= maxAgeMs && now() - current.startedAt < overdueMs) return answer(last);
      const late = await Promise.race([current.done, delay(current.startedAt + overdueMs - now())]);
      if (late) return answer(late);
      return { state: { ok: false, reason: "data directory check overdue" }, ageMs: last ? now() - last.at : null, pendingMs: now() - current.startedAt };
    },
  };
}

/** Bytes an unprivileged process may still write where `dir` lives (what `df` shows as available). */
async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Creates and removes a file in the data directory's tmp, then reads the free space. */
export async function checkDataDir(dataDir: string): Promise<DiskState> {
  const probe = path.join(dataDir, "tmp", `health-${randomUUID()}`);
  try {
    await fs.mkdir(path.dirname(probe), { recursive: true });
    await fs.writeFile(probe, "");
    await fs.rm(probe);
  } catch {
    return { ok: false, reason: "data directory is not writable" };
  }
  try {
    return { ok: true, freeBytes: await freeBytes(dataDir) };
  } catch {
    return { ok: false, reason: "free disk space could not be read" };
  }
}

const PROBES_KEY = Symbol.for("nano-banana-studio.disk-probes");
type ProbesGlobal = typeof globalThis & { [PROBES_KEY]?: Map<string, DiskProbe> };

/** One probe per data directory for the process (on globalThis: the dev server re-evaluates modules). */
export function getDiskProbe(dataDir: string): DiskProbe {
  const holder = globalThis as ProbesGlobal;
  const probes = (holder[PROBES_KEY] ??= new Map());
  let probe = probes.get(dataDir);
  if (!probe) {
    probe = createDiskProbe({ check: () => checkDataDir(dataDir) });
    probes.set(dataDir, probe);
  }
  return probe;
}
