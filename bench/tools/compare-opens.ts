/**
 * Diagnostics: "composer usable" for pages of two or more studios already running, opened in turn
 * (A, B, A, B, …) in fresh browser contexts, so both see the same load on a shared machine. Prints
 * each open and the medians.
 *   npx tsx bench/tools/compare-opens.ts <rounds> <label>=<url> <label>=<url> …
 * e.g. an older build on another port against this one: old=http://127.0.0.1:3702/ new=http://127.0.0.1:3700/
 */
import { USABLE_PROBE, launchBrowser, newStudioContext } from "../lib/browser";
import { median } from "../lib/stats";

async function main() {
  const [roundsArg, ...targets] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  if (!rounds || targets.length === 0) throw new Error("Usage: compare-opens.ts <rounds> <label>=<url> …");
  const pages = targets.map((target) => {
    const [label, url] = target.split("=", 2) as [string, string];
    return { label, url, opens: [] as Array<{ usable: number; timeline: number | null; dcl: number; ttfb: number }> };
  });
  const browser = await launchBrowser();
  try {
    for (const page of pages) {
      for (let warm = 0; warm < 2; warm += 1) {
        const context = await newStudioContext(browser);
        await (await context.newPage()).goto(page.url, { waitUntil: "load" });
        await context.close();
      }
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const target of round % 2 === 0 ? pages : [...pages].reverse()) {
        const context = await newStudioContext(browser);
        await context.addInitScript(USABLE_PROBE);
        const tab = await context.newPage();
        await tab.goto(target.url);
        const wantsTimeline = new URL(target.url).pathname.startsWith("/s/");
        await tab.waitForFunction(
          (timeline) => {
            const marks = (window as unknown as { __benchMarks?: Record<string, number> }).__benchMarks;
            return marks?.usable !== undefined && (!timeline || marks.timelineInDom !== undefined);
          },
          wantsTimeline,
          { timeout: 60_000 },
        );
        const marks = await tab.evaluate(() => {
          const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
          const bench = (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks;
          return { usable: bench.usable ?? Number.NaN, timeline: bench.timelineInDom ?? null, dcl: navigation.domContentLoadedEventEnd, ttfb: navigation.responseStart };
        });
        target.opens.push(marks);
        console.log(`${target.label.padEnd(12)} usable ${marks.usable.toFixed(0).padStart(5)} ms  timeline ${marks.timeline?.toFixed(0) ?? "-"}  DCL ${marks.dcl.toFixed(0)}  TTFB ${marks.ttfb.toFixed(0)}`);
        await context.close();
      }
    }
    for (const target of pages) {
      const open = target.opens.map((entry) => (entry.timeline === null ? entry.usable : Math.max(entry.usable, entry.timeline)));
      console.log(`${target.label}: median open ${median(open).toFixed(0)} ms (usable ${median(target.opens.map((entry) => entry.usable)).toFixed(0)}), n=${open.length}`);
    }
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
