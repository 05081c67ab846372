import "server-only";

import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { sniffImageType } from "@/lib/images/sniff";
import type { ModelTurn } from "@/lib/gemini/types";
import { collectImageGarbage, imagesOfTurns, type CollectableImageStore } from "./garbage";
import { ImageStoreError, isContentHash, putHash, type ImageStore, type StoredImage } from "./image-store";
import { costOfTurn } from "./turn-cost";
import {
  ACTIVE_TURN_STATUSES,
  DEFAULT_SESSION_LIST_LIMIT,
  MAX_SESSION_LIST_LIMIT,
  StorageError,
  canTransition,
  coverImageOf,
  createTimestampClock,
  imageHashesOf,
  isBatchWaiting,
  isFinishedStatus,
  isValidBudgetLimit,
  libraryItemsOf,
  libraryLimit,
  normalizeBoardName,
  normalizeSavedPrompt,
  resultImageOf,
  type Board,
  type BudgetOverride,
  type ResultRef,
  type SavedPrompt,
  type DefaultBudget,
  type LedgerEntry,
  type LedgerRange,
  type Session,
  type SessionShare,
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
    async put(bytes, options = {}) {
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = putHash(bytes, options.sha256);
      if (!objects.has(hash)) objects.set(hash, Buffer.from(bytes));
      storedAt.set(hash, now());
      return { hash, mimeType, byteLength: bytes.byteLength };
    },
    async putFile(file) {
      const bytes = await readFile(file);
      const mimeType = sniffImageType(bytes);
      if (!mimeType) throw new ImageStoreError("not_an_image", "The data is not a recognised image.");
      const hash = createHash("sha256").update(bytes).digest("hex");
      if (!objects.has(hash)) objects.set(hash, bytes);
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
    async stream(hash) {
      const bytes = isContentHash(hash) ? objects.get(hash) : undefined;
      const mimeType = bytes ? sniffImageType(bytes) : null;
      if (!bytes || !mimeType) return null;
      return { image: { hash, mimeType, byteLength: bytes.byteLength }, body: Readable.from([Buffer.from(bytes)]) };
    },
    async exportAs(hash, fileName, pending) {
      if (pending) await pending.stored;
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
  const shares = new Map<string, SessionShare>();
  let defaultBudget: DefaultBudget = { limitMicroUsd: null, updatedAt: null, updatedBy: null };
  const overrides = new Map<string, BudgetOverride>();
  const checkLimit = (limit: unknown) => {
    if (!isValidBudgetLimit(limit)) throw new StorageError("invalid_value", "A budget is a whole number of micro-dollars, 0 or more, or no limit.");
  };

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
  /** ownerId -> hashes they uploaded. */
  const uploads = new Map<string, Set<string>>();

  // Favourites and board items are kept by key and read through `turns`: a row whose turn has gone
  // (its session was deleted) is dropped there, as the databases' cascade does.
  const resultKey = (ref: ResultRef) => `${ref.turnId}\u0000${ref.hash}`;
  const favourites = new Map<string, Map<string, ResultRef>>();
  const boards = new Map<string, Omit<Board, "itemCount">>();
  const boardItems = new Map<string, Map<string, ResultRef>>();
  const prompts = new Map<string, SavedPrompt>();
  const live = (refs: Iterable<ResultRef>) => [...refs].filter((ref) => turns.has(ref.turnId));
  const ownedResult = (ownerId: string, ref: ResultRef) => {
    const turn = ownedTurn(ownerId, ref.turnId);
    if (!turn || !resultImageOf(turn, ref.hash)) throw new StorageError("not_found", "No such result.");
  };
  const ownedBoard = (ownerId: string, id: string) => {
    const board = boards.get(id);
    return board && board.ownerId === ownerId ? board : undefined;
  };
  const boardView = (board: Omit<Board, "itemCount">): Board => ({ ...clone(board), itemCount: live(boardItems.get(board.id)?.values() ?? []).length });
  const spentBy = ({ from, to, ownerId }: LedgerRange & { ownerId: string }) => {
    let sum = 0;
    for (const turn of turns.values()) {
      if (turn.ownerId !== ownerId || !turn.cost || turn.cost.billedAt < from || turn.cost.billedAt >= to) continue;
      sum += turn.cost.microUsd ?? 0;
    }
    return sum;
  };
  const activeRequestsOf = (ownerId: string) =>
    [...turns.values()].filter((turn) => turn.ownerId === ownerId && ACTIVE_TURN_STATUSES.includes(turn.status)).map((turn) => clone(turn.request));

  return {
    images,

    library: {
      async list(ownerId, options = {}) {
        const owned = [...turns.values()].filter((turn) => turn.ownerId === ownerId && turn.status === "succeeded").reverse();
        const items = [...boards.values()]
          .filter((board) => board.ownerId === ownerId)
          .flatMap((board) => [...(boardItems.get(board.id)?.values() ?? [])].map((ref) => ({ ...ref, boardId: board.id })));
        return clone(
          libraryItemsOf(
            owned.map((turn) => ({ turn, sessionTitle: sessions.get(turn.sessionId)?.title ?? "" })),
            live(favourites.get(ownerId)?.values() ?? []),
            items.filter((item) => turns.has(item.turnId)),
            libraryLimit(options.limit),
          ),
        );
      },
      async setFavourite(ownerId, ref, favourite) {
        ownedResult(ownerId, ref);
        const mine = favourites.get(ownerId) ?? new Map<string, ResultRef>();
        if (favourite) mine.set(resultKey(ref), { turnId: ref.turnId, hash: ref.hash });
        else mine.delete(resultKey(ref));
        favourites.set(ownerId, mine);
      },
      async stateOf(ownerId, ref) {
        const key = resultKey(ref);
        const boardIds = [...boards.values()]
          .filter((board) => board.ownerId === ownerId && boardItems.get(board.id)?.has(key))
          .map((board) => board.id)
          .sort();
        return { favourite: favourites.get(ownerId)?.has(key) ?? false, boardIds };
      },
    },

    boards: {
      async create(ownerId, name) {
        const at = stamp();
        const board = { id: randomUUID(), ownerId, name: normalizeBoardName(name), createdAt: at, updatedAt: at };
        boards.set(board.id, board);
        return boardView(board);
      },
      async list(ownerId) {
        return [...boards.values()]
          .filter((board) => board.ownerId === ownerId)
          .sort((a, b) => a.name.localeCompare(b.name) || a.createdAt.localeCompare(b.createdAt))
          .map(boardView);
      },
      async get(ownerId, id) {
        const board = ownedBoard(ownerId, id);
        return board ? boardView(board) : null;
      },
      async rename(ownerId, id, name) {
        const clean = normalizeBoardName(name);
        const board = ownedBoard(ownerId, id);
        if (!board) return null;
        board.name = clean;
        board.updatedAt = stamp();
        return boardView(board);
      },
      async delete(ownerId, id) {
        if (!ownedBoard(ownerId, id)) return false;
        boards.delete(id);
        boardItems.delete(id);
        return true;
      },
      async addItem(ownerId, boardId, ref) {
        const board = ownedBoard(ownerId, boardId);
        if (!board) throw new StorageError("not_found", "No such board.");
        ownedResult(ownerId, ref);
        const items = boardItems.get(boardId) ?? new Map<string, ResultRef>();
        items.set(resultKey(ref), { turnId: ref.turnId, hash: ref.hash });
        boardItems.set(boardId, items);
        board.updatedAt = stamp();
      },
      async removeItem(ownerId, boardId, ref) {
        const board = ownedBoard(ownerId, boardId);
        if (!board) return false;
        const removed = boardItems.get(boardId)?.delete(resultKey(ref)) ?? false;
        if (removed) board.updatedAt = stamp();
        return removed;
      },
    },

    prompts: {
      async create(ownerId, input) {
        const prompt: SavedPrompt = { id: randomUUID(), ownerId, ...normalizeSavedPrompt(input), createdAt: stamp() };
        prompts.set(prompt.id, prompt);
        return clone(prompt);
      },
      async list(ownerId) {
        return clone([...prompts.values()].filter((prompt) => prompt.ownerId === ownerId).reverse());
      },
      async delete(ownerId, id) {
        const prompt = prompts.get(id);
        if (!prompt || prompt.ownerId !== ownerId) return false;
        return prompts.delete(id);
      },
    },

    imageAccess: {
      async recordUpload(ownerId, hash) {
        const set = uploads.get(ownerId) ?? new Set<string>();
        set.add(hash);
        uploads.set(ownerId, set);
      },
      async canRead(ownerId, hash) {
        if (uploads.get(ownerId)?.has(hash)) return true;
        return [...turns.values()].some((turn) => turn.ownerId === ownerId && imageHashesOf(turn).includes(hash));
      },
      async sessionsWith(hash) {
        const found = new Map<string, string>();
        for (const turn of turns.values()) if (imageHashesOf(turn).includes(hash)) found.set(turn.sessionId, turn.ownerId);
        return [...found].map(([sessionId, ownerId]) => ({ sessionId, ownerId }));
      },
    },

    async reassignOwner(from, to) {
      let moved = 0;
      for (const record of sessions.values()) {
        if (record.ownerId !== from) continue;
        record.ownerId = to;
        moved += 1;
      }
      for (const turn of turns.values()) if (turn.ownerId === from) turn.ownerId = to;
      for (const [key, json] of [...modelTurns]) {
        const [owner, turnId] = key.split("\u0000");
        if (owner !== from || turnId === undefined) continue;
        modelTurns.delete(key);
        modelTurns.set(modelTurnKey(to, turnId), json);
      }
      for (const [sessionId, share] of shares) {
        if (share.ownerId === from || share.sharedBy === from) {
          shares.set(sessionId, { ...share, ownerId: share.ownerId === from ? to : share.ownerId, sharedBy: share.sharedBy === from ? to : share.sharedBy });
        }
      }
      const override = overrides.get(from);
      overrides.delete(from);
      if (override && !overrides.has(to)) overrides.set(to, { ...override, ownerId: to });
      const starred = favourites.get(from);
      favourites.delete(from);
      if (starred) favourites.set(to, new Map([...(favourites.get(to) ?? []), ...starred]));
      for (const board of boards.values()) if (board.ownerId === from) board.ownerId = to;
      for (const prompt of prompts.values()) if (prompt.ownerId === from) prompt.ownerId = to;
      const uploaded = uploads.get(from);
      if (uploaded) {
        uploads.delete(from);
        for (const hash of uploaded) await this.imageAccess.recordUpload(to, hash);
      }
      return moved;
    },

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
        shares.delete(id);
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
          cost: null,
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
        const outcome = patch.outcome === undefined ? turn.outcome : patch.outcome;
        const at = stamp();
        // Validate JSON-safety before changing anything, so a bad patch leaves the turn as it was.
        const next: Turn = clone({
          ...turn,
          status,
          outcome,
          error: patch.error === undefined ? turn.error : patch.error,
          attempts: patch.attempts ?? turn.attempts,
          updatedAt: at,
          cost: isFinishedStatus(status) ? costOfTurn(turn.request, outcome, at) : null,
        });
        turns.set(id, next);
        if (status !== turn.status) touch(turn.sessionId, next.updatedAt);
        return clone(next);
      },
      async listBatchWaiting() {
        return [...turns.values()].filter(isBatchWaiting).map(clone);
      },
      async interruptRunning(error) {
        const changed: Turn[] = [];
        for (const turn of turns.values()) {
          if (!ACTIVE_TURN_STATUSES.includes(turn.status) || isBatchWaiting(turn)) continue;
          const at = stamp();
          const next: Turn = { ...turn, status: "interrupted", error: clone(error), updatedAt: at, cost: costOfTurn(turn.request, turn.outcome, at) };
          turns.set(turn.id, next);
          touch(turn.sessionId, next.updatedAt);
          changed.push(clone(next));
        }
        return changed;
      },
      async copyChain({ from, to }) {
        const source = ownedTurn(from.ownerId, from.turnId);
        if (!source) throw new StorageError("not_found", "No such turn.");
        if (!ownedSession(to.ownerId, to.sessionId)) throw new StorageError("not_found", "No such session.");
        const chain: Turn[] = [];
        for (let current: Turn | undefined = source; current; current = current.parentId === null ? undefined : turns.get(current.parentId)) {
          chain.unshift(current);
        }
        if (chain.some((turn) => !isFinishedStatus(turn.status))) {
          throw new StorageError("invalid_transition", "Only a finished turn can be continued.");
        }
        const copies: Turn[] = [];
        let parentId: string | null = null;
        for (const original of chain) {
          const at = stamp();
          const copy: Turn = {
            ...clone(original),
            id: randomUUID(),
            sessionId: to.sessionId,
            ownerId: to.ownerId,
            parentId,
            createdAt: at,
            updatedAt: at,
            cost: null,
          };
          turns.set(copy.id, copy);
          const modelTurn = modelTurns.get(modelTurnKey(from.ownerId, original.id));
          if (modelTurn !== undefined) modelTurns.set(modelTurnKey(to.ownerId, copy.id), modelTurn);
          touch(to.sessionId, at);
          copies.push(clone(copy));
          parentId = copy.id;
        }
        return copies;
      },
    },

    ledger: {
      async entries({ from, to, ownerId }) {
        const entries: LedgerEntry[] = [];
        for (const turn of turns.values()) {
          const cost = turn.cost;
          if (!cost || cost.billedAt < from || cost.billedAt >= to) continue;
          if (ownerId !== undefined && turn.ownerId !== ownerId) continue;
          entries.push(clone({ turnId: turn.id, sessionId: turn.sessionId, ownerId: turn.ownerId, status: turn.status, cost }));
        }
        return entries.sort((a, b) => a.cost.billedAt.localeCompare(b.cost.billedAt));
      },
      async spent(range) {
        return spentBy(range);
      },
      async activeRequests(ownerId) {
        return activeRequestsOf(ownerId);
      },
    },

    budgets: {
      async standing(ownerId, range) {
        const override = overrides.get(ownerId);
        return {
          limitMicroUsd: override ? override.limitMicroUsd : defaultBudget.limitMicroUsd,
          source: override ? "override" : "default",
          spentMicroUsd: spentBy({ ...range, ownerId }),
          activeRequests: activeRequestsOf(ownerId),
        };
      },
      async getDefault() {
        return clone(defaultBudget);
      },
      async setDefault(limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        defaultBudget = { limitMicroUsd, updatedAt: stamp(), updatedBy: by };
        return clone(defaultBudget);
      },
      async getOverride(ownerId) {
        const found = overrides.get(ownerId);
        return found ? clone(found) : null;
      },
      async listOverrides() {
        return clone([...overrides.values()].sort((a, b) => a.ownerId.localeCompare(b.ownerId)));
      },
      async setOverride(ownerId, limitMicroUsd, by) {
        checkLimit(limitMicroUsd);
        const record: BudgetOverride = { ownerId, limitMicroUsd, updatedAt: stamp(), updatedBy: by };
        overrides.set(ownerId, record);
        return clone(record);
      },
      async clearOverride(ownerId) {
        return overrides.delete(ownerId);
      },
    },

    shares: {
      async set(ownerId, sessionId, mode) {
        if (!ownedSession(ownerId, sessionId)) throw new StorageError("not_found", "No such session.");
        if (mode !== "view" && mode !== "continue") throw new StorageError("invalid_value", "A share is view-only or can-continue.");
        const share: SessionShare = { sessionId, ownerId, mode, sharedBy: ownerId, sharedAt: stamp() };
        shares.set(sessionId, share);
        return clone(share);
      },
      async remove(ownerId, sessionId) {
        if (!ownedSession(ownerId, sessionId)) return false;
        return shares.delete(sessionId);
      },
      async get(sessionId) {
        const share = shares.get(sessionId);
        return share ? clone(share) : null;
      },
      async list({ limit, offset } = {}) {
        const max = Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_SESSION_LIST_LIMIT)), MAX_SESSION_LIST_LIMIT);
        const skip = Math.max(0, Math.floor(offset ?? 0));
        return [...shares.values()]
          .map((share) => ({ share, record: sessions.get(share.sessionId) }))
          .filter((entry): entry is { share: SessionShare; record: SessionRecord } => entry.record !== undefined)
          .reverse()
          .sort((a, b) => b.record.updatedAt.localeCompare(a.record.updatedAt))
          .slice(skip, skip + max)
          .map(({ share, record }) => ({ session: view(record), share: clone(share) }));
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
