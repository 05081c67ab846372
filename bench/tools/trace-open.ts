/**
 * Diagnostics for scenarios 4 and 7: opens a page of the studio (on a data directory the bench
 * seeded) in a fresh browser with a DevTools trace running, until the composer is usable (and, on
 * a session page, the timeline is in the DOM), and attributes the renderer's main thread in that
 * window: self time by trace event (HTML parsing, script compile and evaluation per script, layout,
 * GC…), the scripts' fetch and evaluation times, and the long tasks. Opens `runs` times and prints
 * each; a trace of the last is written for chrome://tracing or DevTools.
 *   npx tsx bench/tools/trace-open.ts <dataDir> <path,path,…> [runs] [appPort] [emulatorPort]
 * (a running studio is used instead when TRACE_APP_URL is set). The profiler's view of the same
 * open, by JS function: bench/tools/profile-history-open.ts.
 */
import { writeFileSync } from "node:fs";
import type { Browser } from "@playwright/test";
import { BENCH_COOKIE } from "../lib/auth";
import { USABLE_PROBE, launchBrowser, newStudioContext } from "../lib/browser";
import { startApp, type AppHost } from "../lib/app-host";
import { startEmulatorHost } from "../lib/emulator-host";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { data?: Record<string, unknown>; name?: string; [key: string]: unknown };
}

const CATEGORIES = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "v8.execute",
  "v8",
  "blink.user_timing",
  "loading",
  "toplevel",
  "disabled-by-default-v8.compile",
].join(",");

/** Trace events grouped by what the main thread was doing. */
const GROUPS: Array<[string, RegExp]> = [
  ["compile", /^(V8\.(Parse|PreParse|Compile|CollectSourcePositions|StreamingFinalization|Deserialize)|v8\.(compile|produceCache)|FlushInstructionCache)/],
  ["gc", /(GC|MinorGC|MajorGC|V8\.GC)/],
  ["js", /^(v8\.callFunction|v8\.run|v8\.newInstance|FunctionCall|EvaluateScript|RunMicrotasks|V8\.(BytecodeBudgetInterrupt|Maglev|Optimize|StackGuard|Turbofan)|BlinkScheduler_PerformMicrotaskCheckpoint|TimerFire|FireAnimationFrame|EventDispatch|v8\.)/],
  ["style+layout+paint", /^(UpdateLayoutTree|Layout|Paint|PrePaint|Layerize|Commit|ParseAuthorStyleSheet|PaintImage|Decode|IntersectionObserver|UpdateLayer|HitTest|ScheduleStyleRecalculation|InvalidateLayout)/],
  ["html+document", /^(ParseHTML|DecodedDataDocumentParser|DocumentLoader|HTMLDocumentParser|NavigationBodyLoader|ClassicPendingScript|LocalWindowProxy|ContextCreatedNotification|Document::)/],
];

async function openOnce(browser: Browser, url: string, wantsTimeline: boolean, tracePath: string | null) {
  const context = await newStudioContext(browser);
  await context.addInitScript(USABLE_PROBE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (message) => {
    events.push(...(message.value as unknown as TraceEvent[]));
  });
  const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: CATEGORIES.split(","), recordMode: "recordAsMuchAsPossible" }, transferMode: "ReportEvents" });
  await page.goto(url);
  await page.waitForFunction(
    (timeline) => {
      const marks = (window as unknown as { __benchMarks?: Record<string, number> }).__benchMarks;
      return marks?.usable !== undefined && (!timeline || marks.timelineInDom !== undefined);
    },
    wantsTimeline,
    { timeout: 60_000 },
  );
  const marks = await page.evaluate(() => {
    const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    return {
      ...(window as unknown as { __benchMarks: { usable?: number; timelineInDom?: number; promptInDom?: number } }).__benchMarks,
      responseStart: navigation.responseStart,
      responseEnd: navigation.responseEnd,
      domInteractive: navigation.domInteractive,
      domContentLoaded: navigation.domContentLoadedEventEnd,
      load: navigation.loadEventEnd,
      timeOrigin: performance.timeOrigin,
      scripts: resources
        .filter((entry) => entry.initiatorType === "script" || entry.name.endsWith(".js"))
        .map((entry) => ({ url: new URL(entry.name).pathname, start: entry.startTime, end: entry.responseEnd, bytes: entry.transferSize })),
      images: resources.filter((entry) => entry.initiatorType === "img").length,
    };
  });
  await cdp.send("Tracing.end");
  await complete;
  if (tracePath) writeFileSync(tracePath, JSON.stringify({ traceEvents: events }));
  await context.close();
  return { marks, events };
}

