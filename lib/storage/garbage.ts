import type { ImageStore } from "./image-store";
import type { Turn } from "./types";

/**
 * Garbage collection of image files. Images are content-addressed and shared, so a file may go only
 * when no turn of any session references it: as a reference, a result or a thought image. Two kinds
 * of file are collected:
 *
 * - unused uploads: stored more than `unusedOlderThanMs` ago (an upload of the same bytes again
 *   counts as new) and used by no turn. The grace period is for uploads waiting in a composer.
 * - released images: those of a session just deleted, at once, unless another turn still uses them,
 *   so a deleted session's images stop being served.
 *
 * The references are read after the files are listed, so a turn created meanwhile still protects
 * the upload it uses. Named export copies (`gen-….png` in the data directory) are the designer's
 * files and are never touched.
 */

export interface GarbageCollectionOptions {
  /** Unreferenced images stored longer ago than this go; undefined: only `released` ones are considered. */
  unusedOlderThanMs?: number;
  /** Hashes to remove now if no turn references them, whatever their age. */
  released?: Iterable<string>;
  /** For tests. */
  now?: number;
}

export interface GarbageCollectionReport {
  removed: string[];
  bytes: number;
}

export interface StoredImageEntry {
  hash: string;
  /** Milliseconds since the epoch: when the bytes were last stored. */
  storedAt: number;
  byteLength: number;
}

/** The optional ImageStore methods collection needs. */
export interface CollectableImageStore extends ImageStore {
  list(): Promise<StoredImageEntry[]>;
  remove(hash: string): Promise<boolean>;
}

export function isCollectable(store: ImageStore): store is CollectableImageStore {
  const candidate = store as Partial<CollectableImageStore>;
  return typeof candidate.list === "function" && typeof candidate.remove === "function";
}

/** Every image hash a turn uses. */
export function imagesOfTurns(turns: Iterable<Pick<Turn, "request" | "outcome">>): Set<string> {
  const hashes = new Set<string>();
  for (const turn of turns) {
    for (const reference of turn.request.references) hashes.add(reference.hash);
    for (const image of turn.outcome?.images ?? []) hashes.add(image.hash);
    for (const thought of turn.outcome?.thoughts ?? []) if (thought.kind === "image") hashes.add(thought.hash);
  }
  return hashes;
}

export async function collectImageGarbage(
  images: ImageStore,
  referenced: () => Promise<Set<string>>,
  options: GarbageCollectionOptions,
): Promise<GarbageCollectionReport> {
  const report: GarbageCollectionReport = { removed: [], bytes: 0 };
  if (!isCollectable(images)) return report;
  const now = options.now ?? Date.now();
  const released = new Set(options.released ?? []);
  const cutoff = options.unusedOlderThanMs === undefined ? null : now - options.unusedOlderThanMs;
  const candidates = (await images.list()).filter((entry) => released.has(entry.hash) || (cutoff !== null && entry.storedAt <= cutoff));
  if (candidates.length === 0) return report;
  const inUse = await referenced();
  for (const entry of candidates) {
    if (inUse.has(entry.hash)) continue;
    if (await images.remove(entry.hash)) {
      report.removed.push(entry.hash);
      report.bytes += entry.byteLength;
    }
  }
  return report;
}
