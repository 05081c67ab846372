import "server-only";

import type {
  GenerationSettings,
  Grounding,
  ModelTurn,
  PixelSize,
  InputImageRole,
  StudioError,
  Usage,
} from "@/lib/gemini/types";
import type { CostComponent, UsageCost } from "@/lib/gemini/prices";
import type { GarbageCollectionOptions, GarbageCollectionReport } from "./garbage";
import {
  MAX_BOARD_NAME_LENGTH,
  MAX_PROMPT_NAME_LENGTH,
  MAX_PROMPT_TAG_LENGTH,
  MAX_PROMPT_TAGS,
  MAX_SAVED_PROMPT_LENGTH,
} from "@/lib/studio/library";
import type { ImageStore } from "./image-store";

// The studio's saved data, independent of where it lives. Every type here is JSON-safe (no bytes,
// no Dates) so rows, server-action results and SSE payloads can carry it unchanged. Image bytes
// live only in the ImageStore and are named here by content hash.

/** One owner per row from the start; a single local user for now, teams later. */
export type OwnerId = string;

/** ISO 8601 timestamps in UTC, e.g. "2026-11-22T10:15:00.000Z": sortable as text and JSON-safe. */
export type Timestamp = string;

export interface Session {
  id: string;
  ownerId: OwnerId;
  title: string;
  createdAt: Timestamp;
  /** Moves on rename and whenever one of its turns is created or changes status. */
  updatedAt: Timestamp;
  turnCount: number;
  lastPrompt: string | null;
  /** First image of the newest turn that produced one. */
  coverImageHash: string | null;
}

export const TURN_STATUSES = ["queued", "running", "succeeded", "failed", "interrupted", "cancelled"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];

export const FINISHED_TURN_STATUSES: readonly TurnStatus[] = ["succeeded", "failed", "interrupted", "cancelled"];
export const ACTIVE_TURN_STATUSES: readonly TurnStatus[] = ["queued", "running"];

export function isFinishedStatus(status: TurnStatus): boolean {
  return FINISHED_TURN_STATUSES.includes(status);
}

const TRANSITIONS: Record<TurnStatus, readonly TurnStatus[]> = {
  queued: ["running", "failed", "cancelled", "interrupted"],
  running: ["succeeded", "failed", "cancelled", "interrupted"],
  // A finished turn is history: retrying makes a new sibling turn, so the record of what happened stays.
  succeeded: [],
  failed: [],
  interrupted: [],
  cancelled: [],
};

