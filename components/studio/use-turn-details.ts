"use client";

import { useEffect, useRef, useState } from "react";
import type { Turn } from "@/lib/storage/types";

type Fetched = { ok: true; turn: Turn } | { ok: false; message: string };

/** GET /api/sessions/{id}/turns/{turnId}: the turn whole, or why it could not be read. */
async function fetchTurn(sessionId: string, turnId: string): Promise<Fetched> {
  let response: Response;
  try {
    response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/turns/${encodeURIComponent(turnId)}`);
  } catch {
    return { ok: false, message: "The studio could not be reached." };
  }
  const body = (await response.json().catch(() => null)) as { turn?: Turn; error?: { message?: string } } | null;
  if (response.ok && body?.turn?.id === turnId) return { ok: true, turn: body.turn };
  return { ok: false, message: body?.error?.message ?? `The studio answered ${response.status}.` };
}

/**
 * Reads the turns the studio is about to show whole (`wanted`) and does not hold yet (`held`): the
 * session page sends only summaries of the others. Each arrives through `onTurn`; a turn that could
 * not be read is listed in `failed` (with why) until `retry` asks again. A turn is asked for once
 * at a time, however often the studio renders meanwhile.
 */
export function useTurnDetails(
  sessionId: string | null,
  wanted: readonly string[],
  held: ReadonlyMap<string, Turn>,
  onTurn: (turn: Turn) => void,
): { failed: ReadonlyMap<string, string>; retry(turnId: string): void } {
  const [failed, setFailed] = useState<ReadonlyMap<string, string>>(new Map());
  const asked = useRef(new Set<string>());
  const arrived = useRef(onTurn);
  useEffect(() => {
    arrived.current = onTurn;
  });
  const missing = wanted.filter((id) => !held.has(id) && !failed.has(id)).join(",");

  useEffect(() => {
    if (!sessionId || missing === "") return;
    for (const turnId of missing.split(",")) {
      if (asked.current.has(turnId)) continue;
      asked.current.add(turnId);
      void fetchTurn(sessionId, turnId).then((result) => {
        asked.current.delete(turnId);
        if (result.ok) arrived.current(result.turn);
        else setFailed((current) => new Map(current).set(turnId, result.message));
      });
    }
  }, [sessionId, missing]);

  return {
    failed,
    retry: (turnId) =>
      setFailed((current) => {
        const next = new Map(current);
        next.delete(turnId);
        return next;
      }),
  };
}
