import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { sniffImageType } from "@/lib/images/sniff";
import type { ModelTurn } from "@/lib/gemini/types";
import { collectImageGarbage, imagesOfTurns, type CollectableImageStore } from "./garbage";
import { ImageStoreError, isContentHash, type ImageStore, type StoredImage } from "./image-store";
import {
  ACTIVE_TURN_STATUSES,
  DEFAULT_SESSION_LIST_LIMIT,
  MAX_SESSION_LIST_LIMIT,
  StorageError,
  canTransition,
  coverImageOf,
  createTimestampClock,
  isFinishedStatus,
  type Session,
  type Storage,
  type Turn,
} from "./types";

// The storage interfaces over plain maps: the test double for code above storage, and the
// reference the contract suite is checked against. Everything goes through JSON on the way in
// and out, like a real backend, so a caller that mutates what it got back changes nothing here
// and a value that is not JSON-safe fails here first.

type SessionRecord = Omit<Session, "turnCount" | "lastPrompt" | "coverImageHash">;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export interface MemoryImageStore extends CollectableImageStore {
  /** Names passed to exportAs, in order; tests check output naming with it. */
  readonly exported: string[];
}

export function createMemoryImageStore(options: { now?: () => number } = {}): MemoryImageStore {
  const now = options.now ?? Date.now;
  const objects = new Map<string, Buffer>();
  const storedAt = new Map<string, number>();
  const exports = new Map<string, string>();
  const exported: string[] = [];

  return {
    exported,
    async put(bytes) {
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = createHash("sha256").update(bytes).digest("hex");
      if (!objects.has(hash)) objects.set(hash, Buffer.from(bytes));
      storedAt.set(hash, now());
      return { hash, mimeType, byteLength: bytes.byteLength };
    },
    async get(hash) {
      const bytes = isContentHash(hash) ? objects.get(hash) : undefined;
      const mimeType = bytes ? sniffImageType(bytes) : null;
      if (!bytes || !mimeType) return null;
      const image: StoredImage = { hash, mimeType, byteLength: bytes.byteLength };
      return { image, bytes: Buffer.from(bytes) };
    },
    async exportAs(hash, fileName) {
      if (!objects.has(hash)) throw new ImageStoreError("not_an_image", "Unknown image.");
      const safeName = path.basename(fileName);
      const extension = path.extname(safeName);
      const stem = safeName.slice(0, safeName.length - extension.length);
      for (let copy = 1; ; copy += 1) {
        const name = copy === 1 ? safeName : `${stem}-${copy}${extension}`;
        const holder = exports.get(name);
        if (holder === undefined || holder === hash) {
          exports.set(name, hash);
          exported.push(name);
          return `/memory/${name}`;
        }
      }
    },
    async sweepTemp() {
      return 0;
    },
    async list() {
      return [...objects].map(([hash, bytes]) => ({ hash, storedAt: storedAt.get(hash) ?? 0, byteLength: bytes.byteLength }));
    },
    async remove(hash) {
      storedAt.delete(hash);
      return objects.delete(hash);
    },
  };
}

export interface MemoryStorageOptions {
  now?: () => Date;
  images?: ImageStore;
}