export function canTransition(from: TurnStatus, to: TurnStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A reference image as the request used it; the bytes are in the ImageStore under `hash`. */
export interface StoredReference {
  hash: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  role?: InputImageRole;
}

/** Everything needed to send the same request again: Retry repeats it exactly. */
export interface TurnRequest {
  prompt: string;
  references: StoredReference[];
  settings: GenerationSettings;
  /**
   * Set when the turn is one answer of a Gemini Batch API job (half price, within 24 h): the job's
   * name and this turn's place in it. Stored with the request, so a restart finds the job again.
   */
  batch?: BatchRef;
}

export interface BatchRef {
  /** Google's resource name, `batches/…`. */
  name: string;
  /** Which of the job's inlined requests this turn is (0-based). */
  index: number;
  submittedAt: Timestamp;
}

/** A turn that waits for a batch is not held by any job of this process, and survives restarts. */
export function isBatchWaiting(turn: Pick<Turn, "status" | "request">): boolean {
  return turn.request.batch !== undefined && ACTIVE_TURN_STATUSES.includes(turn.status);
}

export interface StoredImageRef {
  hash: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  /** The named copy in the data directory; null while the turn runs and for images of failed turns. */
  fileName: string | null;
  requested: PixelSize | null;
  sizeMismatch: boolean;
}

/** `at` is milliseconds since the request started, as the gateway measured it. */
export type StoredThought =
  | { kind: "text"; text: string; at: number }
  | { kind: "image"; hash: string; mimeType: string; width: number | null; height: number | null; at: number };

export interface TurnOutcome {
  /** Final images only; interim thought images stay in `thoughts`. */
  images: StoredImageRef[];
  thoughts: StoredThought[];
  text: string;
  grounding: Grounding | null;
  usage: Usage | null;
  finishReason: string | null;
  /** Google's own explanation of the finish, verbatim (may hold markdown links); absent in turns saved before it was kept. */
  finishMessage?: string | null;
  blockReason: string | null;
  modelVersion: string | null;
  responseId: string | null;
  warnings: string[];
  /**
   * Bytes this turn adds to every later request of its conversation (its prompt, references and
   * the model's answer as JSON), measured when it succeeded (lib/server/jobs/request-size.ts);
   * absent on other turns and on turns saved before it was kept.
   */
  replayBytes?: number;
}

export function emptyOutcome(): TurnOutcome {
  return {
    images: [],
    thoughts: [],
    text: "",
    grounding: null,
    usage: null,
    finishReason: null,
    blockReason: null,
    modelVersion: null,
    responseId: null,
    warnings: [],
  };
}

export interface Turn {
  id: string;
  sessionId: string;
  ownerId: OwnerId;
  /** null for the first turn of a conversation; any turn may have several children (branches). */
  parentId: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  status: TurnStatus;
  request: TurnRequest;
  /**
   * Set on success. While running it holds what has arrived so far (so images already written are
   * referenced even if the server dies), and after a failure whatever the model did answer.
   */
  outcome: TurnOutcome | null;
  error: StudioError | null;
  /** Attempts made against the service, retries included. */
  attempts: number;
  /**
   * What Google billed for it, recorded by the storage when the turn finishes; null while it runs
   * and for turns copied from a shared session (the original was billed). Absent on turns built
   * outside storage (test fixtures).
   */
  cost?: TurnCost | null;
}

/** One turn's line in the cost ledger. */
export interface TurnCost {
  model: string;
  status: UsageCost["status"];
  /** Integer micro-dollars; null when Google reported no usage or the model has no prices. */
  microUsd: number | null;
  /** Used but unpriced components: the bill is at least microUsd. */
  unpriced: CostComponent[];
  pricesReadOn: string | null;
  /** When the turn finished: the month and day it counts in. */
  billedAt: Timestamp;
}

/**
 * The error an interrupted turn carries: the studio stopped (crash, restart, shutdown) before the
 * turn finished. Its request is intact, so Retry repeats it.
 */
export const INTERRUPTED_TURN_ERROR: StudioError = {
  code: "internal",
  message: "The studio stopped while this image was being made.",
  action: "Retry to make it again with the same prompt and settings.",
  retryable: true,
};

export interface NewTurn {
  ownerId: OwnerId;
  sessionId: string;
  parentId: string | null;
  request: TurnRequest;
}

/** Fields left out are unchanged. A status change must be allowed by canTransition. */
export interface TurnPatch {
  status?: TurnStatus;
  outcome?: TurnOutcome | null;
  error?: StudioError | null;
  attempts?: number;
}

export interface ListSessionsOptions {
  /** Matches the session title and the prompts of its turns, case-insensitively. */
  query?: string;
  limit?: number;
  /** Sessions to skip from the newest, for the next page of the list. */
  offset?: number;
}

export const DEFAULT_SESSION_LIST_LIMIT = 100;
export const MAX_SESSION_LIST_LIMIT = 500;

export interface SessionRepository {
  create(input: { ownerId: OwnerId; title: string }): Promise<Session>;
  get(ownerId: OwnerId, id: string): Promise<Session | null>;
  /** Newest activity first. */
  list(ownerId: OwnerId, options?: ListSessionsOptions): Promise<Session[]>;
  /** null when there is no such session for this owner. */
  rename(ownerId: OwnerId, id: string, title: string): Promise<Session | null>;
  /**
   * Deletes the session with all its turns and their model turns. Image files are kept: they are
   * content-addressed and may be shared with other sessions, uploads and exports (see contract.ts).
   * Returns false when there is no such session for this owner.
   */
  delete(ownerId: OwnerId, id: string): Promise<boolean>;
}

export interface TurnRepository {
  /** Status "queued". Throws StorageError "not_found" when the session or parent is not this owner's, or the parent is in another session. */
  create(input: NewTurn): Promise<Turn>;
  get(ownerId: OwnerId, id: string): Promise<Turn | null>;
  /** Oldest first (creation order). Empty when the session is not this owner's. */
  listBySession(ownerId: OwnerId, sessionId: string): Promise<Turn[]>;
  /** Root first, ending with the turn itself; null when the turn is not this owner's. */
  chain(ownerId: OwnerId, turnId: string): Promise<Turn[] | null>;
  /**
   * Throws StorageError "not_found" for an unknown turn and "invalid_transition" when the status
   * change is not allowed or the turn has already finished (finished turns are immutable).
   */
  update(ownerId: OwnerId, id: string, patch: TurnPatch): Promise<Turn>;
  /**
   * Startup recovery: every queued or running turn, of every owner, becomes "interrupted" with
   * `error`, except those waiting for a batch (isBatchWaiting), which Google still runs. Only call it
   * when no job of this storage can still be running. Returns the turns changed.
   */
  interruptRunning(error: StudioError): Promise<Turn[]>;
  /** Every turn, of every owner, that waits for a batch (isBatchWaiting), oldest first. */
  listBatchWaiting(): Promise<Turn[]>;
}

/**
 * The model's reply to each turn, exactly as received, for replay in later requests. Kept out of
 * table rows: a thought signature alone can be ~600 KB.
 */
export interface ModelTurnStore {
  /**
   * `known` names, by part index, inline images the caller has stored in the ImageStore, or is
   * storing alongside and waits for before it counts the turn saved (decoded from that part's data),
   * so a backend that keeps them there need not decode, hash and store them again. A hint is only an
   * optimisation: the turn reads back the same with or without it.
   */
  put(ownerId: OwnerId, turnId: string, turn: ModelTurn, known?: KnownInlineImages): Promise<void>;
  get(ownerId: OwnerId, turnId: string): Promise<ModelTurn | null>;
  delete(ownerId: OwnerId, turnId: string): Promise<void>;
}

/** Part index -> the stored image its inline data decodes to. */
export type KnownInlineImages = ReadonlyMap<number, { hash: string; byteLength: number }>;

export interface CopyChainInput {
  /** The shared turn whose chain (root first, ending with it) is copied. */
  from: { ownerId: OwnerId; turnId: string };
  /** An existing session of the new owner; the copies start a new conversation in it. */
  to: { ownerId: OwnerId; sessionId: string };
}

export interface TurnCopies {
  /**
   * Copies a finished turn's chain with its model turns into another owner's session, so that
   * owner can continue from it without touching the original. The copies keep status, outcome and
   * error, get new ids, and carry no cost (the original turns were billed). Throws StorageError
   * "not_found" for an unknown turn or session, "invalid_transition" when the turn has not finished.
   * Returns the copies, root first.
   */
  copyChain(input: CopyChainInput): Promise<Turn[]>;
}

// ---------------------------------------------------------------------------------------------
// The cost ledger, budgets and sharing

export interface LedgerEntry {
  turnId: string;
  sessionId: string;
  ownerId: OwnerId;
  status: TurnStatus;
  cost: TurnCost;
}

export interface LedgerRange {
  /** Inclusive, ISO timestamp. */
  from: Timestamp;
  /** Exclusive, ISO timestamp. */
  to: Timestamp;
  /** One owner's turns; everyone's when left out. */
  ownerId?: OwnerId;
}

export interface LedgerRepository {
  /** Finished turns billed in the range, oldest first. Copied turns are not in the ledger. */
  entries(range: LedgerRange): Promise<LedgerEntry[]>;
  /** Sum of the priced costs in the range, in micro-dollars (turns without a figure add nothing). */
  spent(range: LedgerRange & { ownerId: OwnerId }): Promise<number>;
  /** The requests of the owner's queued and running turns: money committed but not yet billed. */
  activeRequests(ownerId: OwnerId): Promise<TurnRequest[]>;
}

/** A monthly budget in micro-dollars; null means no limit. */
export type BudgetLimit = number | null;

export interface DefaultBudget {
  limitMicroUsd: BudgetLimit;
  updatedAt: Timestamp | null;
  updatedBy: OwnerId | null;
}

export interface BudgetOverride {
  ownerId: OwnerId;
  limitMicroUsd: BudgetLimit;
  updatedAt: Timestamp;
  updatedBy: OwnerId;
}

/** What a budget check reads (lib/server/budgets.ts), for one owner and one month. */
export interface BudgetStanding {
  /** Their override if an admin set one, else the studio default. */
  limitMicroUsd: BudgetLimit;
  source: "override" | "default";
  /** ledger.spent for the owner and the range. */
  spentMicroUsd: number;
  /** ledger.activeRequests of the owner. */
  activeRequests: TurnRequest[];
}

export interface BudgetRepository {
  /**
   * The override, the default, the spending in the range and the active requests in one call, so
   * a backend across the network (PostgreSQL) answers a start's budget check in one round trip.
   */
  standing(ownerId: OwnerId, range: { from: Timestamp; to: Timestamp }): Promise<BudgetStanding>;
  /** No limit until an admin sets one. */
  getDefault(): Promise<DefaultBudget>;
  /** Throws StorageError "invalid_value" for a limit that is not a non-negative safe integer or null. */
  setDefault(limitMicroUsd: BudgetLimit, by: OwnerId): Promise<DefaultBudget>;
  getOverride(ownerId: OwnerId): Promise<BudgetOverride | null>;
  listOverrides(): Promise<BudgetOverride[]>;
  setOverride(ownerId: OwnerId, limitMicroUsd: BudgetLimit, by: OwnerId): Promise<BudgetOverride>;
  /** Back to the default; false when there was no override. */
  clearOverride(ownerId: OwnerId): Promise<boolean>;
}

export const SHARE_MODES = ["view", "continue"] as const;
export type ShareMode = (typeof SHARE_MODES)[number];

export interface SessionShare {
  sessionId: string;
  /** The session's owner (only the owner shares). */
  ownerId: OwnerId;
  mode: ShareMode;
  sharedBy: OwnerId;
  sharedAt: Timestamp;
}

export interface SharedSession {
  session: Session;
  share: SessionShare;
}

export interface ShareRepository {
  /** Shares the owner's session with the whole team, or changes the mode. Throws StorageError "not_found" when it is not this owner's. */
  set(ownerId: OwnerId, sessionId: string, mode: ShareMode): Promise<SessionShare>;
  /** false when the session was not shared (or is not this owner's). */
  remove(ownerId: OwnerId, sessionId: string): Promise<boolean>;
  /** The share of any owner's session, for access checks. */
  get(sessionId: string): Promise<SessionShare | null>;
  /** Shared sessions of everyone, newest activity first. Deleting a session ends its share. */
  list(options?: { limit?: number; offset?: number }): Promise<SharedSession[]>;
}

/**
 * Who may read which stored image. Image bytes are content-addressed and shared, so the hash alone
 * says nothing about its owner: an owner may read an image when it is a reference, final image or
 * thought image of a turn in one of their sessions, or one of their uploads.
 */
export interface ImageAccessRepository {
  /** Records that this owner uploaded the image (so they may read it and use it as a reference). */
  recordUpload(ownerId: OwnerId, hash: string): Promise<void>;
  canRead(ownerId: OwnerId, hash: string): Promise<boolean>;
  /** Every session (of any owner) whose turns use the image; sharing decides who else may read it. */
  sessionsWith(hash: string): Promise<Array<{ sessionId: string; ownerId: OwnerId }>>;
}

// ---------------------------------------------------------------------------------------------
// The library: every result image across an owner's sessions, favourites, boards, saved prompts

/** One final image of a succeeded turn; a turn with several images is several results. */
export interface ResultRef {
  turnId: string;
  hash: string;
}

export interface LibraryItem extends ResultRef {
  sessionId: string;
  sessionTitle: string;
  /** Position among the turn's final images. */
  index: number;
  mimeType: string;
  width: number | null;
  height: number | null;
  /** The name it downloads under (see StoredImageRef). */
  fileName: string | null;
  prompt: string;
  model: string;
  imageSize: string;
  aspectRatio: string;
  createdAt: Timestamp;
  favourite: boolean;
  /** The owner's boards holding this result. */
  boardIds: string[];
}

export const DEFAULT_LIBRARY_LIMIT = 2_000;
export const MAX_LIBRARY_LIMIT = 10_000;

export interface LibraryRepository {
  /** The owner's results, newest turn first (a turn's images in their order). */
  list(ownerId: OwnerId, options?: { limit?: number }): Promise<LibraryItem[]>;
  /**
   * Stars or unstars a result; idempotent. Throws StorageError "not_found" when the turn is not this
   * owner's, has not succeeded, or has no such final image.
   */
  setFavourite(ownerId: OwnerId, ref: ResultRef, favourite: boolean): Promise<void>;
  /**
   * Whether the owner starred one result and which of their boards hold it: what a result's controls
   * show, read by its key rather than by listing the whole library.
   */
  stateOf(ownerId: OwnerId, ref: ResultRef): Promise<{ favourite: boolean; boardIds: string[] }>;
}

export interface Board {
  id: string;
  ownerId: OwnerId;
  name: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  itemCount: number;
}


export interface BoardRepository {
  /** Throws StorageError "invalid_value" for an empty or over-long name. */
  create(ownerId: OwnerId, name: string): Promise<Board>;
  /** Alphabetical by name. */
  list(ownerId: OwnerId): Promise<Board[]>;
  get(ownerId: OwnerId, id: string): Promise<Board | null>;
  /** null when there is no such board for this owner; "invalid_value" as for create. */
  rename(ownerId: OwnerId, id: string, name: string): Promise<Board | null>;
  /** Removes the board and its membership rows, never the results themselves. */
  delete(ownerId: OwnerId, id: string): Promise<boolean>;
  /** Idempotent. Throws StorageError "not_found" for another owner's board or a result as setFavourite does. */
  addItem(ownerId: OwnerId, boardId: string, ref: ResultRef): Promise<void>;
  /** false when it was not on the board (or the board is not this owner's). */
  removeItem(ownerId: OwnerId, boardId: string, ref: ResultRef): Promise<boolean>;
}

export interface SavedPrompt {
  id: string;
  ownerId: OwnerId;
  name: string;
  text: string;
  /** Lower-case, unique, sorted. */
  tags: string[];
  createdAt: Timestamp;
}


export interface SavedPromptRepository {
  /** Throws StorageError "invalid_value" for an empty name or text, or tags beyond the limits. */
  create(ownerId: OwnerId, input: { name: string; text: string; tags: string[] }): Promise<SavedPrompt>;
  /** Newest first. */
  list(ownerId: OwnerId): Promise<SavedPrompt[]>;
  delete(ownerId: OwnerId, id: string): Promise<boolean>;
}

/** Trims and checks a board name; throws StorageError "invalid_value". */
export function normalizeBoardName(name: string): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed.length === 0 || trimmed.length > MAX_BOARD_NAME_LENGTH) {
    throw new StorageError("invalid_value", `A board name is 1 to ${MAX_BOARD_NAME_LENGTH} characters.`);
  }
  return trimmed;
}

