"use server";

import { headers } from "next/headers";
import { getEnv } from "@/lib/env";
import { log } from "@/lib/server/log";
import { peerAddressHeader } from "@/lib/server/peer-address";
import { clientKey, formatRetryAfter, getGenerationLimiter } from "@/lib/server/rate-limit";
import { logTurnEvents } from "@/lib/server/turn-log";
import { LOCAL_OWNER_ID } from "@/lib/storage";
import type { Session, Turn } from "@/lib/storage/types";
import type {
  CreateSessionInput,
  DeleteSessionInput,
  GetSessionViewInput,
  ListSessionsInput,
  RenameSessionInput,
  StartTurnInput,
  TurnActionInput,
} from "@/lib/studio/session-schemas";
import { SIDEBAR_PAGE_SIZE, type SessionListItem, type SessionListPage, toSessionListItem, toSessionListPage } from "@/lib/studio/session-list";
import * as sessions from "@/lib/server/sessions";
import type { SessionResult, SessionView } from "@/lib/server/sessions";

// Every server action is a public POST endpoint: each one validates its input with the zod schema
// in lib/studio/session-schemas.ts (inside lib/server/sessions.ts) and answers a typed result.
// The parameter types help callers; at run time the input is untrusted until parsed.
// One local user for now; when accounts arrive, the owner comes from the session cookie here.
const owner = () => LOCAL_OWNER_ID;

export async function createSessionAction(input: CreateSessionInput): Promise<SessionResult<Session>> {
  return sessions.createSession(owner(), input);
}

export async function renameSessionAction(input: RenameSessionInput): Promise<SessionResult<Session>> {
  return sessions.renameSession(owner(), input);
}

export async function deleteSessionAction(input: DeleteSessionInput): Promise<SessionResult<{ sessionId: string }>> {
  return sessions.deleteSession(owner(), input);
}

/** The sidebar's search: the matching sessions, as the sidebar lists them. */
export async function listSessionsAction(input: ListSessionsInput): Promise<SessionResult<SessionListItem[]>> {
  const result = await sessions.listSessions(owner(), input);
  return result.ok ? { ok: true, data: result.data.map(toSessionListItem) } : result;
}

/** The sidebar's next page: the sessions after the first `offset`, newest first. */
export async function listOlderSessionsAction(input: { offset: number }): Promise<SessionResult<SessionListPage>> {
  const result = await sessions.listSessions(owner(), { offset: input?.offset, limit: SIDEBAR_PAGE_SIZE + 1 });
  return result.ok ? { ok: true, data: toSessionListPage(result.data) } : result;
}

export async function getSessionViewAction(input: GetSessionViewInput): Promise<SessionResult<SessionView>> {
  return sessions.getSessionView(owner(), input);
}

type Allowance = { ok: true; refund(): void } | { ok: false; result: SessionResult<never> };

/**
 * Spends one of this client's generations (lib/server/rate-limit.ts). Every start and retry costs
 * quota at Google, so both pass through here; a request that then starts nothing gets it back.
 */
async function allowGeneration(): Promise<Allowance> {
  let perMinute: number;
  let trustedProxies: string[];
  try {
    ({ rateLimitPerMinute: perMinute, trustedProxies } = getEnv());
  } catch {
    return {
      ok: false,
      result: { ok: false, error: { code: "internal", message: "The studio's configuration is not valid.", action: "Check the server's environment variables." } },
    };
  }
  const limiter = getGenerationLimiter(perMinute);
  // With accounts, pass the signed-in user's id as userId (getViewer() in lib/server/auth/viewer.ts).
  const client = clientKey(await headers(), { trustedProxies, peerHeader: peerAddressHeader(), userId: null });
  const decision = limiter.take(client);
  if (decision.ok) return decision;
  log.warn("rate_limit.refused", { client, perMinute, retryAfterMs: decision.retryAfterMs });
  return {
    ok: false,
    result: {
      ok: false,
      error: {
        code: "rate_limited",
        message: `Generations are limited to ${perMinute} a minute on this studio, to protect the team's Gemini quota.`,
        action: `Try again in ${formatRetryAfter(decision.retryAfterMs)}.`,
        retryAfterMs: decision.retryAfterMs,
      },
    },
  };
}

async function generation(
  work: () => Promise<SessionResult<Turn>>,
  via: { via: "start" | "retry"; retryOf?: string },
): Promise<SessionResult<Turn>> {
  const allowance = await allowGeneration();
  if (!allowance.ok) return allowance.result;
  const result = await work();
  if (!result.ok) {
    allowance.refund();
    return result;
  }
  try {
    logTurnEvents(await sessions.getJobRunner(), owner(), result.data, via);
  } catch {
    // The turn has started; failing to log it must not say otherwise.
  }
  return result;
}

export async function startTurnAction(input: StartTurnInput): Promise<SessionResult<Turn>> {
  return generation(() => sessions.startTurn(owner(), input), { via: "start" });
}

export async function cancelTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  return sessions.cancelTurn(owner(), input);
}

export async function retryTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  const retryOf = typeof input === "object" && input !== null && typeof input.turnId === "string" ? input.turnId.slice(0, 64) : undefined;
  return generation(() => sessions.retryTurn(owner(), input), { via: "retry", retryOf });
}