export function createMemoryStorage(options: MemoryStorageOptions = {}): Storage {
  const stamp = createTimestampClock(options.now);
  const sessions = new Map<string, SessionRecord>();
  // Map iteration order is insertion order, which is also createdAt order.
  const turns = new Map<string, Turn>();
  const modelTurns = new Map<string, string>();
  const images = options.images ?? createMemoryImageStore();

  const ownedSession = (ownerId: string, id: string) => {
    const record = sessions.get(id);
    return record && record.ownerId === ownerId ? record : undefined;
  };
  const ownedTurn = (ownerId: string, id: string) => {
    const turn = turns.get(id);
    return turn && turn.ownerId === ownerId ? turn : undefined;
  };
  const turnsOf = (sessionId: string) => [...turns.values()].filter((turn) => turn.sessionId === sessionId);
  const touch = (sessionId: string, at: string) => {
    const record = sessions.get(sessionId);
    if (record) record.updatedAt = at;
  };

  function view(record: SessionRecord): Session {
    const list = turnsOf(record.id);
    const cover = [...list].reverse().find((turn) => coverImageOf(turn.status, turn.outcome) !== null);
    return {
      ...clone(record),
      turnCount: list.length,
      lastPrompt: list.at(-1)?.request.prompt ?? null,
      coverImageHash: cover ? coverImageOf(cover.status, cover.outcome) : null,
    };
  }

  const modelTurnKey = (ownerId: string, turnId: string) => `${ownerId}\u0000${turnId}`;

  return {
    images,

    sessions: {
      async create({ ownerId, title }) {
        const at = stamp();
        const record: SessionRecord = { id: randomUUID(), ownerId, title, createdAt: at, updatedAt: at };
        sessions.set(record.id, record);
        return view(record);
      },
      async get(ownerId, id) {
        const record = ownedSession(ownerId, id);
        return record ? view(record) : null;
      },
      async list(ownerId, { query, limit, offset } = {}) {
        const needle = query?.trim().toLowerCase() ?? "";
        const max = Math.min(Math.max(1, limit ?? DEFAULT_SESSION_LIST_LIMIT), MAX_SESSION_LIST_LIMIT);
        const skip = Math.max(0, Math.floor(offset ?? 0));
        return [...sessions.values()]
          .filter((record) => record.ownerId === ownerId)
          .filter(
            (record) =>
              needle === "" ||
              record.title.toLowerCase().includes(needle) ||
              turnsOf(record.id).some((turn) => turn.request.prompt.toLowerCase().includes(needle)),
          )
          .reverse()
          .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
          .slice(skip, skip + max)
          .map(view);
      },
      async rename(ownerId, id, title) {
        const record = ownedSession(ownerId, id);
        if (!record) return null;
        record.title = title;
        record.updatedAt = stamp();
        return view(record);
      },
      async delete(ownerId, id) {
        if (!ownedSession(ownerId, id)) return false;
        for (const turn of turnsOf(id)) {
          turns.delete(turn.id);
          modelTurns.delete(modelTurnKey(ownerId, turn.id));
        }
        sessions.delete(id);
        return true;
      },
    },

    turns: {
      async create({ ownerId, sessionId, parentId, request }) {
        if (!ownedSession(ownerId, sessionId)) throw new StorageError("not_found", "No such session.");
        if (parentId !== null && ownedTurn(ownerId, parentId)?.sessionId !== sessionId) {
          throw new StorageError("not_found", "No such parent turn in this session.");
        }
        const at = stamp();
        const turn: Turn = {
          id: randomUUID(),
          sessionId,
          ownerId,
          parentId,
          createdAt: at,
          updatedAt: at,
          status: "queued",
          request: clone(request),
          outcome: null,
          error: null,
          attempts: 0,
        };
        turns.set(turn.id, turn);
        touch(sessionId, at);
        return clone(turn);
      },
      async get(ownerId, id) {
        const turn = ownedTurn(ownerId, id);
        return turn ? clone(turn) : null;
      },
      async listBySession(ownerId, sessionId) {
        return ownedSession(ownerId, sessionId) ? clone(turnsOf(sessionId)) : [];
      },
      async chain(ownerId, turnId) {
        const path: Turn[] = [];
        let current = ownedTurn(ownerId, turnId);
        if (!current) return null;
        while (current) {
          path.unshift(current);
          current = current.parentId === null ? undefined : turns.get(current.parentId);
        }
        return clone(path);
      },
      async update(ownerId, id, patch) {
        const turn = ownedTurn(ownerId, id);
        if (!turn) throw new StorageError("not_found", "No such turn.");
        if (isFinishedStatus(turn.status)) {
          throw new StorageError("invalid_transition", `The turn has already ${turn.status}; it can't change any more.`);
        }
        const status = patch.status ?? turn.status;
        if (status !== turn.status && !canTransition(turn.status, status)) {
          throw new StorageError("invalid_transition", `A ${turn.status} turn can't become ${status}.`);
        }
        // Validate JSON-safety before changing anything, so a bad patch leaves the turn as it was.
        const next: Turn = clone({
          ...turn,
          status,
          outcome: patch.outcome === undefined ? turn.outcome : patch.outcome,
          error: patch.error === undefined ? turn.error : patch.error,
          attempts: patch.attempts ?? turn.attempts,
          updatedAt: stamp(),
        });
        turns.set(id, next);
        if (status !== turn.status) touch(turn.sessionId, next.updatedAt);
        return clone(next);
      },
      async interruptRunning(error) {
        const changed: Turn[] = [];
        for (const turn of turns.values()) {
          if (!ACTIVE_TURN_STATUSES.includes(turn.status)) continue;
          const next: Turn = { ...turn, status: "interrupted", error: clone(error), updatedAt: stamp() };
          turns.set(turn.id, next);
          touch(turn.sessionId, next.updatedAt);
          changed.push(clone(next));
        }
        return changed;
      },
    },

    modelTurns: {
      async put(ownerId, turnId, turn) {
        if (!ownedTurn(ownerId, turnId)) throw new StorageError("not_found", "No such turn.");
        modelTurns.set(modelTurnKey(ownerId, turnId), JSON.stringify(turn));
      },
      async get(ownerId, turnId) {
        const json = modelTurns.get(modelTurnKey(ownerId, turnId));
        return json === undefined ? null : (JSON.parse(json) as ModelTurn);
      },
      async delete(ownerId, turnId) {
        modelTurns.delete(modelTurnKey(ownerId, turnId));
      },
    },

    async collectGarbage(options) {
      return collectImageGarbage(images, async () => imagesOfTurns(turns.values()), options);
    },

    async close() {},
  };
}
