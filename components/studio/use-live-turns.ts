"use client";

import { useEffect, useRef, useState } from "react";
import type { Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";
import { initialProgress, reduceProgress, type LiveProgress } from "@/lib/store/live-progress";

const EVENT_TYPES: JobEvent["type"][] = ["started", "queued", "attempt", "retry", "phase", "thought", "text", "image", "done", "failed", "cancelled", "interrupted"];
const TERMINAL = new Set<JobEvent["type"]>(["done", "failed", "cancelled", "interrupted"]);

/**
 * Follows every running turn over its SSE stream. `onTurn` receives the turn as stored whenever
 * its status changes (a queued turn starting, and its end); when it ends the stream is closed
 * (EventSource would otherwise reconnect).
 */
export function useLiveTurns(activeTurnIds: string[], onTurn: (turn: Turn) => void): Record<string, LiveProgress> {
  const [progress, setProgress] = useState<Record<string, LiveProgress>>({});
  const sources = useRef(new Map<string, EventSource>());
  const changed = useRef(onTurn);
  useEffect(() => {
    changed.current = onTurn;
  });
  const key = [...activeTurnIds].sort().join(",");

  useEffect(() => {
    const wanted = new Set(key ? key.split(",") : []);
    for (const [turnId, source] of sources.current) {
      if (!wanted.has(turnId)) {
        source.close();
        sources.current.delete(turnId);
      }
    }
    for (const turnId of wanted) {
      if (sources.current.has(turnId)) continue;
      const source = new EventSource(`/api/turns/${encodeURIComponent(turnId)}/events`);
      sources.current.set(turnId, source);
      const handle = (message: MessageEvent<string>) => {
        let event: JobEvent;
        try {
          event = JSON.parse(message.data) as JobEvent;
        } catch {
          return;
        }
        const now = Date.now();
        setProgress((current) => ({
          ...current,
          [turnId]: reduceProgress(current[turnId] ?? initialProgress(now), event, now),
        }));
        if (TERMINAL.has(event.type) && "turn" in event) {
          source.close();
          sources.current.delete(turnId);
          changed.current(event.turn);
        } else if (event.type === "started") {
          // A queued turn starts: the timeline's badge follows without fetching the page again.
          changed.current(event.turn);
        }
      };
      for (const type of EVENT_TYPES) source.addEventListener(type, handle as EventListener);
    }
  }, [key]);

  useEffect(() => {
    const open = sources.current;
    return () => {
      for (const source of open.values()) source.close();
      open.clear();
    };
  }, []);

  return progress;
}

/** A clock that ticks while something is running, for elapsed times and countdowns. */
export function useNow(active: boolean, intervalMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