/** Trims, lower-cases and de-duplicates tags, and checks the prompt; throws StorageError "invalid_value". */
export function normalizeSavedPrompt(input: { name: string; text: string; tags: string[] }): { name: string; text: string; tags: string[] } {
  const name = typeof input.name === "string" ? input.name.trim() : "";
  if (name.length === 0 || name.length > MAX_PROMPT_NAME_LENGTH) {
    throw new StorageError("invalid_value", `A prompt's name is 1 to ${MAX_PROMPT_NAME_LENGTH} characters.`);
  }
  const text = typeof input.text === "string" ? input.text : "";
  if (text.trim().length === 0 || text.length > MAX_SAVED_PROMPT_LENGTH) {
    throw new StorageError("invalid_value", `A saved prompt is 1 to ${MAX_SAVED_PROMPT_LENGTH} characters.`);
  }
  const tags = [...new Set((Array.isArray(input.tags) ? input.tags : []).map((tag) => String(tag).trim().toLowerCase()).filter(Boolean))].sort();
  if (tags.length > MAX_PROMPT_TAGS || tags.some((tag) => tag.length > MAX_PROMPT_TAG_LENGTH)) {
    throw new StorageError("invalid_value", `Up to ${MAX_PROMPT_TAGS} tags of at most ${MAX_PROMPT_TAG_LENGTH} characters.`);
  }
  return { name, text, tags };
}

