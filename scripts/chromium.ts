import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";

export const INSTALL_HINT =
  "No Chromium found for the end-to-end tests. Install one with:\n" +
  "  sudo apt-get install -y chromium\n" +
  "(or set PLAYWRIGHT_CHROMIUM_PATH to a Chromium or Chrome binary).";

/**
 * Chromium for Playwright, in order: PLAYWRIGHT_CHROMIUM_PATH, Playwright's own
 * downloaded browser, then Debian's /usr/bin/chromium. Playwright cannot
 * download browsers on machines without internet, so the system one matters.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.PLAYWRIGHT_CHROMIUM_PATH?.trim();
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    throw new Error(`PLAYWRIGHT_CHROMIUM_PATH points to ${explicit}, which does not exist.\n${INSTALL_HINT}`);
  }
  let bundled: string | undefined;
  try {
    bundled = chromium.executablePath();
  } catch {
    bundled = undefined;
  }
  for (const candidate of [bundled, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error(INSTALL_HINT);
}

/** Flags that keep Chromium quiet on a machine with no outside network and no sandbox support. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];
