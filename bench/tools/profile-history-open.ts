/**
 * Diagnostics for scenario 7: opens the seeded 500-turn session once in a fresh browser with the
 * DevTools CPU profiler on, and prints where the main thread spent its time until the composer was
 * usable and the timeline in the DOM (self time by function and by script), plus console errors
 * (a hydration mismatch makes React render the whole page again on the client).
 *   npx tsx bench/tools/profile-history-open.ts <dataDir> <sessionId> [appPort] [emulatorPort] [path]
 * The data directory is one `npm run bench -- --only=history` seeded (.bench-data/studio).
 */
import { writeFileSync } from "node:fs";
import { USABLE_PROBE, launchBrowser, newStudioContext } from "../lib/browser";
import { startApp } from "../lib/app-host";
import { startEmulatorHost } from "../lib/emulator-host";

async function main() {
  const [dataDir, sessionId, appPort = "3705", emulatorPort = "9495", pagePath] = process.argv.slice(2);
  if (!dataDir || !sessionId) throw new Error("Usage: profile-history-open.ts <dataDir> <sessionId> [appPort] [emulatorPort] [path]");
  const emulator = await startEmulatorHost({ port: Number(emulatorPort) });
  const app = await startApp({ port: Number(appPort), emulatorUrl: emulator.url, dataDir, logFile: "/tmp/size/profile-app.log" });
  const browser = await launchBrowser();
  try {
    const url = `${app.url}${pagePath ?? `/s/${sessionId}`}`;
    // Warm the server.
    for (let warm = 0; warm < 2; warm += 1) await fetch(url, { headers: { cookie: (await import("../lib/auth")).BENCH_COOKIE } });
    const context = await newStudioContext(browser);
    await context.addInitScript(USABLE_PROBE);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") errors.push(`${message.type()}: ${message.text().slice(0, 400)}`);
    });
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.message.slice(0, 400)}`));
    const requests: string[] = [];
    page.on("requestfinished", (request) => {
      const timing = request.timing();
      requests.push(`${request.method()} ${request.url().replace(app.url, "").slice(0, 80)} ${request.headers()["next-action"] ? "(action)" : ""} start ${timing.startTime.toFixed(0)} end ${(timing.startTime + timing.responseEnd).toFixed(0)}`);
    });
    const navigationStart = Date.now();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    await page.goto(url);
    await page.waitForFunction(() => {
      const marks = (window as unknown as { __benchMarks?: Record<string, number> }).__benchMarks;
      return marks?.usable !== undefined && (marks.timelineInDom !== undefined || !location.pathname.startsWith("/s/"));
    }, null, { timeout: 60_000 });
    const { profile } = await cdp.send("Profiler.stop");
    writeFileSync("/tmp/size/open.cpuprofile", JSON.stringify(profile));
    const marks = await page.evaluate(() => {
      const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      return {
        ...(window as unknown as { __benchMarks: Record<string, number> }).__benchMarks,
        responseStart: navigation.responseStart,
        responseEnd: navigation.responseEnd,
        domContentLoaded: navigation.domContentLoadedEventEnd,
        longTasks: (window as unknown as { __benchLongTasks: unknown[] }).__benchLongTasks,
      };
    });
    console.log(JSON.stringify(marks));
    console.log(`-- requests (epoch ms minus navigation start ${navigationStart})\n` + requests.map((line) => line.replace(/start (\d+) end (\d+)/, (_, a, b) => `start ${Number(a) - navigationStart} end ${Number(b) - navigationStart}`)).join("\n"));
    // Long tasks and what ran in each (self time by function within its window).
    const startTime = profile.startTime;
    const sampleTimes: number[] = [];
    let clock = startTime;
    for (const delta of profile.timeDeltas ?? []) sampleTimes.push((clock += delta));
    const navigationOffset = await page.evaluate(() => performance.timeOrigin * 1000);
    for (const task of marks.longTasks as Array<{ start: number; duration: number }>) {
      const from = navigationOffset + task.start * 1000;
      const to = from + task.duration * 1000;
      const within = new Map<string, number>();
      (profile.samples ?? []).forEach((id, index) => {
        const at = sampleTimes[index] ?? 0;
        if (at < from || at > to) return;
        let node = profile.nodes.find((candidate) => candidate.id === id);
        const frame = node?.callFrame;
        const key = frame ? `${frame.functionName || "(anon)"} ${frame.url.replace(app.url, "")}:${frame.columnNumber}` : "?";
        within.set(key, (within.get(key) ?? 0) + (profile.timeDeltas?.[index] ?? 0) / 1000);
        node = undefined;
      });
      console.log(`long task at ${task.start.toFixed(0)} ms, ${task.duration.toFixed(0)} ms: ` + [...within].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([key, ms]) => `${key} ${ms.toFixed(0)}`).join(" | "));
    }
    // Self time per function and per script.
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<number, number>();
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (deltas[index] ?? 0) / 1000));
    const byFunction = new Map<string, number>();
    const byScript = new Map<string, number>();
    for (const [id, ms] of self) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) continue;
      const where = frame.url.replace(app.url, "");
      const key = `${frame.functionName || "(anon)"} ${where}:${frame.lineNumber}:${frame.columnNumber}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      byScript.set(where || frame.functionName, (byScript.get(where || frame.functionName) ?? 0) + ms);
    }
    const top = (map: Map<string, number>, count: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${key}`);
    console.log("-- self time by script\n" + top(byScript, 15).join("\n"));
    console.log("-- self time by function\n" + top(byFunction, 30).join("\n"));
    console.log("-- console\n" + errors.join("\n"));
    await context.close();
  } finally {
    await browser.close();
    await app.stop();
    await emulator.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