/** The turn's final image with this hash, if the turn has succeeded; what every backend checks before starring or pinning. */
export function resultImageOf(turn: Pick<Turn, "status" | "outcome">, hash: string): StoredImageRef | null {
  if (turn.status !== "succeeded") return null;
  return turn.outcome?.images.find((image) => image.hash === hash) ?? null;
}

/** Builds library items from a backend's rows, newest turn first as given. */
export function libraryItemsOf(
  turns: Array<{ turn: Pick<Turn, "id" | "sessionId" | "createdAt" | "request" | "outcome">; sessionTitle: string }>,
  favourites: ReadonlyArray<ResultRef>,
  boardItems: ReadonlyArray<ResultRef & { boardId: string }>,
  limit: number,
): LibraryItem[] {
  const key = (ref: ResultRef) => `${ref.turnId}/${ref.hash}`;
  const starred = new Set(favourites.map(key));
  const boards = new Map<string, string[]>();
  for (const item of boardItems) boards.set(key(item), [...(boards.get(key(item)) ?? []), item.boardId]);
  const items: LibraryItem[] = [];
  for (const { turn, sessionTitle } of turns) {
    for (const [index, image] of (turn.outcome?.images ?? []).entries()) {
      if (items.length >= limit) return items;
      const ref = { turnId: turn.id, hash: image.hash };
      items.push({
        ...ref,
        sessionId: turn.sessionId,
        sessionTitle,
        index,
        mimeType: image.mimeType,
        width: image.width,
        height: image.height,
        fileName: image.fileName,
        prompt: turn.request.prompt,
        model: turn.request.settings.model,
        imageSize: turn.request.settings.imageSize,
        aspectRatio: turn.request.settings.aspectRatio,
        createdAt: turn.createdAt,
        favourite: starred.has(key(ref)),
        boardIds: (boards.get(key(ref)) ?? []).sort(),
      });
    }
  }
  return items;
}

