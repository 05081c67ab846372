import { gzipSync } from "node:zlib";
import type { BenchContext } from "../lib/context";
import { USABLE_PROBE, newStudioContext } from "../lib/browser";
import { recordNetwork } from "../lib/network";
import { KB, MB, median, round, summarize } from "../lib/stats";
import { BENCH_COOKIE } from "../lib/auth";

const OPENS = 3;

type Marks = { usable?: number; promptInDom?: number; timelineInDom?: number };

/**
 * Scenario 7: the 500-turn session seeded through lib/storage before the app started (5,000
 * images in the data directory). "Open" is a fresh browser (empty cache) loading /s/<id> until
 * the timeline is in the DOM and typing in the composer reaches React, median of 3. "Scroll" is
 * real mouse-wheel input over the timeline from top to bottom, 500 px every 50 ms, with the long
 * tasks (> 50 ms on the main thread, PerformanceObserver) and the frame gaps seen meanwhile.
 */
export async function runHistoryScale(context: BenchContext) {
  const { browser, app, seeded } = context;
  if (!seeded.sessionId) throw new Error("Nothing was seeded.");
  const url = `${app.url}/s/${seeded.sessionId}`;

  // The server alone: the session page's HTML, and the RSC payload router.refresh() fetches after each generation.
  const serverRenderMs: number[] = [];
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const start = performance.now();
    await (await fetch(url, { headers: { cookie: BENCH_COOKIE } })).arrayBuffer();
    serverRenderMs.push(performance.now() - start);
  }
  const rsc = Buffer.from(await (await fetch(url, { headers: { rsc: "1", cookie: BENCH_COOKIE } })).arrayBuffer());
  const html = Buffer.from(await (await fetch(url, { headers: { cookie: BENCH_COOKIE } })).arrayBuffer());

  const opens: Array<Record<string, number>> = [];
  let scroll: Record<string, unknown> = {};
  for (let open = 0; open < OPENS; open += 1) {
    const browserContext = await newStudioContext(browser);
    await browserContext.addInitScript(USABLE_PROBE);
    const page = await browserContext.newPage();
    const network = await recordNetwork(browserContext, page);
    network.start();
    await page.goto(url);
    await page.waitForFunction(() => {
      const marks = (window as unknown as { __benchMarks?: Marks }).__benchMarks;
      return marks?.usable !== undefined && marks.timelineInDom !== undefined;
    }, null, { timeout: 60_000 });
    const loadRequests = network.stop();
    const measured = await page.evaluate(() => {
      const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const marks = (window as unknown as { __benchMarks: Marks }).__benchMarks;
      const longTasks = (window as unknown as { __benchLongTasks: Array<{ start: number; duration: number }> }).__benchLongTasks;
      const usable = marks.usable ?? Number.NaN;
      const before = longTasks.filter((task) => task.start < usable);
      return {
        openMs: Math.max(usable, marks.timelineInDom ?? Number.NaN),
        usableMs: usable,
        timelineInDomMs: marks.timelineInDom ?? Number.NaN,
        ttfbMs: navigation.responseStart,
        serverWaitMs: navigation.responseStart - navigation.requestStart,
        domContentLoadedMs: navigation.domContentLoadedEventEnd,
        longTasksBeforeUsable: before.length,
        longestTaskBeforeUsableMs: Math.max(0, ...before.map((task) => task.duration)),
        timelineItemsInDom: document.querySelectorAll('[data-testid="timeline-turn"]').length,
        domNodes: document.getElementsByTagName("*").length,
      };
    });
    opens.push({
      ...measured,
      documentKB: round(loadRequests.filter((request) => request.type === "Document").reduce((sum, request) => sum + request.bytes, 0) / KB),
      imageRequestsDuringOpen: loadRequests.filter((request) => request.type === "Image").length,
    });

    if (open === OPENS - 1) {
      await network.idle(500, 10_000);
      network.start();
      scroll = await scrollTimeline(page);
      await network.idle(500, 10_000);
      const scrollRequests = network.stop().filter((request) => request.type === "Image");
      scroll.imageRequests = scrollRequests.length;
      scroll.imageMB = round(scrollRequests.reduce((sum, request) => sum + request.bytes, 0) / MB, 1);
    }
    await network.detach();
    await browserContext.close();
  }

  // Attribution: the same scroll with every image request refused. What remains is the cost of
  // the timeline's DOM itself; the difference is the thumbnails (full-size originals).
  let scrollWithoutImages: Record<string, unknown> = {};
  {
    const browserContext = await newStudioContext(browser);
    await browserContext.addInitScript(USABLE_PROBE);
    await browserContext.route("**/api/images/**", (route) => route.abort());
    const page = await browserContext.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __benchMarks?: Marks }).__benchMarks?.usable !== undefined, null, { timeout: 60_000 });
    await page.waitForTimeout(500);
    scrollWithoutImages = await scrollTimeline(page);
    await browserContext.close();
  }

  const pick = (key: string) => round(median(opens.map((entry) => entry[key] as number)));
  return {
    seeded,
    opens: OPENS,
    openMs: pick("openMs"),
    usableMs: pick("usableMs"),
    timelineInDomMs: pick("timelineInDomMs"),
    serverWaitMs: pick("serverWaitMs"),
    domContentLoadedMs: pick("domContentLoadedMs"),
    timelineItemsInDom: pick("timelineItemsInDom"),
    domNodes: pick("domNodes"),
    longTasksBeforeUsable: pick("longTasksBeforeUsable"),
    longestTaskBeforeUsableMs: pick("longestTaskBeforeUsableMs"),
    documentKB: pick("documentKB"),
    perOpen: opens.map((entry) => Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, round(value)]))),
    server: {
      htmlRenderMs: summarize(serverRenderMs.slice(1)),
      htmlKB: round(html.length / KB),
      htmlGzipKB: round(gzipSync(html).length / KB),
      refreshPayloadKB: round(rsc.length / KB),
      refreshPayloadGzipKB: round(gzipSync(rsc).length / KB),
    },
    scroll,
    scrollWithoutImages,
  };
}

