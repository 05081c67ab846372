"use server";

import { getEnv } from "@/lib/env";
import { recordAudit } from "@/lib/server/audit";
import { getViewer, type Viewer } from "@/lib/server/auth/viewer";
import { log } from "@/lib/server/log";
import { formatRetryAfter, getGenerationLimiter, takeMany, type ManyDecision } from "@/lib/server/rate-limit";
import { logTurnEvents } from "@/lib/server/turn-log";
import type { Session, Turn } from "@/lib/storage/types";
import type {
  CreateSessionInput,
  DeleteSessionInput,
  EstimateFollowUpInput,
  GetSessionViewInput,
  ListSessionsInput,
  RenameSessionInput,
  StartTurnInput,
  TurnActionInput,
} from "@/lib/studio/session-schemas";
import { SIDEBAR_PAGE_SIZE, type SessionListItem, type SessionListPage, toSessionListItem, toSessionListPage } from "@/lib/studio/session-list";
import * as sessions from "@/lib/server/sessions";
import { startAppTurnSet, type StartedTurnSet } from "@/lib/server/turn-sets";
import { requestedRunCount, type StartTurnSetInput } from "@/lib/studio/turn-set-schemas";
import type { SessionResult, SessionView } from "@/lib/server/sessions";
import type { RequestSizeEstimate } from "@/lib/studio/request-size";

// Every server action is a public POST endpoint: each one validates its input with the zod schema
// in lib/studio/session-schemas.ts (inside lib/server/sessions.ts) and answers a typed result.
// The parameter types help callers; at run time the input is untrusted until parsed.
// The owner is always the signed-in person from the session cookie (never from the input), and
// every query below is scoped to them: another person's session or turn is "not found".

const UNAUTHENTICATED: SessionResult<never> = {
  ok: false,
  error: { code: "unauthenticated", message: "You are signed out.", action: "Sign in again to continue." },
};

/** Runs `work` for the signed-in person, or answers "unauthenticated" without touching anything. */
async function asViewer<T>(work: (viewer: Viewer) => Promise<SessionResult<T>>): Promise<SessionResult<T>> {
  let viewer: Viewer | null;
  try {
    viewer = await getViewer();
  } catch (error) {
    log.error("auth.viewer_failed", { error: error instanceof Error ? error.message : String(error) });
    return { ok: false, error: { code: "internal", message: "The studio could not check who you are.", action: "Try again in a moment." } };
  }
  return viewer ? work(viewer) : UNAUTHENTICATED;
}

export async function createSessionAction(input: CreateSessionInput): Promise<SessionResult<Session>> {
  return asViewer((viewer) => sessions.createSession(viewer.userId, input));
}

export async function renameSessionAction(input: RenameSessionInput): Promise<SessionResult<Session>> {
  return asViewer((viewer) => sessions.renameSession(viewer.userId, input));
}

export async function deleteSessionAction(input: DeleteSessionInput): Promise<SessionResult<{ sessionId: string }>> {
  return asViewer(async (viewer) => {
    const result = await sessions.deleteSession(viewer.userId, input);
    if (result.ok) await recordAudit({ action: "session.deleted", actorId: viewer.userId, actorEmail: viewer.email, target: result.data.sessionId });
    return result;
  });
}

/** The sidebar's search: the matching sessions, as the sidebar lists them. */
export async function listSessionsAction(input: ListSessionsInput): Promise<SessionResult<SessionListItem[]>> {
  return asViewer(async (viewer) => {
    const result = await sessions.listSessions(viewer.userId, input);
    return result.ok ? { ok: true, data: result.data.map(toSessionListItem) } : result;
  });
}

/** The sidebar's next page: the sessions after the first `offset`, newest first. */
export async function listOlderSessionsAction(input: { offset: number }): Promise<SessionResult<SessionListPage>> {
  return asViewer(async (viewer) => {
    const result = await sessions.listSessions(viewer.userId, { offset: input?.offset, limit: SIDEBAR_PAGE_SIZE + 1 });
    return result.ok ? { ok: true, data: toSessionListPage(result.data) } : result;
  });
}

export async function getSessionViewAction(input: GetSessionViewInput): Promise<SessionResult<SessionView>> {
  return asViewer((viewer) => sessions.getSessionView(viewer.userId, input));
}

type Allowance = { ok: true; refund(): void } | { ok: false; result: SessionResult<never> };
/** `count` generations, each refundable on its own (a set whose runs did not all start). */
type Allowances = { ok: true; refunds: Array<() => void> } | { ok: false; result: SessionResult<never> };

/**
 * Spends one of this person's generations (lib/server/rate-limit.ts). Counted per signed-in user,
 * not per address: a team behind one NAT shares an address, and one person can't dodge the limit by
 * changing theirs. Every start and retry costs quota at Google, so both pass through here; a
 * request that then starts nothing gets it back.
 */
