import { gzipSync } from "node:zlib";
import type { BenchContext } from "../lib/context";
import { USABLE_PROBE, newStudioContext } from "../lib/browser";
import { recordNetwork } from "../lib/network";
import { KB, median, round } from "../lib/stats";

const LOADS = 5;

/**
 * Scenario 4: what the studio page (/) costs to load. First-load JavaScript is every script the
 * page fetched until it was usable and the network went quiet, each body gzipped here at level 9
 * (how Next's build output has always reported sizes), summed; the bytes actually transferred by
 * `next start` are reported beside it. "Composer usable" is the first frame in which typing into
 * the prompt reaches React (USABLE_PROBE), from navigation start, with an empty browser cache and
 * a warm server, median of 5 loads.
 */
export async function runPageWeight(context: BenchContext) {
  const { browser, app } = context;
  // Warm the server's caches of this route, so the loads below measure the page, not the first request.
  for (let warm = 0; warm < 2; warm += 1) {
    const warmContext = await newStudioContext(browser);
    const warmPage = await warmContext.newPage();
    await warmPage.goto(app.url, { waitUntil: "load" });
    await warmContext.close();
  }

  const loads: Array<{ usableMs: number; promptInDomMs: number; ttfbMs: number; domContentLoadedMs: number; loadMs: number }> = [];
  let scripts: Array<{ url: string; rawBytes: number; gzipBytes: number; transferredBytes: number }> = [];
  let documentBytes = 0;
  let otherBytes = 0;
  for (let load = 0; load < LOADS; load += 1) {
    const browserContext = await newStudioContext(browser);
    await browserContext.addInitScript(USABLE_PROBE);
    const page = await browserContext.newPage();
    const network = await recordNetwork(browserContext, page);
    const bodies = new Map<string, Buffer>();
    if (load === 0) {
      page.on("response", (response) => {
        if (response.request().resourceType() === "script") {
          void response.body().then(
            (body) => bodies.set(response.url(), body),
            () => undefined,
          );
        }
      });
    }
    network.start();
    await page.goto(app.url);
    await page.waitForFunction(() => (window as unknown as { __benchMarks?: { usable?: number } }).__benchMarks?.usable !== undefined, null, { timeout: 30_000 });
    await network.idle();
    const requests = network.stop();
    const marks = await page.evaluate(() => {
      const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const benchMarks = (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks;
      return {
        usableMs: benchMarks.usable ?? Number.NaN,
        promptInDomMs: benchMarks.promptInDom ?? Number.NaN,
        ttfbMs: navigation.responseStart,
        domContentLoadedMs: navigation.domContentLoadedEventEnd,
        loadMs: navigation.loadEventEnd,
      };
    });
    loads.push(marks);
    if (load === 0) {
      await page.waitForTimeout(200);
      const scriptRequests = requests.filter((request) => request.type === "Script");
      scripts = scriptRequests.map((request) => {
        const body = bodies.get(request.url) ?? Buffer.alloc(0);
        return { url: request.url.replace(app.url, ""), rawBytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length, transferredBytes: request.bytes };
      });
      documentBytes = requests.filter((request) => request.type === "Document").reduce((sum, request) => sum + request.bytes, 0);
      otherBytes = requests.filter((request) => request.type !== "Document" && request.type !== "Script").reduce((sum, request) => sum + request.bytes, 0);
    }
    await network.detach();
    await browserContext.close();
  }

  const gzipTotal = scripts.reduce((sum, script) => sum + script.gzipBytes, 0);
  return {
    firstLoadJsGzipKB: round(gzipTotal / KB),
    firstLoadJsRawKB: round(scripts.reduce((sum, script) => sum + script.rawBytes, 0) / KB),
    firstLoadJsTransferredKB: round(scripts.reduce((sum, script) => sum + script.transferredBytes, 0) / KB),
    scriptCount: scripts.length,
    largestScripts: [...scripts].sort((a, b) => b.gzipBytes - a.gzipBytes).slice(0, 8).map((script) => ({ ...script, gzipKB: round(script.gzipBytes / KB) })),
    documentTransferredKB: round(documentBytes / KB),
    otherTransferredKB: round(otherBytes / KB),
    composerUsableMs: round(median(loads.map((load) => load.usableMs))),
    loads: loads.map((load) => Object.fromEntries(Object.entries(load).map(([key, value]) => [key, round(value)]))),
    medians: {
      ttfbMs: round(median(loads.map((load) => load.ttfbMs))),
      promptInDomMs: round(median(loads.map((load) => load.promptInDomMs))),
      domContentLoadedMs: round(median(loads.map((load) => load.domContentLoadedMs))),
      loadMs: round(median(loads.map((load) => load.loadMs))),
    },
  };
}
