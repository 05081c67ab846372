"use server";

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
import * as sessions from "@/lib/studio/sessions";
import type { SessionResult, SessionView } from "@/lib/studio/sessions";

// Every server action is a public POST endpoint: each one validates its input with the zod schema
// in lib/studio/session-schemas.ts (inside lib/studio/sessions.ts) and answers a typed result.
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

export async function listSessionsAction(input: ListSessionsInput): Promise<SessionResult<Session[]>> {
  return sessions.listSessions(owner(), input);
}

export async function getSessionViewAction(input: GetSessionViewInput): Promise<SessionResult<SessionView>> {
  return sessions.getSessionView(owner(), input);
}

export async function startTurnAction(input: StartTurnInput): Promise<SessionResult<Turn>> {
  return sessions.startTurn(owner(), input);
}

export async function cancelTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  return sessions.cancelTurn(owner(), input);
}

export async function retryTurnAction(input: TurnActionInput): Promise<SessionResult<Turn>> {
  return sessions.retryTurn(owner(), input);
}
