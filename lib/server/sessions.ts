import "server-only";

import type { z } from "zod";
import { staticModels, type ModelProfile } from "@/lib/gemini/catalog";
import { readImageInfo } from "@/lib/gemini/image-size";
import { getEnv } from "@/lib/env";
import { getStorage } from "@/lib/storage";
import {
  StorageError,
  type OwnerId,
  type Session,
  type Storage,
  type StoredReference,
  type Turn,
} from "@/lib/storage/types";
import { checkBudget, type BudgetRefusal, type BudgetedRequest } from "./budgets";
import { getGateway, getModelDiscovery } from "./gateway";
import { imagesOfTurns } from "@/lib/storage/garbage";
import { DEFAULT_MAX_CONCURRENT_JOBS, createJobRunner, type JobErrorCode, type JobRunner } from "./jobs/runner";
import { guarded as guardedJob } from "./jobs/job";
import { createHistoryCache } from "./jobs/history-cache";
import { requestSizeEstimatorFor } from "./jobs/request-size";
import { openSharedJobQueue } from "./jobs/shared-queue";
import { log } from "./log";
import { isPostgresStorage, postgresFailure } from "@/lib/storage/postgres/postgres-storage";
import { checkNewTurn } from "@/lib/studio/request-check";
import { countReferenceRoles } from "@/lib/studio/reference-limits";
import type { RequestSizeEstimate } from "@/lib/studio/request-size";
import { STORAGE_FAILED_ACTION, type ActionResult } from "@/lib/studio/result";
import {
  DEFAULT_SESSION_TITLE,
  createSessionSchema,
  deleteSessionSchema,
  estimateFollowUpSchema,
  getSessionViewSchema,
  imageHashSchema,
  listSessionsSchema,
  renameSessionSchema,
  startTurnSchema,
  turnActionSchema,
  turnReferenceSchema,
  type CreateSessionInput,
  type DeleteSessionInput,
  type EstimateFollowUpInput,
  type GetSessionViewInput,
  type ListSessionsInput,
  type RenameSessionInput,
  type StartTurnInput,
  type TurnActionInput,
} from "@/lib/studio/session-schemas";

/**
 * Sessions and turns as the server actions see them. Each function validates its input, acts only
 * on the given owner's data, and returns a typed result with a closed set of codes; nothing is
 * thrown across the boundary. The caller (a server action) decides who the owner is: the
 * signed-in user (lib/server/auth/viewer.ts).
 */

/** `rate_limited` comes from the server actions (lib/server/rate-limit.ts), before any of this runs. */
export type SessionErrorCode = JobErrorCode | "rate_limited" | "budget_exceeded" | "unauthenticated";
export type SessionResult<T> = ActionResult<T, SessionErrorCode>;

/** One session with every turn (the whole tree, oldest first) and their outcomes; images as hashes. */
export interface SessionView {
  session: Session;
  turns: Turn[];
}

export interface StudioSessions {
  createSession(ownerId: OwnerId, input: CreateSessionInput): Promise<SessionResult<Session>>;
  renameSession(ownerId: OwnerId, input: RenameSessionInput): Promise<SessionResult<Session>>;
  /** Cancels the session's running jobs, then deletes it with its turns. Image files stay. */
  deleteSession(ownerId: OwnerId, input: DeleteSessionInput): Promise<SessionResult<{ sessionId: string }>>;
  listSessions(ownerId: OwnerId, input?: ListSessionsInput): Promise<SessionResult<Session[]>>;
  getSessionView(ownerId: OwnerId, input: GetSessionViewInput): Promise<SessionResult<SessionView>>;
  /** Returns the new turn at once (running, or queued while every slot is taken); follow it at /api/turns/{id}/events. */
  startTurn(ownerId: OwnerId, input: StartTurnInput): Promise<SessionResult<Turn>>;
  cancelTurn(ownerId: OwnerId, input: TurnActionInput): Promise<SessionResult<Turn>>;
  /** A new sibling of the turn with its exact request; returns the new turn. */
  retryTurn(ownerId: OwnerId, input: TurnActionInput): Promise<SessionResult<Turn>>;
  /**
   * How large the request continuing from the turn would be (before its own prompt and
   * references), from sizes recorded on the turns: no image is read.
   */
  estimateFollowUp(ownerId: OwnerId, input: EstimateFollowUpInput): Promise<SessionResult<RequestSizeEstimate>>;
}