/** The renderer's main thread: the thread named CrRendererMain of the process that ran the page's scripts. */
function mainThread(events: TraceEvent[]): { pid: number; tid: number } | null {
  const names = events.filter((event) => event.ph === "M" && event.name === "thread_name" && event.args?.name === "CrRendererMain");
  let best: { pid: number; tid: number; count: number } | null = null;
  for (const candidate of names) {
    const count = events.filter((event) => event.pid === candidate.pid && event.tid === candidate.tid && event.name === "EvaluateScript").length;
    if (!best || count > best.count) best = { pid: candidate.pid, tid: candidate.tid, count };
  }
  return best;
}

/** Self time of each complete event (ph X) on one thread, children subtracted, clipped to [from, to] (µs). */
function selfTimes(events: TraceEvent[], from: number, to: number, keyOf: (event: TraceEvent, parent: TraceEvent | undefined) => string) {
  const complete = events.filter((event) => event.ph === "X" && event.dur !== undefined).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const totals = new Map<string, number>();
  const stack: Array<{ event: TraceEvent; end: number; childTime: number; key: string }> = [];
  const clip = (start: number, end: number) => Math.max(0, Math.min(end, to) - Math.max(start, from));
  const close = (frame: { event: TraceEvent; end: number; childTime: number; key: string }) => {
    const own = clip(frame.event.ts, frame.end) - frame.childTime;
    totals.set(frame.key, (totals.get(frame.key) ?? 0) + Math.max(0, own));
    const parent = stack.at(-1);
    if (parent) parent.childTime += clip(frame.event.ts, frame.end);
  };
  for (const event of complete) {
    while (stack.length > 0 && (stack.at(-1)?.end ?? 0) <= event.ts) close(stack.pop()!);
    const parent = stack.at(-1)?.event;
    stack.push({ event, end: event.ts + (event.dur ?? 0), childTime: 0, key: keyOf(event, parent) });
  }
  while (stack.length > 0) close(stack.pop()!);
  return totals;
}

function scriptName(url: unknown): string {
  if (typeof url !== "string" || url === "") return "";
  try {
    const parsed = new URL(url);
    return parsed.pathname.startsWith("/s/") || parsed.pathname === "/" ? "(inline, document)" : parsed.pathname.replace("/_next/static/chunks/", "");
  } catch {
    return url.slice(0, 60);
  }
}