async function scrollTimeline(page: import("@playwright/test").Page): Promise<Record<string, unknown>> {
  const target = await page.evaluate(() => {
    const timeline = document.querySelector('[data-testid="timeline"]');
    let node: Element | null = timeline;
    while (node && node !== document.documentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight + 1) break;
      node = node.parentElement;
    }
    const scroller = node && node !== document.documentElement ? node : document.scrollingElement;
    scroller?.setAttribute("data-bench-scroller", "");
    if (scroller) scroller.scrollTop = 0;
    const box = (timeline ?? document.body).getBoundingClientRect();
    return {
      element: scroller === document.scrollingElement ? "document" : `${scroller?.tagName.toLowerCase()}[aria-label=${scroller?.getAttribute("aria-label")}]`,
      scrollHeight: scroller?.scrollHeight ?? 0,
      clientHeight: scroller?.clientHeight ?? 0,
      x: box.left + Math.min(box.width, 200) / 2,
      y: Math.min(window.innerHeight - 20, Math.max(box.top + 40, 200)),
    };
  });
  await page.waitForTimeout(300);
  await page.evaluate(() => {
    const frames: number[] = [];
    const state = window as unknown as { __benchScroll: { start: number; frames: number[]; running: boolean } };
    state.__benchScroll = { start: performance.now(), frames, running: true };
    const tick = (time: number) => {
      frames.push(time);
      if (state.__benchScroll.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(target.x, target.y);
  const began = Date.now();
  let steps = 0;
  for (; steps < 400; steps += 1) {
    await page.mouse.wheel(0, 500);
    await page.waitForTimeout(50);
    const atBottom = await page.evaluate(() => {
      const scroller = document.querySelector("[data-bench-scroller]") ?? document.scrollingElement;
      return scroller ? scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2 : true;
    });
    if (atBottom) break;
  }
  const wallMs = Date.now() - began;
  const result = await page.evaluate(() => {
    const state = window as unknown as { __benchScroll: { start: number; frames: number[]; running: boolean } };
    state.__benchScroll.running = false;
    const longTasks = (window as unknown as { __benchLongTasks: Array<{ start: number; duration: number }> }).__benchLongTasks.filter(
      (task) => task.start >= state.__benchScroll.start,
    );
    const gaps = state.__benchScroll.frames.slice(1).map((time, index) => time - (state.__benchScroll.frames[index] as number));
    return {
      longTasks: longTasks.length,
      longestTaskMs: Math.max(0, ...longTasks.map((task) => task.duration)),
      totalLongTaskMs: longTasks.reduce((sum, task) => sum + task.duration, 0),
      frames: gaps.length,
      framesOver50ms: gaps.filter((gap) => gap > 50).length,
      worstFrameMs: Math.max(0, ...gaps),
    };
  });
  return { ...target, steps: steps + 1, wallMs, ...result, longestTaskMs: round(result.longestTaskMs), totalLongTaskMs: round(result.totalLongTaskMs), worstFrameMs: round(result.worstFrameMs) };
}