async function allowGeneration(viewer: Viewer): Promise<Allowance> {
  const allowed = await allowGenerations(viewer, 1);
  return allowed.ok ? { ok: true, refund: () => allowed.refunds.forEach((refund) => refund()) } : allowed;
}

/**
 * Spends `count` generations at once, all or none: a set of N starts costs N, and when fewer than
 * N are left nothing is spent and the whole set is refused.
 */
async function allowGenerations(viewer: Viewer, count: number): Promise<Allowances> {
  let perMinute: number;
  let databaseUrl: string | null;
  try {
    const env = getEnv();
    perMinute = env.rateLimitPerMinute;
    databaseUrl = env.databaseUrl ?? null;
  } catch {
    return {
      ok: false,
      result: { ok: false, error: { code: "internal", message: "The studio's configuration is not valid.", action: "Check the server's environment variables." } },
    };
  }
  const limiter = getGenerationLimiter(perMinute, databaseUrl);
  const client = `user:${viewer.userId}`;
  let decision: ManyDecision;
  try {
    decision = await takeMany(limiter, client, count);
  } catch (error) {
    log.error("rate_limit.unavailable", { store: limiter.store, error: error instanceof Error ? error.message : String(error) });
    return {
      ok: false,
      result: { ok: false, error: { code: "internal", message: "The studio could not check its rate limit.", action: "Try again in a moment; if it persists, check the database." } },
    };
  }
  if (decision.ok) return decision;
  log.warn("rate_limit.refused", { client, perMinute, count, retryAfterMs: decision.retryAfterMs });
  return {
    ok: false,
    result: {
      ok: false,
      error: {
        code: "rate_limited",
        message:
          count > 1
            ? `Generations are limited to ${perMinute} a minute on this studio, to protect the team's Gemini quota; these ${count} would pass the limit.`
            : `Generations are limited to ${perMinute} a minute on this studio, to protect the team's Gemini quota.`,
        action: `Try again in ${formatRetryAfter(decision.retryAfterMs)}.`,
        retryAfterMs: decision.retryAfterMs,
      },
    },
  };
}

async function generation(
  viewer: Viewer,
  work: () => Promise<SessionResult<Turn>>,
  via: { via: "start" | "retry"; retryOf?: string },
): Promise<SessionResult<Turn>> {
  const allowance = await allowGeneration(viewer);
  if (!allowance.ok) return allowance.result;
  const result = await work();
  if (!result.ok) {
    allowance.refund();
    return result;
  }
  try {
    logTurnEvents(await sessions.getJobRunner(), viewer.userId, result.data, via);
  } catch {
    // The turn has started; failing to log it must not say otherwise.
  }
  return result;
}

export async function startTurnAction(input: StartTurnInput): Promise<SessionResult<Turn>> {
  return asViewer((viewer) => generation(viewer, () => sessions.startTurn(viewer.userId, input), { via: "start" }));
}

export async function cancelTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  return asViewer((viewer) => sessions.cancelTurn(viewer.userId, input));
}

/**
 * How large the next request from this turn would be, for the session view's notice and the
 * composer's refusal (lib/studio/request-size.ts). Only the owner's turns: another person's is
 * "not found". The start check makes the same estimate again, so a stale answer here refuses nothing.
 */
export async function estimateFollowUpAction(input: EstimateFollowUpInput): Promise<SessionResult<RequestSizeEstimate>> {
  return asViewer((viewer) => sessions.estimateFollowUp(viewer.userId, input));
}

export async function retryTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  const retryOf = typeof input === "object" && input !== null && typeof input.turnId === "string" ? input.turnId.slice(0, 64) : undefined;
  return asViewer((viewer) => generation(viewer, () => sessions.retryTurn(viewer.userId, input), { via: "retry", retryOf }));
}

/**
 * Variations (one request N times) or a comparison (one request to 2–4 models or sizes): N sibling
 * turns started at once (lib/server/turn-sets.ts). The rate limit counts N starts, all or nothing;
 * runs that then did not start give theirs back.
 */
export async function startTurnSetAction(input: StartTurnSetInput): Promise<SessionResult<StartedTurnSet>> {
  return asViewer(async (viewer) => {
    const allowance = await allowGenerations(viewer, requestedRunCount(input));
    if (!allowance.ok) return allowance.result;
    const result = await startAppTurnSet(viewer.userId, input);
    const started = result.ok ? result.data.turns.length : 0;
    for (const refund of allowance.refunds.slice(started)) refund();
    if (!result.ok) return result;
    try {
      const runner = await sessions.getJobRunner();
      for (const turn of result.data.turns) logTurnEvents(runner, viewer.userId, turn, { via: "start" });
    } catch {
      // The turns have started; failing to log them must not say otherwise.
    }
    return result;
  });
}