function report(label: string, run: Awaited<ReturnType<typeof openOnce>>) {
  const { marks, events } = run;
  const thread = mainThread(events);
  if (!thread) throw new Error("No renderer main thread in the trace.");
  const navigation = events.find((event) => event.name === "navigationStart" && event.pid === thread.pid && (event.args?.data as { isLoadingMainFrame?: boolean } | undefined)?.isLoadingMainFrame)
    ?? events.find((event) => event.name === "navigationStart" && event.pid === thread.pid);
  const origin = navigation?.ts ?? Math.round(marks.timeOrigin * 1000);
  const end = origin + Math.max(marks.usable ?? 0, marks.timelineInDom ?? 0) * 1000;
  const onThread = events.filter((event) => event.pid === thread.pid && event.tid === thread.tid);
  const ms = (us: number) => (us / 1000).toFixed(0);

  // Which script an event belongs to: its own url, else the nearest enclosing EvaluateScript/compile's.
  const byName = selfTimes(onThread, origin, end, (event) => {
    const data = event.args?.data as { url?: string; functionName?: string } | undefined;
    if (event.name === "EvaluateScript" || event.name === "v8.compile" || event.name === "v8.compileModule" || event.name === "v8.produceCache") return `${event.name} ${scriptName(data?.url)}`;
    if (event.name === "FunctionCall") return `FunctionCall ${scriptName(data?.url)}`;
    return event.name;
  });
  const busy = [...byName].filter(([key]) => !/^(RunTask|ThreadControllerImpl::RunTask|RunMicrotasks)$/.test(key)).reduce((sum, [, value]) => sum + value, 0);
  const tasks = onThread.filter((event) => event.ph === "X" && /^(RunTask|ThreadControllerImpl::RunTask)$/.test(event.name) && event.ts >= origin && event.ts < end);
  const taskTime = tasks.reduce((sum, event) => sum + Math.min(event.dur ?? 0, end - event.ts), 0);
  console.log(`\n=== ${label}: usable ${marks.usable?.toFixed(0)} ms, timeline in DOM ${marks.timelineInDom?.toFixed(0) ?? "-"} ms, prompt in DOM ${marks.promptInDom?.toFixed(0)} ms; response ${marks.responseStart.toFixed(0)}–${marks.responseEnd.toFixed(0)} ms, DOMContentLoaded ${marks.domContentLoaded.toFixed(0)}, load ${marks.load.toFixed(0)}`);
  console.log(`main thread busy in tasks ${ms(taskTime)} ms of ${ms(end - origin)} ms (${tasks.length} tasks, ${tasks.filter((task) => (task.dur ?? 0) > 50_000).length} over 50 ms); attributed self time ${ms(busy)} ms`);
  const groups = new Map<string, number>();
  for (const [key, value] of byName) {
    if (/^(RunTask|ThreadControllerImpl::RunTask)$/.test(key)) continue;
    const group = GROUPS.find(([, pattern]) => pattern.test(key))?.[0] ?? "other";
    groups.set(group, (groups.get(group) ?? 0) + value);
  }
  console.log(`SUMMARY ${label}: open ${Math.max(marks.usable ?? 0, marks.timelineInDom ?? 0).toFixed(0)} ms | ` + [...groups].sort((a, b) => b[1] - a[1]).map(([group, value]) => `${group} ${ms(value)}`).join(" | ") + ` | idle ${ms(end - origin - busy)}`);
  const rows = [...byName].filter(([, value]) => value >= 2_000).sort((a, b) => b[1] - a[1]);
  for (const [key, value] of rows.slice(0, 40)) console.log(`${ms(value).padStart(6)} ms  ${key}`);
  console.log("-- scripts: fetched (start–end) and evaluated (start, duration), ms from navigation");
  const evaluations = onThread.filter((event) => event.name === "EvaluateScript" && event.ts >= origin && event.ts < end);
  for (const script of marks.scripts) {
    const evaluation = evaluations.find((event) => scriptName((event.args?.data as { url?: string } | undefined)?.url) === script.url.replace("/_next/static/chunks/", ""));
    console.log(
      `  ${script.url.replace("/_next/static/chunks/", "").padEnd(24)} ${(script.bytes / 1024).toFixed(1).padStart(6)} KB  fetched ${script.start.toFixed(0)}–${script.end.toFixed(0)}` +
        (evaluation ? `  evaluated at ${ms(evaluation.ts - origin)} for ${ms(evaluation.dur ?? 0)} ms` : ""),
    );
  }
  console.log("-- long tasks (start, duration, biggest self items)");
  for (const task of tasks.filter((event) => (event.dur ?? 0) > 50_000)) {
    const inside = selfTimes(
      onThread.filter((event) => event.ts >= task.ts && event.ts < task.ts + (task.dur ?? 0)),
      task.ts,
      task.ts + (task.dur ?? 0),
      (event) => (event.name === "EvaluateScript" || event.name === "FunctionCall" || event.name.startsWith("v8.compile") ? `${event.name} ${scriptName((event.args?.data as { url?: string } | undefined)?.url)}` : event.name),
    );
    const top = [...inside].filter(([key]) => !/RunTask/.test(key)).sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(`  at ${ms(task.ts - origin)} ms, ${ms(task.dur ?? 0)} ms: ${top.map(([key, value]) => `${key} ${ms(value)}`).join(" | ")}`);
  }
}

async function main() {
  const [dataDir, paths, runsArg = "1", appPort = "3705", emulatorPort = "9495"] = process.argv.slice(2);
  if (!dataDir || !paths) throw new Error("Usage: trace-open.ts <dataDir> <path,path,…> [runs] [appPort] [emulatorPort]");
  const runs = Number(runsArg);
  let app: Pick<AppHost, "url" | "stop"> | null = null;
  let emulator: { close(): Promise<void> } | null = null;
  if (process.env.TRACE_APP_URL) app = { url: process.env.TRACE_APP_URL, stop: async () => undefined };
  else {
    const started = await startEmulatorHost({ port: Number(emulatorPort) });
    emulator = started;
    app = await startApp({ port: Number(appPort), emulatorUrl: started.url, dataDir, logFile: "/tmp/trace-open-app.log" });
  }
  const browser = await launchBrowser();
  try {
    for (const pagePath of paths.split(",")) {
      const url = `${app.url}${pagePath}`;
      for (let warm = 0; warm < 2; warm += 1) await (await fetch(url, { headers: { cookie: BENCH_COOKIE } })).arrayBuffer();
      for (let run = 0; run < runs; run += 1) {
        const last = run === runs - 1;
        const result = await openOnce(browser, url, pagePath.startsWith("/s/"), last ? `/tmp/trace-open-${pagePath.replace(/\W+/g, "_")}.json` : null);
        report(`${pagePath} run ${run + 1}`, result);
      }
    }
  } finally {
    await browser.close();
    await app.stop();
    await emulator?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