/** The image types Gemini takes as input. */
const GEMINI_INPUT_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"]);

export function fail<T>(code: SessionErrorCode, message: string, action?: string): SessionResult<T> {
  return { ok: false, error: action ? { code, message, action } : { code, message } };
}

export function parse<S extends z.ZodType>(schema: S, input: unknown): { ok: true; data: z.output<S> } | { ok: false; result: SessionResult<never> } {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, result: fail("invalid_request", parsed.error.issues[0]?.message ?? "The request is not valid.") };
}

export function guarded<T>(work: () => Promise<SessionResult<T>>): Promise<SessionResult<T>> {
  return guardedJob<T, SessionErrorCode>(work);
}

/**
 * The references of a new turn as stored: each one readable by the owner, of a type Gemini takes,
 * with type and size read from the bytes. Also used by lib/server/turn-sets.ts.
 */
export async function resolveTurnReferences(
  storage: Storage,
  ownerId: OwnerId,
  references: ReadonlyArray<z.output<typeof turnReferenceSchema>>,
): Promise<StoredReference[] | SessionResult<never>> {
  const resolved: StoredReference[] = [];
  for (const reference of references) {
    // An image someone else made is answered like a missing one: its hash proves nothing.
    const readable = await storage.imageAccess.canRead(ownerId, reference.hash);
    const stored = readable ? await storage.images.get(reference.hash) : null;
    if (!stored) return fail("invalid_request", "A reference image is no longer available.", "Add the image again.");
    if (!GEMINI_INPUT_TYPES.has(stored.image.mimeType)) {
      return fail("invalid_request", `Gemini doesn't take ${stored.image.mimeType} images as references.`, "Use a PNG, JPEG, WebP or HEIC image.");
    }
    // The server reads type and size from the bytes; the client's word is never taken for them.
    const info = readImageInfo(stored.bytes);
    resolved.push({
      hash: reference.hash,
      mimeType: stored.image.mimeType,
      width: info?.width ?? null,
      height: info?.height ?? null,
      ...(reference.role ? { role: reference.role } : {}),
    });
  }
  return resolved;
}

/**
 * The image a new session starts from (the home page's `?from=<hash>`, "Continue in a new session
 * from this image"): the hash when the owner may read it as a reference, else null. Never throws: a
 * bad link opens the home page with a notice instead of an error page.
 */
