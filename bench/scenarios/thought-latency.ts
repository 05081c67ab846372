import type { Page } from "@playwright/test";
import type { GenerationSettings } from "../../lib/gemini/types";
import { epochNow, type BenchContext } from "../lib/context";
import { newStudioContext } from "../lib/browser";
import { round, summarize } from "../lib/stats";

const RUNS = 5;
const LATENCY_MS = 300;

/** Gemini 3 Pro Image always thinks; with thoughts shown the emulator streams two draft images. */
const SETTINGS: GenerationSettings = {
  model: "gemini-3-pro-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

/**
 * In-page recorder: when each thought event arrives over SSE, when each draft <img> enters the
 * DOM, when it has loaded, and when the frame after that has run (the image is on screen). Epoch
 * ms from the page's clock (timeOrigin + now), like the emulator's and the bench's.
 */
const THOUGHT_RECORDER = () => {
  const clock = () => performance.timeOrigin + performance.now();
  const record = { sse: [] as Array<{ hash: string; at: number }>, images: {} as Record<string, { inserted: number; loaded?: number; visible?: number }> };
  (window as unknown as { __benchThoughts: typeof record }).__benchThoughts = record;
  const NativeEventSource = window.EventSource;
  window.EventSource = class extends NativeEventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      this.addEventListener("thought", (event) => {
        try {
          const data = JSON.parse((event as MessageEvent<string>).data) as { thought?: { kind: string; hash?: string } };
          if (data.thought?.kind === "image" && data.thought.hash) record.sse.push({ hash: data.thought.hash, at: clock() });
        } catch {
          // Not for us.
        }
      });
    }
  };
  const watch = (img: HTMLImageElement) => {
    const hash = img.src.split("/").pop() ?? "";
    if (record.images[hash]) return;
    const entry: { inserted: number; loaded?: number; visible?: number } = { inserted: clock() };
    record.images[hash] = entry;
    const onLoaded = () => {
      entry.loaded = clock();
      requestAnimationFrame(() => setTimeout(() => (entry.visible = clock()), 0));
    };
    if (img.complete && img.naturalWidth > 0) onLoaded();
    else img.addEventListener("load", onLoaded, { once: true });
  };
  new MutationObserver(() => {
    document.querySelectorAll<HTMLImageElement>('[data-testid="thought-image"] img').forEach(watch);
  }).observe(document, { childList: true, subtree: true });
};

/** Offset of the page's clock from this process's, best of a few round trips. */
async function browserClockOffset(page: Page) {
  let best = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
  for (let round = 0; round < 7; round += 1) {
    const before = epochNow();
    const remote = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = epochNow();
    if ((after - before) / 2 < best.uncertaintyMs) best = { offsetMs: remote - (before + after) / 2, uncertaintyMs: (after - before) / 2 };
  }
  return best;
}

/**
 * Scenario 6: from the emulator writing a chunk with a thought image to that draft being on
 * screen. The emulator process stamps the write (bench/lib/emulator-process.ts); the page stamps
 * the SSE event, the <img> insertion, its load and the next frame. All three clocks are the same
 * system clock, and their offsets are measured anyway and corrected for. Each chunk waits 300 ms,
 * so drafts arrive apart as from a thinking model. The first run starts a session from /, the
 * others continue it in place; both are reported.
 */
export async function runThoughtLatency(context: BenchContext) {
  const { browser, app, emulator } = context;
  await emulator.configure({ latencyMs: LATENCY_MS, realisticPayload: true });
  const emulatorClock = await emulator.clockOffset();
  const browserContext = await newStudioContext(browser, SETTINGS);
  await browserContext.addInitScript(THOUGHT_RECORDER);
  const page = await browserContext.newPage();
  await page.goto(app.url);
  await page.locator('[data-testid="reference-tray"][data-hydrated="true"]').waitFor();

  const samples: Array<{ run: number; newSession: boolean; totalMs: number; toSseMs: number; sseToDomMs: number; domToLoadedMs: number; loadedToVisibleMs: number }> = [];
  let pageClock = await browserClockOffset(page);
  for (let run = 0; run < RUNS; run += 1) {
    const mark = await emulator.mark();
    const before = (await page.getByTestId("turn-view").count()) > 0 ? await page.getByTestId("turn-view").getAttribute("data-turn-id") : null;
    await page.getByTestId("prompt").fill(`bench thoughts run ${run}: a paper boat on a pond`);
    await page.getByTestId("generate").click();
    await page
      .locator('[data-testid="turn-view"][data-status="succeeded"]')
      .and(page.locator(before ? `:not([data-turn-id="${before}"])` : "*"))
      .waitFor({ timeout: 60_000 });
    await page.waitForTimeout(300);
    if (run === 0) pageClock = await browserClockOffset(page);
    const record = await page.evaluate(() => {
      const state = window as unknown as { __benchThoughts: { sse: Array<{ hash: string; at: number }>; images: Record<string, { inserted: number; loaded?: number; visible?: number }> } };
      const snapshot = JSON.parse(JSON.stringify(state.__benchThoughts)) as typeof state.__benchThoughts;
      state.__benchThoughts.sse = [];
      state.__benchThoughts.images = {};
      return snapshot;
    });
    const timings = await emulator.timings(mark);
    const sent = timings.flatMap((timing) => timing.thoughtImageAt);
    // The n-th thought image the emulator wrote is the n-th thought image event of the stream.
    const arrivals = record.sse.filter((event, index, all) => all.findIndex((other) => other.hash === event.hash) === index);
    arrivals.forEach((arrival, index) => {
      const sentAt = sent[index];
      const image = record.images[arrival.hash];
      if (sentAt === undefined || !image?.visible || !image.loaded) return;
      const sentHere = sentAt - emulatorClock.offsetMs;
      const toHere = (pageTime: number) => pageTime - pageClock.offsetMs;
      samples.push({
        run,
        newSession: run === 0,
        totalMs: toHere(image.visible) - sentHere,
        toSseMs: toHere(arrival.at) - sentHere,
        sseToDomMs: image.inserted - arrival.at,
        domToLoadedMs: image.loaded - image.inserted,
        loadedToVisibleMs: image.visible - image.loaded,
      });
    });
  }
  await browserContext.close();
  await emulator.configure({ latencyMs: 0 });
  const pick = (key: keyof (typeof samples)[number], rows = samples) => summarize(rows.map((sample) => sample[key] as number));
  const inPlace = samples.filter((sample) => !sample.newSession);
  return {
    runs: RUNS,
    latencyMsPerChunk: LATENCY_MS,
    settings: SETTINGS,
    clocks: { emulatorMinusBenchMs: round(emulatorClock.offsetMs, 2), pageMinusBenchMs: round(pageClock.offsetMs, 2), uncertaintyMs: round(Math.max(emulatorClock.uncertaintyMs, pageClock.uncertaintyMs), 2) },
    samples: samples.length,
    totalMs: pick("totalMs"),
    inPlaceTotalMs: pick("totalMs", inPlace),
    newSessionTotalMs: pick("totalMs", samples.filter((sample) => sample.newSession)),
    breakdown: {
      emulatorToSseEventMs: pick("toSseMs"),
      sseEventToImgInDomMs: pick("sseToDomMs"),
      imgInDomToLoadedMs: pick("domToLoadedMs"),
      loadedToNextFrameMs: pick("loadedToVisibleMs"),
    },
    perSample: samples.map((sample) => Object.fromEntries(Object.entries(sample).map(([key, value]) => [key, typeof value === "number" ? round(value) : value]))),
  };
}
