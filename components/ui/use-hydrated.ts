"use client";

import { useSyncExternalStore } from "react";

const subscribeToNothing = () => () => {};

/**
 * False in the server render and during hydration, true once the page is interactive: React
 * re-renders with `true` only after the hydration commit's effects (document listeners such as
 * Radix's keyboard-vs-pointer tracking) have run.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribeToNothing,
    () => true,
    () => false,
  );
}
