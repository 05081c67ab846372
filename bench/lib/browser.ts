import { chromium, type Browser, type BrowserContext } from "@playwright/test";
import type { GenerationSettings } from "../../lib/gemini/types";
import { CHROMIUM_ARGS, findChromium } from "../../scripts/chromium";
import { BENCH_BROWSER_COOKIES } from "./auth";

export const VIEWPORT = { width: 1440, height: 900 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
}

/**
 * A fresh context (empty cache, empty storage) whose composer draft is `settings`, put where the
 * studio keeps it (localStorage, key of lib/store/composer-store.ts), so every scenario drives the
 * real controls' state without clicking through them.
 */
export async function newStudioContext(browser: Browser, settings?: GenerationSettings): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addCookies(BENCH_BROWSER_COOKIES);
  // tsx (esbuild, keepNames) wraps named functions in __name(); functions serialised into the
  // page (init scripts, evaluate) need it defined there too.
  await context.addInitScript("globalThis.__name ??= (fn) => fn;");
  if (settings) {
    await context.addInitScript((draft) => {
      window.localStorage.setItem("nano-banana-composer", JSON.stringify({ state: { prompt: "", settings: draft }, version: 1 }));
    }, settings);
  }
  return context;
}

/**
 * In-page probe: "the composer is usable" is the first frame in which typing into the prompt
 * reaches the app, i.e. the Generate button turns enabled in reaction to an input event. Each
 * frame types a new value (React ignores an input event whose value it already saw), so the probe
 * keeps trying until hydration has attached the handlers. Times are ms since navigation start.
 */
export const USABLE_PROBE = () => {
  const marks: Record<string, number> = {};
  (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks = marks;
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")?.set;
  let attempt = 0;
  const tick = () => {
    const prompt = document.querySelector<HTMLTextAreaElement>('[data-testid="prompt"]');
    const generate = document.querySelector<HTMLButtonElement>('[data-testid="generate"]');
    if (prompt && marks.promptInDom === undefined) marks.promptInDom = performance.now();
    if (document.querySelector('[data-testid="timeline-turn"]') && marks.timelineInDom === undefined) marks.timelineInDom = performance.now();
    if (prompt && generate) {
      if (attempt > 0 && !generate.disabled) {
        marks.usable = performance.now();
        return;
      }
      attempt += 1;
      setter?.call(prompt, `probe ${attempt}`);
      prompt.dispatchEvent(new Event("input", { bubbles: true }));
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // Long tasks from the very start of the page, for the scale-of-history scenario.
  const longTasks: Array<{ start: number; duration: number }> = [];
  (window as unknown as { __benchLongTasks: typeof longTasks }).__benchLongTasks = longTasks;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // No long task timing in this browser.
  }
};
