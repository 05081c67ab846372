"use client";

import { useEffect } from "react";

/**
 * Marks `<html data-hydrated="true">` once the root layout has hydrated, so browser tests (and
 * anything else driving the page) can wait for controls that are wired up rather than the server's
 * inert markup: a click or a form submit before hydration is lost or reloads the page. The layout's
 * effects run after every child's, so the mark means the whole page below it is interactive.
 */
export function HydrationMark() {
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return null;
}
