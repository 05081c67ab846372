import "server-only";

import { staticModels, type ModelProfile } from "@/lib/gemini/catalog";
import { getStorage } from "@/lib/storage";
import { StorageError, type OwnerId, type Storage, type Turn } from "@/lib/storage/types";
import { checkNewTurn } from "@/lib/studio/request-check";
import { countReferenceRoles } from "@/lib/studio/reference-limits";
import { STORAGE_FAILED_ACTION } from "@/lib/studio/result";
import { runsOf, startTurnSetSchema, type StartTurnSetInput } from "@/lib/studio/turn-set-schemas";
import { checkBudget } from "./budgets";
import { getModelDiscovery } from "./gateway";
import type { JobRunner } from "./jobs/runner";
import { budgetRefusalResult, fail, getJobRunner, guarded, parse, resolveTurnReferences, type SessionResult } from "./sessions";

/**
 * Sets of turns started at once: the N variations of one request, or one request sent to 2–4
 * model/size pairs to compare them. Each run is an ordinary turn, a sibling of the others under
 * the same parent, started through the job runner like any other (its queue, deadline and events
 * apply per turn); this module only checks the set as a whole first. Kept apart from
 * lib/server/sessions.ts and the runner so either can change without the other.
 */

export interface StartedTurnSet {
  /** The turns that started, in the order of the runs. */
  turns: Turn[];
  /** Runs the runner refused after others had started (a full queue); each with the reason. */
  refused: Array<{ index: number; message: string; action?: string }>;
}

export interface TurnSetDeps {
  storage: Storage;
  jobs: JobRunner;
  models?: () => Promise<readonly ModelProfile[]>;
  now?: () => Date;
}

/**
 * Validates the set, checks every run against its model and the SUM of their estimates against the
 * owner's budget, resolves the references once, then starts every run in parallel. Nothing is
 * stored or sent when any check fails.
 */
export async function startTurnSet(
  { storage, jobs, models = async () => staticModels(), now = () => new Date() }: TurnSetDeps,
  ownerId: OwnerId,
  input: StartTurnSetInput,
): Promise<SessionResult<StartedTurnSet>> {
  const parsed = parse(startTurnSetSchema, input);
  if (!parsed.ok) return parsed.result;
  const set = parsed.data;
  const runs = runsOf(set);
  const roles = countReferenceRoles(set.references);
  for (const settings of runs) {
    const problem = await checkNewTurn({ settings, references: roles }, models);
    if (problem) return fail("invalid_request", problem.message, problem.action);
  }
  return guarded(async () => {
    if (!(await storage.sessions.get(ownerId, set.sessionId))) return fail("not_found", "That session doesn't exist.");
    // A batch is billed at half price; its check must count what the ledger will bill.
    const batch = set.kind === "variations" && set.batch ? (true as const) : undefined;
    const refusal = await checkBudget(storage, ownerId, runs.map((settings) => ({ settings, ...(batch ? { batch } : {}) })), now());
    if (refusal) return budgetRefusalResult(refusal);
    const references = await resolveTurnReferences(storage, ownerId, set.references);
    if (!Array.isArray(references)) return references;
    if (set.kind === "variations" && set.batch) {
      const batch = await jobs.startBatch({ ownerId, sessionId: set.sessionId, parentId: set.parentId, request: { prompt: set.prompt, references, settings: set.settings }, count: set.count });
      return batch.ok ? { ok: true, data: { turns: batch.data, refused: [] } } : { ok: false, error: batch.error };
    }
    const results = await Promise.all(
      runs.map((settings) =>
        jobs.startTurn({ ownerId, sessionId: set.sessionId, parentId: set.parentId, request: { prompt: set.prompt, references, settings } }),
      ),
    );
    const turns: Turn[] = [];
    const refused: StartedTurnSet["refused"] = [];
    results.forEach((result, index) => {
      if (result.ok) turns.push(result.data);
      else refused.push({ index, message: result.error.message, ...(result.error.action ? { action: result.error.action } : {}) });
    });
    const first = results.find((result) => !result.ok);
    if (turns.length === 0 && first && !first.ok) return { ok: false, error: first.error };
    return { ok: true, data: { turns, refused } };
  });
}

/** startTurnSet over the app's storage, runner and model list. */
export async function startAppTurnSet(ownerId: OwnerId, input: StartTurnSetInput): Promise<SessionResult<StartedTurnSet>> {
  let deps: TurnSetDeps;
  try {
    const [storage, jobs] = await Promise.all([getStorage(), getJobRunner()]);
    deps = { storage, jobs, models: async () => (await getModelDiscovery()).models };
  } catch (error) {
    const message = error instanceof StorageError ? error.message : "The studio's storage could not be opened.";
    return fail("storage_failed", message, STORAGE_FAILED_ACTION);
  }
  return startTurnSet(deps, ownerId, input);
}
