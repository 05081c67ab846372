import "server-only";

import { LRUCache } from "lru-cache";
import type { ModelTurn } from "@/lib/gemini/types";
import type { OwnerId } from "@/lib/storage/types";

/**
 * What a follow-up replays, kept in memory between follow-ups of the same conversation: the
 * model's earlier turns (with their thought signatures and inline images, as storage gave them
 * back) and reference images. Without it every follow-up reads the whole conversation from
 * storage again, about 100 ms per earlier turn at 1K.
 *
 * Nothing here is ever out of date: a stored model turn is written once, when its turn succeeds,
 * and is keyed by its owner and turn id; an image is keyed by the hash of its bytes. Entries are
 * only ever filled from storage (never from what a job just received), so what is replayed is
 * exactly what storage hands back, as without the cache. Model turns are frozen: the request
 * builder only reads them, and a future change that wrote to one would throw instead of quietly
 * changing what later follow-ups send.
 *
 * A model turn counts twice its strings: once a follow-up has sent it, the gateway keeps the bytes
 * of its images and signatures beside it, ready to send again (lib/gemini/request-stash.ts), for as
 * long as the turn stays here. An image counts its base64 and those bytes too (imageBytes). So the
 * cap is what all of them take.
 *
 * Bounded by bytes (least recently used out first) and by idle time (an entry not used for
 * `idleMs` goes, so a quiet studio gives the memory back). lru-cache does both, and shares one load
 * between follow-ups that ask for the same entry at once (a model comparison starts several).
 */

export const DEFAULT_HISTORY_CACHE_MB = 128;
export const DEFAULT_HISTORY_CACHE_IDLE_MS = 15 * 60_000;

export interface CachedImage {
  mimeType: string;
  bytes: Buffer;
}

export interface HistoryCacheOptions {
  /** 0 turns the cache off: every read goes to storage. */
  maxBytes: number;
  idleMs?: number;
  /** Monotonic milliseconds; for tests. */
  now?: () => number;
}

export interface HistoryCache {
  /** The model turn from the cache, or else from `load` (kept when found). Null when `load` finds none. */
  modelTurn(ownerId: OwnerId, turnId: string, load: () => Promise<ModelTurn | null>): Promise<ModelTurn | null>;
  /** The image with this content hash, from the cache or else from `load` (kept when found). */
  image(hash: string, load: () => Promise<CachedImage | null>): Promise<CachedImage | null>;
  /** What is held now, for tests and diagnostics. */
  readonly size: { entries: number; bytes: number };
}

type Entry = { kind: "turn"; turn: ModelTurn; bytes: number } | { kind: "image"; image: CachedImage };
type Loader = () => Promise<Entry | null>;

export function createHistoryCache(options: HistoryCacheOptions): HistoryCache {
  if (!Number.isFinite(options.maxBytes) || options.maxBytes < 0) throw new RangeError(`maxBytes must be 0 or more, not ${options.maxBytes}.`);
  if (options.maxBytes === 0) return uncached();

  const now = options.now;
  const cache = new LRUCache<string, Entry, Loader>({
    maxSize: Math.floor(options.maxBytes),
    sizeCalculation: (entry) => Math.max(1, entry.kind === "turn" ? entry.bytes : imageBytes(entry.image)),
    ttl: options.idleMs ?? DEFAULT_HISTORY_CACHE_IDLE_MS,
    // Idle expiry, not age: every hit starts the clock again.
    updateAgeOnGet: true,
    // Expired entries are dropped when due (timers are unref'd), not only when next looked up.
    ttlAutopurge: true,
    ttlResolution: 0,
    ...(now ? { perf: { now } } : {}),
    // A load still in flight when its placeholder is pushed out hands its value to its callers
    // anyway; without this they would get an abort error instead of the turn.
    ignoreFetchAbort: true,
    fetchMethod: async (_key, _stale, { context }) => (await context()) ?? undefined,
  });

  return {
    async modelTurn(ownerId, turnId, load) {
      const entry = await cache.fetch(`turn\u0000${ownerId}\u0000${turnId}`, {
        context: async () => {
          const turn = await load();
          return turn ? { kind: "turn", turn: deepFreeze(turn), bytes: 2 * approximateBytes(turn) } : null;
        },
      });
      return entry?.kind === "turn" ? entry.turn : null;
    },
    async image(hash, load) {
      const entry = await cache.fetch(`image\u0000${hash}`, {
        context: async () => {
          const image = await load();
          return image ? { kind: "image", image } : null;
        },
      });
      return entry?.kind === "image" ? entry.image : null;
    },
    get size() {
      return { entries: cache.size, bytes: cache.calculatedSize };
    },
  };
}

/**
 * An image counts its bytes and, once a request has carried it, its base64 and that base64's bytes
 * (the request builder keeps its part for as long as the bytes live, lib/gemini/request.ts; the
 * request stash keeps the part's bytes beside it): 1 + 4/3 + 4/3.
 */
function imageBytes(image: CachedImage): number {
  return image.bytes.byteLength + 2 * Math.ceil(image.bytes.byteLength / 3) * 4;
}

function uncached(): HistoryCache {
  return {
    modelTurn: (_ownerId, _turnId, load) => load(),
    image: (_hash, load) => load(),
    size: { entries: 0, bytes: 0 },
  };
}

/**
 * Memory a model turn holds, near enough: its strings (base64 image data and signatures, one byte
 * a character as V8 keeps ASCII) and a little per value. Exactness doesn't matter, the cap does.
 */
export function approximateBytes(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + approximateBytes(item), 16);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).reduce((sum, [key, item]) => sum + key.length + approximateBytes(item), 16);
  }
  return 8;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
