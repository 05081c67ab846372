"use client";

import { useSyncExternalStore } from "react";

/**
 * A time as the reader's browser writes it (their locale and time zone), without the two costs of
 * formatting it while the page hydrates:
 * - the server does not know the reader's zone or locale, so text formatted there differs from the
 *   browser's and React throws the server's HTML away (hydration error 418) and renders the whole
 *   page again on the client;
 * - a page's first `toLocaleString` loads the browser's date formatting data, 30–120 ms of main
 *   thread on the bench machine, before the composer can respond.
 * So the server and hydration write the time in UTC with plain arithmetic, and once the browser is
 * idle every LocalTime on the page switches to the local form together.
 */
let localReady = false;
let scheduled = false;
const listeners = new Set<() => void>();

function switchWhenIdle() {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    localReady = true;
    for (const listener of listeners) listener();
  };
  if (typeof window.requestIdleCallback === "function") window.requestIdleCallback(run, { timeout: 2_000 });
  else window.setTimeout(run, 300);
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  switchWhenIdle();
  return () => {
    listeners.delete(listener);
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "7 Dec 2026, 06:04 UTC": the same text on any server and in any browser. */
export function formatUtc(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

export function LocalTime({ iso }: { iso: string }) {
  const local = useSyncExternalStore(
    subscribe,
    () => localReady,
    () => false,
  );
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return <time dateTime={iso}>{local ? date.toLocaleString() : formatUtc(date)}</time>;
}