export function libraryLimit(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_LIBRARY_LIMIT)), MAX_LIBRARY_LIMIT);
}

export interface Storage {
  sessions: SessionRepository;
  turns: TurnRepository & TurnCopies;
  modelTurns: ModelTurnStore;
  images: ImageStore;
  ledger: LedgerRepository;
  budgets: BudgetRepository;
  shares: ShareRepository;
  imageAccess: ImageAccessRepository;
  library: LibraryRepository;
  boards: BoardRepository;
  prompts: SavedPromptRepository;
  /**
   * Gives everything `from` owns (sessions, turns, saved model replies, uploads) to `to`; used once,
   * when the first admin takes over what the studio made before it had accounts. Returns the number
   * of sessions moved.
   */
  reassignOwner(from: OwnerId, to: OwnerId): Promise<number>;
  /**
   * Removes image files no turn references: unused uploads past a grace period, and the released
   * images of a deleted session at once (lib/storage/garbage.ts).
   */
  collectGarbage(options: GarbageCollectionOptions): Promise<GarbageCollectionReport>;
  /** Throws when a database server is down or refuses the studio; for readiness (embedded storage has none). */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export function isValidBudgetLimit(value: unknown): value is BudgetLimit {
  return value === null || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
}

/** Every image a turn names: its references, final images and thought images. */
export function imageHashesOf(turn: Pick<Turn, "request" | "outcome">): string[] {
  const hashes = new Set<string>(turn.request.references.map((reference) => reference.hash));
  for (const image of turn.outcome?.images ?? []) hashes.add(image.hash);
  for (const thought of turn.outcome?.thoughts ?? []) if (thought.kind === "image") hashes.add(thought.hash);
  return [...hashes];
}

export type StorageErrorCode = "not_found" | "invalid_transition" | "invalid_value" | "storage_failed";

export class StorageError extends Error {
  /** By name, not class identity: see ImageStoreError (lib/storage/image-store.ts) for why. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Error && value.name === "StorageError";
  }

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StorageError";
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** Ids are generated by the storage; this only keeps junk (and path tricks) out of lookups and file names. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isStorageId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * Timestamps that never repeat or go backwards within one storage instance, so "ordered by
 * createdAt" is a total order even when two turns start in the same millisecond.
 */
export function createTimestampClock(now: () => Date = () => new Date()): () => Timestamp {
  let last = 0;
  return () => {
    const ms = Math.max(now().getTime(), last + 1);
    last = ms;
    return new Date(ms).toISOString();
  };
}

/** The image a session shows in the list: the first image of a succeeded turn. */
export function coverImageOf(status: TurnStatus, outcome: TurnOutcome | null): string | null {
  return status === "succeeded" ? (outcome?.images[0]?.hash ?? null) : null;
}