export async function findStartImage(ownerId: OwnerId, from: unknown): Promise<string | null> {
  const parsed = imageHashSchema.safeParse(from);
  if (!parsed.success) return null;
  try {
    const storage = await getStorage();
    return (await storage.imageAccess.canRead(ownerId, parsed.data)) && (await storage.images.get(parsed.data)) ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A budget refusal as the actions answer it. */
export function budgetRefusalResult(refusal: BudgetRefusal): SessionResult<never> {
  return { ok: false, error: { code: refusal.code, message: refusal.message, action: refusal.action, budget: { leftMicroUsd: refusal.leftMicroUsd, resetsAt: refusal.resetsAt } } };
}

export interface StudioSessionsDeps {
  storage: Storage;
  jobs: JobRunner;
  /** The models this key can use (the model menu); asked only about ids the catalog doesn't know. */
  models?: () => Promise<readonly ModelProfile[]>;
  /** The clock budgets are checked against (their month is the UTC calendar month). */
  now?: () => Date;
}

export function createStudioSessions({ storage, jobs, models = async () => staticModels(), now = () => new Date() }: StudioSessionsDeps): StudioSessions {
  /** Refuses a request over the owner's monthly budget before anything is stored or sent. */
  async function overBudget(ownerId: OwnerId, request: BudgetedRequest | ReadonlyArray<BudgetedRequest>): Promise<SessionResult<never> | null> {
    const refusal = await checkBudget(storage, ownerId, request, now());
    return refusal ? budgetRefusalResult(refusal) : null;
  }

  return {
    async createSession(ownerId, input) {
      const parsed = parse(createSessionSchema, input);
      if (!parsed.ok) return parsed.result;
      const { title, budgetFor } = parsed.data;
      return guarded(async () => {
        if (budgetFor) {
          const refused = await overBudget(ownerId, Array.isArray(budgetFor) ? budgetFor.map((settings) => ({ settings })) : { settings: budgetFor });
          if (refused) return refused;
        }
        return { ok: true, data: await storage.sessions.create({ ownerId, title: title ?? DEFAULT_SESSION_TITLE }) };
      });
    },

    async renameSession(ownerId, input) {
      const parsed = parse(renameSessionSchema, input);
      if (!parsed.ok) return parsed.result;
      return guarded(async () => {
        const session = await storage.sessions.rename(ownerId, parsed.data.sessionId, parsed.data.title);
        return session ? { ok: true, data: session } : fail("not_found", "That session doesn't exist.");
      });
    },

    async deleteSession(ownerId, input) {
      const parsed = parse(deleteSessionSchema, input);
      if (!parsed.ok) return parsed.result;
      const { sessionId } = parsed.data;
      return guarded(async () => {
        if (!(await storage.sessions.get(ownerId, sessionId))) return fail("not_found", "That session doesn't exist.");
        // Stop its jobs first, so none of them writes into a session that is going away.
        await jobs.cancelSession(ownerId, sessionId);
        const released = imagesOfTurns(await storage.turns.listBySession(ownerId, sessionId));
        const deleted = await storage.sessions.delete(ownerId, sessionId);
        if (!deleted) return fail("not_found", "That session doesn't exist.");
        // Its images stop being served now, unless another session uses them (lib/storage/garbage.ts).
        // The session is gone either way; a file left behind goes with the next periodic collection.
        await storage.collectGarbage({ released }).catch(() => undefined);
        return { ok: true, data: { sessionId } };
      });
    },

    async listSessions(ownerId, input = {}) {
      const parsed = parse(listSessionsSchema, input);
      if (!parsed.ok) return parsed.result;
      return guarded(async () => ({ ok: true, data: await storage.sessions.list(ownerId, parsed.data) }));
    },

    async getSessionView(ownerId, input) {
      const parsed = parse(getSessionViewSchema, input);
      if (!parsed.ok) return parsed.result;
      return guarded(async () => {
        const session = await storage.sessions.get(ownerId, parsed.data.sessionId);
        if (!session) return fail("not_found", "That session doesn't exist.");
        return { ok: true, data: { session, turns: await storage.turns.listBySession(ownerId, session.id) } };
      });
    },

    async startTurn(ownerId, input) {
      const parsed = parse(startTurnSchema, input);
      if (!parsed.ok) return parsed.result;
      const { sessionId, parentId, prompt, references, settings } = parsed.data;
      const problem = await checkNewTurn({ settings, references: countReferenceRoles(references) }, models);
      if (problem) return fail("invalid_request", problem.message, problem.action);
      return guarded(async () => {
        const refused = await overBudget(ownerId, { settings });
        if (refused) return refused;
        const resolved = await resolveTurnReferences(storage, ownerId, references);
        if (!Array.isArray(resolved)) return resolved;
        return jobs.startTurn({ ownerId, sessionId, parentId, request: { prompt, references: resolved, settings } });
      });
    },

    async cancelTurn(ownerId, input) {
      const parsed = parse(turnActionSchema, input);
      if (!parsed.ok) return parsed.result;
      return jobs.cancel(ownerId, parsed.data.turnId);
    },

    async retryTurn(ownerId, input) {
      const parsed = parse(turnActionSchema, input);
      if (!parsed.ok) return parsed.result;
      return guarded(async () => {
        const turn = await storage.turns.get(ownerId, parsed.data.turnId);
        if (!turn) return fail("not_found", "That turn doesn't exist.");
        const refused = await overBudget(ownerId, turn.request);
        if (refused) return refused;
        return jobs.retry(ownerId, turn.id);
      });
    },

    async estimateFollowUp(ownerId, input) {
      const parsed = parse(estimateFollowUpSchema, input);
      if (!parsed.ok) return parsed.result;
      return guarded(async () => {
        const chain = await storage.turns.chain(ownerId, parsed.data.turnId);
        if (!chain) return fail("not_found", "That turn doesn't exist.");
        return { ok: true, data: await requestSizeEstimatorFor(storage).estimate(ownerId, chain) };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The app's instances

// On globalThis for the same reason as the storage: the dev server re-evaluates modules, and a
// second runner would not know the jobs the first one is running.
const RUNNER_KEY = Symbol.for("nano-banana-studio.job-runner");
type RunnerGlobal = typeof globalThis & { [RUNNER_KEY]?: Promise<JobRunner> };

/** The process-wide job runner over the app's storage and gateway. */
export function getJobRunner(): Promise<JobRunner> {
  const holder = globalThis as RunnerGlobal;
  holder[RUNNER_KEY] ??= getStorage().then(
    async (storage) => {
      const env = getEnv();
      const maxConcurrentJobs = env.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT_JOBS;
      // With PostgreSQL, instances share one queue (and the cap); embedded, the queue is this process's.
      const queue =
        env.databaseUrl && isPostgresStorage(storage)
          ? await openSharedJobQueue({
              storage,
              connectionString: env.databaseUrl,
              maxConcurrentJobs,
              onReaped: (turnId, outcome) => log.warn("jobs.lost_instance", { turnId, outcome }),
              onError: (error) => log.warn("jobs.queue_failed", { error }),
            }).catch((error: unknown) => {
              throw postgresFailure(error, "open the shared job queue");
            })
          : undefined;
      return createJobRunner({
        storage,
        gateway: getGateway,
        deadlineMs: env.jobDeadlineMs,
        maxConcurrentJobs,
        maxQueuedJobs: env.maxQueuedJobs,
        ...(env.historyCacheBytes === undefined ? {} : { historyCache: createHistoryCache({ maxBytes: env.historyCacheBytes }) }),
        secrets: [env.geminiApiKey],
        queue,
      });
    },
    (error: unknown) => {
      delete holder[RUNNER_KEY];
      throw error;
    },
  );
  return holder[RUNNER_KEY];
}

async function withApp<T>(work: (sessions: StudioSessions) => Promise<SessionResult<T>>): Promise<SessionResult<T>> {
  let sessions: StudioSessions;
  try {
    const [storage, jobs] = await Promise.all([getStorage(), getJobRunner()]);
    sessions = createStudioSessions({ storage, jobs, models: async () => (await getModelDiscovery()).models });
  } catch (error) {
    const message = error instanceof StorageError ? error.message : "The studio's storage could not be opened.";
    return fail("storage_failed", message, STORAGE_FAILED_ACTION);
  }
  return work(sessions);
}

export const createSession = (ownerId: OwnerId, input: CreateSessionInput) => withApp((s) => s.createSession(ownerId, input));
export const renameSession = (ownerId: OwnerId, input: RenameSessionInput) => withApp((s) => s.renameSession(ownerId, input));
export const deleteSession = (ownerId: OwnerId, input: DeleteSessionInput) => withApp((s) => s.deleteSession(ownerId, input));
export const listSessions = (ownerId: OwnerId, input: ListSessionsInput = {}) => withApp((s) => s.listSessions(ownerId, input));
export const getSessionView = (ownerId: OwnerId, input: GetSessionViewInput) => withApp((s) => s.getSessionView(ownerId, input));
export const startTurn = (ownerId: OwnerId, input: StartTurnInput) => withApp((s) => s.startTurn(ownerId, input));
export const cancelTurn = (ownerId: OwnerId, input: TurnActionInput) => withApp((s) => s.cancelTurn(ownerId, input));
export const retryTurn = (ownerId: OwnerId, input: TurnActionInput) => withApp((s) => s.retryTurn(ownerId, input));
export const estimateFollowUp = (ownerId: OwnerId, input: EstimateFollowUpInput) => withApp((s) => s.estimateFollowUp(ownerId, input));

/**
 * For a graceful server exit: no more work taken, running jobs given up to `graceMs` to finish,
 * then the rest stopped and marked interrupted (see JobRunner.shutdown).
 */
export async function shutdownJobs({ graceMs = 0 }: { graceMs?: number } = {}): Promise<void> {
  const holder = globalThis as RunnerGlobal;
  const runner = await holder[RUNNER_KEY]?.catch(() => undefined);
  await runner?.shutdown({ graceMs });
}
