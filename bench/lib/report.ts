import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { MachineInfo } from "./machine";

export type ScenarioResults = Record<string, unknown>;

export interface Report {
  root: string;
  machine: MachineInfo;
  startedAt: Date;
  finishedAt: Date;
  quick: boolean;
  selected: string[];
  app: { startSeconds: number; built: boolean };
  results: ScenarioResults;
  updateReadme: boolean;
}

interface Row {
  scenario: string;
  figure: string;
  result: string;
  baseline: string;
  budget: string;
  verdict: "holds" | "MISSED" | "—" | "error" | "not reached" | "inconclusive";
}

// The results are untyped JSON by the time they get here; read them defensively.
type Json = Record<string, unknown>;
const get = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((current, key) => (current && typeof current === "object" ? (current as Json)[key] : undefined), value);
const num = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);
const fmt = (value: unknown, unit = "", digits = 0) => (Number.isFinite(num(value)) ? `${num(value).toFixed(digits)}${unit}` : "n/a");
const verdict = (ok: boolean | null): Row["verdict"] => (ok === null ? "—" : ok ? "holds" : "MISSED");

function rows(results: ScenarioResults): Row[] {
  const out: Row[] = [];
  const failed = (scenario: string, name: string) => {
    const error = get(results[name], "error");
    if (typeof error !== "string") return false;
    out.push({ scenario, figure: "(scenario failed)", result: error.slice(0, 120), baseline: "", budget: "", verdict: "error" });
    return true;
  };

  if (results.overhead && !failed("1 Overhead", "overhead")) {
    // Issue 18's budgets, over the emulator's own time (its first request byte to its last answer byte).
    for (const [size, limit] of [["1K", 25], ["4K", 100]] as const) {
      const entry = get(results.overhead, size);
      if (entry === undefined || typeof get(entry, "error") === "string") continue;
      const p50 = num(get(entry, "addedMs", "p50"));
      out.push({
        scenario: "1 Overhead",
        figure: `added per new generation over the emulator's own time, ${size} (n=${fmt(get(entry, "runs"))}, ${fmt(get(entry, "identicalRequests"))} identical requests)`,
        result: `p50 ${fmt(p50, " ms")} (95% CI ${fmt(get(entry, "addedMs", "p50Interval95", "0"))}…${fmt(get(entry, "addedMs", "p50Interval95", "1"), " ms")}), p95 ${fmt(get(entry, "addedMs", "p95"), " ms")}`,
        baseline: `SDK alone adds p50 ${fmt(get(entry, "sdkAddedMs", "p50"), " ms")}; app vs SDK p50 ${fmt(get(entry, "versusSdkMs", "p50"), " ms")}; emulator's own p50 ${fmt(get(entry, "app", "emulatorMs", "p50"), " ms")}`,
        budget: `p50 ≤ ${limit} ms`,
        // Decided only when the whole 95% interval of the p50 is on one side of the budget.
        verdict:
          num(get(entry, "addedMs", "p50Interval95", "1")) <= limit
            ? "holds"
            : num(get(entry, "addedMs", "p50Interval95", "0")) > limit
              ? "MISSED"
              : "inconclusive",
      });
    }
  }

  if (results.concurrency && !failed("2 Concurrency", "concurrency")) {
    const c = results.concurrency;
    const directWall = num(get(c, "baseline", "directConcurrentWallMs"));
    const count = num(get(c, "count"));
    const baseline = `same 32 straight to the emulator: ${fmt(directWall / 1000, " s", 1)} (one alone: ${fmt(num(get(c, "baseline", "singleDirectMs")) / 1000, " s", 1)})`;
    const failures = (pass: string) =>
      Object.entries((get(c, pass, "failures") as Json | undefined) ?? {})
        .map(([code, n]) => `${String(n)} refused "${code}"`)
        .join(", ") || "none refused";
    for (const [pass, figure] of [
      ["once", `${fmt(count)} started at once, 2K, ${fmt(num(get(c, "latencyMsPerChunk")) / 1000, " s")} before each chunk`],
      ["withRetry", "same, refused starts retried every 250 ms"],
    ] as const) {
      const succeeded = num(get(c, pass, "succeeded"));
      const ratio = num(get(c, pass, "ratioToDirect"));
      const queuedStarts = num(get(c, pass, "queuedStarts"));
      const queue = queuedStarts > 0 ? `; ${fmt(queuedStarts)} queued, at most ${fmt(num(get(c, pass, "maxRunning")))} seen running at once by the client` : "";
      out.push({
        scenario: "2 Concurrency",
        figure,
        result: `${fmt(succeeded)}/${fmt(count)} succeeded (${failures(pass)}); wall ${fmt(num(get(c, pass, "wallMs")) / 1000, " s", 1)} = ${fmt(ratio, "x", 2)}${queue}`,
        baseline,
        budget: "all succeed, ≤ 1.25x",
        verdict: verdict(succeeded === count && ratio <= 1.25),
      });
    }
    const peak = num(get(c, "memory", "serverRssPeakMB"));
    const idle = num(get(c, "memory", "serverRssStartMB"));
    const running = num(get(c, "memory", "maxRunning"));
    const allAtOnce = running >= count;
    // With the studio's queue every start is accepted: the peak is what 32 started at once cost,
    // with the rest waiting; the linear estimate says what running all of them together would.
    const allAccepted = num(get(c, "memory", "succeeded")) === count && num(get(c, "memory", "queuedStarts")) > 0;
    const projected = idle + ((peak - idle) / Math.max(1, running)) * count;
    out.push({
      scenario: "2 Concurrency",
      figure: "peak server RSS, realistic payloads",
      result: allAtOnce
        ? fmt(peak, " MB")
        : allAccepted
          ? `${fmt(peak, " MB")} for ${fmt(count)} started at once (${fmt(running)} running, the rest queued); ≈ ${fmt(projected, " MB")} if all ${fmt(count)} ran together (linear estimate)`
          : `${fmt(peak, " MB")} with ${fmt(running)} running; ≈ ${fmt(projected, " MB")} for ${fmt(count)} (linear estimate)`,
      baseline: `before the pass: ${fmt(idle, " MB")}`,
      budget: "≤ 800 MB",
      verdict: allAtOnce || allAccepted ? verdict(peak <= 800) : "not reached",
    });
  }

  if (results.bytes && !failed("3 Bytes", "bytes")) {
    const generations = (get(results.bytes, "generations") as Json[] | undefined) ?? [];
    for (const generation of generations) {
      const ratio = num(get(generation, "ratio"));
      out.push({
        scenario: "3 Bytes to browser",
        figure: `per result image, ${String(get(generation, "label"))} (${fmt(get(results.bytes, "sessionsInSidebar"))} sessions listed)`,
        result: `${fmt(ratio, "x", 3)} (${fmt(num(get(generation, "totalBytes")) / 1024, " KB")})`,
        baseline: `image file ${fmt(num(get(generation, "imageFileBytes")) / 1024, " KB")}`,
        budget: "≤ 1.05x",
        verdict: verdict(ratio <= 1.05),
      });
    }
  }

  if (results["page-weight"] && !failed("4 Page weight", "page-weight")) {
    const p = results["page-weight"];
    const js = num(get(p, "firstLoadJsGzipKB"));
    out.push({
      scenario: "4 Page weight",
      figure: `first-load JS of / (${fmt(get(p, "scriptCount"))} scripts, gzip -9)`,
      result: fmt(js, " KB", 1),
      baseline: `as served: ${fmt(get(p, "firstLoadJsTransferredKB"), " KB", 1)}`,
      budget: "≤ 250 KB",
      verdict: verdict(js <= 250),
    });
    out.push({
      scenario: "4 Page weight",
      figure: "composer usable after navigation start (median of 5, cold cache)",
      result: fmt(get(p, "composerUsableMs"), " ms"),
      baseline: `TTFB ${fmt(get(p, "medians", "ttfbMs"), " ms")}, DOMContentLoaded ${fmt(get(p, "medians", "domContentLoadedMs"), " ms")}`,
      budget: "—",
      verdict: "—",
    });
  }

  if (results["reference-prep"] && !failed("5 Reference prep", "reference-prep")) {
    const r = results["reference-prep"];
    out.push({
      scenario: "5 Reference prep",
      figure: `${fmt(get(r, "photos"))} photos ${String(get(r, "photoSize"))}, picked to all uploaded`,
      result: `${fmt(num(get(r, "wallMs")) / 1000, " s", 1)}; sent ${fmt(get(r, "sentMB"), " MB", 1)} (${fmt(get(r, "sentRatio"), "x", 2)})`,
      baseline: `originals ${fmt(get(r, "originalMB"), " MB", 1)}; ${fmt(get(r, "ready"))} ready`,
      budget: "—",
      verdict: "—",
    });
  }

  if (results["thought-latency"] && !failed("6 Thought latency", "thought-latency")) {
    const t = results["thought-latency"];
    const p95 = num(get(t, "totalMs", "p95"));
    out.push({
      scenario: "6 Thought latency",
      figure: `thought image sent → visible (n=${fmt(get(t, "samples"))})`,
      result: `p50 ${fmt(get(t, "totalMs", "p50"), " ms")}, p95 ${fmt(p95, " ms")}, max ${fmt(get(t, "totalMs", "max"), " ms")}`,
      baseline: `emulator → SSE event p50 ${fmt(get(t, "breakdown", "emulatorToSseEventMs", "p50"), " ms")}`,
      budget: "≤ 250 ms (p95)",
      verdict: verdict(p95 <= 250),
    });
  }

  if (results.history && !failed("7 Scale of history", "history")) {
    const h = results.history;
    const open = num(get(h, "openMs"));
    out.push({
      scenario: "7 Scale of history",
      figure: `open a ${fmt(get(h, "seeded", "turns"))}-turn session (${fmt(get(h, "seeded", "images"))} images in the data dir)`,
      result: `${fmt(open, " ms")} (${fmt(get(h, "timelineItemsInDom"))} timeline items in the DOM)`,
      baseline: `server wait ${fmt(get(h, "serverWaitMs"), " ms")}, HTML ${fmt(get(h, "documentKB"), " KB")}`,
      budget: "≤ 1000 ms",
      verdict: verdict(open <= 1000),
    });
    const longTasks = num(get(h, "scroll", "longTasks"));
    out.push({
      scenario: "7 Scale of history",
      figure: "scroll the timeline top to bottom (mouse wheel)",
      result: `${fmt(longTasks)} long tasks (longest ${fmt(get(h, "scroll", "longestTaskMs"), " ms")}), worst frame ${fmt(get(h, "scroll", "worstFrameMs"), " ms")}`,
      baseline: `${fmt(get(h, "scroll", "imageRequests"))} images fetched (${fmt(get(h, "scroll", "imageMB"), " MB", 1)})`,
      budget: "no long tasks",
      verdict: verdict(longTasks === 0),
    });
  }
  if (results["follow-ups"] && !failed("10 Follow-ups", "follow-ups")) {
    const f = results["follow-ups"];
    for (const depth of ["5", "20"]) {
      const off = get(f, "byDepth", depth, "cacheOff");
      const on = get(f, "byDepth", depth, "cacheOn");
      const interactions = get(f, "byDepth", depth, "interactions");
      if (!off || !on) continue;
      const size = `${fmt(get(f, "requestMB", depth), " MB", 1)} request, n=${fmt(get(f, "rounds"))}`;
      const added = num(get(on, "addedMs", "p50"));
      out.push(
        {
          scenario: "10 Follow-ups",
          figure: `turn ${depth}: action start → request reaches the emulator (${size})`,
          result: `p50 ${fmt(get(on, "reachEmulatorMs", "p50"), " ms")} (95% CI ${fmt(get(on, "reachEmulatorMs", "p50Interval95", "0"))}…${fmt(get(on, "reachEmulatorMs", "p50Interval95", "1"), " ms")})`,
          baseline: `history cache off: p50 ${fmt(get(off, "reachEmulatorMs", "p50"), " ms")}`,
          budget: "—",
          verdict: "—",
        },
        {
          scenario: "10 Follow-ups",
          figure: `turn ${depth}: added over the emulator's own time, to \`done\``,
          result: `p50 ${fmt(added, " ms")} (95% CI ${fmt(get(on, "addedMs", "p50Interval95", "0"))}…${fmt(get(on, "addedMs", "p50Interval95", "1"), " ms")})`,
          baseline: `history cache off: p50 ${fmt(get(off, "addedMs", "p50"), " ms")}; emulator's own p50 ${fmt(get(on, "emulatorMs", "p50"), " ms")}`,
          budget: "p50 ≤ 40 ms",
          verdict: verdict(Number.isFinite(added) ? added <= 40 : null),
        },
      );
      if (interactions) {
        const interactionsAdded = num(get(interactions, "addedMs", "p50"));
        out.push({
          scenario: "10 Follow-ups",
          figure: `turn ${depth}, STUDIO_GEMINI_BACKEND=interactions: added over the emulator's own time (${fmt(get(f, "requestBytes", depth, "interactions", "max"), " B")} request)`,
          result: `p50 ${fmt(interactionsAdded, " ms")} (95% CI ${fmt(get(interactions, "addedMs", "p50Interval95", "0"))}…${fmt(get(interactions, "addedMs", "p50Interval95", "1"), " ms")})`,
          baseline: `reaches the emulator p50 ${fmt(get(interactions, "reachEmulatorMs", "p50"), " ms")}; emulator's own p50 ${fmt(get(interactions, "emulatorMs", "p50"), " ms")}`,
          budget: "p50 ≤ 40 ms",
          verdict: verdict(Number.isFinite(interactionsAdded) ? interactionsAdded <= 40 : null),
        });
      }
    }
  }
  if (results["postgres-scale"] && !failed("8 PostgreSQL scale", "postgres-scale")) {
    const p = results["postgres-scale"];
    const home = num(get(p, "homeList", "p95"));
    out.push({
      scenario: "8 PostgreSQL scale",
      figure: `home page's session list, ${fmt(get(p, "sessions"))} sessions (storage time, n=${fmt(get(p, "homeList", "n"))})`,
      result: `p50 ${fmt(get(p, "homeList", "p50"), " ms")}, p95 ${fmt(home, " ms")}`,
      baseline: `page at offset 9,000: p50 ${fmt(get(p, "homeListDeepPage", "p50"), " ms")}`,
      budget: "≤ 100 ms",
      verdict: verdict(home <= 100),
    });
    const search = Math.max(num(get(p, "searchCommon", "p95")), num(get(p, "searchRare", "p95")), num(get(p, "searchShort", "p95")));
    out.push({
      scenario: "8 PostgreSQL scale",
      figure: "sidebar search (storage time; worst p95 of a common word, a rare phrase, two letters)",
      result: `p95 ${fmt(search, " ms")}`,
      baseline: `common (${fmt(get(p, "searchCommon", "matches"))} matches) p50 ${fmt(get(p, "searchCommon", "p50"), " ms")}; rare p50 ${fmt(get(p, "searchRare", "p50"), " ms")}`,
      budget: "≤ 100 ms",
      verdict: verdict(search <= 100),
    });
  }
  if (results["upload-storm"] && !failed("9 Upload storm", "upload-storm")) {
    const u = results["upload-storm"];
    const peak = num(get(u, "rss", "peakMB"));
    const ratio = num(get(u, "rss", "afterRatio"));
    const healthP95 = num(get(u, "healthMs", "p95"));
    const healthFailures = num(get(u, "healthFailures"));
    out.push(
      {
        scenario: "9 Upload storm",
        figure: `${fmt(get(u, "uploads"))} uploads of ${fmt(get(u, "photoMB"), " MB", 1)} at once: peak server RSS`,
        result: `${fmt(peak, " MB")}; after ${fmt(get(u, "rss", "afterMB"), " MB")} (${fmt(ratio, "x", 2)} of start)`,
        baseline: `start ${fmt(get(u, "rss", "startMB"), " MB")}; ${fmt(get(u, "statuses", "201") ?? 0)} of ${fmt(get(u, "uploads"))} stored in ${fmt(get(u, "wallSeconds"), " s", 1)}`,
        budget: "≤ 1024 MB; back within 1.2x",
        verdict: verdict(peak <= 1024 && ratio <= 1.2),
      },
      {
        scenario: "9 Upload storm",
        figure: "/api/health during the storm (every 100 ms)",
        result: `p50 ${fmt(get(u, "healthMs", "p50"), " ms")}, p95 ${fmt(healthP95, " ms")}, max ${fmt(get(u, "healthMs", "max"), " ms")}; ${fmt(healthFailures)} failed`,
        baseline: `before the storm: p95 ${fmt(get(u, "healthBeforeMs", "p95"), " ms")}; image GET p95 ${fmt(get(u, "imageGetMs", "p95"), " ms")}`,
        budget: "≤ 200 ms (p95)",
        verdict: verdict(healthP95 <= 200 && healthFailures === 0),
      },
    );
  }
  if (results["scale-out"] && !failed("11 Scale-out", "scale-out")) {
    const s = results["scale-out"];
    const skipped = get(s, "skipped");
    if (typeof skipped === "string") {
      out.push({ scenario: "11 Scale-out", figure: "two studios on PostgreSQL + S3", result: `skipped: ${skipped}`, baseline: "", budget: "", verdict: "—" });
    } else {
      const c = get(s, "concurrency");
      const count = num(get(c, "count"));
      const succeeded = num(get(c, "scaleOut", "succeeded"));
      const ratio = num(get(c, "scaleOut", "ratioToDirect"));
      out.push({
        scenario: "11 Scale-out",
        figure: `${fmt(count)} started at once over two studios on PostgreSQL + S3, 2K, ${fmt(num(get(c, "latencyMsPerChunk")) / 1000, " s")} before each chunk`,
        result: `${fmt(succeeded)}/${fmt(count)} succeeded; wall ${fmt(num(get(c, "scaleOut", "wallMs")) / 1000, " s", 1)} = ${fmt(ratio, "x", 2)}`,
        baseline: `same 32 straight to the emulator: ${fmt(num(get(c, "baseline", "directConcurrentWallMs")) / 1000, " s", 1)}; one studio on SQLite: ${fmt(num(get(c, "sqlite", "wallMs")) / 1000, " s", 1)} = ${fmt(get(c, "sqlite", "ratioToDirect"), "x", 2)}`,
        budget: "all succeed, ≤ 1.25x",
        verdict: verdict(succeeded === count && ratio <= 1.25),
      });
      const limit = 25;
      for (const [size, entry] of Object.entries((get(s, "sequential") as Json | undefined) ?? {})) {
        const low = num(get(entry, "differenceMs", "p50Interval95", "0"));
        const high = num(get(entry, "differenceMs", "p50Interval95", "1"));
        out.push({
          scenario: "11 Scale-out",
          figure: `added per generation over the SQLite setup, ${size} (n=${fmt(get(entry, "runs"))} pairs, one at a time)`,
          result: `p50 ${fmt(get(entry, "differenceMs", "p50"), " ms")} (95% CI ${fmt(low)}…${fmt(high, " ms")}), p95 ${fmt(get(entry, "differenceMs", "p95"), " ms")}`,
          baseline: `added over the emulator's own time, p50: PostgreSQL + S3 ${fmt(get(entry, "postgres", "addedMs", "p50"), " ms")}, SQLite ${fmt(get(entry, "sqlite", "addedMs", "p50"), " ms")}`,
          budget: `p50 ≤ ${limit} ms`,
          // As for scenario 1: decided only when the whole 95% interval of the p50 is on one side.
          verdict: high <= limit ? "holds" : low > limit ? "MISSED" : "inconclusive",
        });
      }
    }
  }
  return out;
}

function markdown(report: Report): string {
  const { machine } = report;
  const lines = [
    `Run ${report.startedAt.toISOString()} (${Math.round((report.finishedAt.getTime() - report.startedAt.getTime()) / 1000)} s${report.quick ? ", --quick: fewer runs" : ""}) on ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ${machine.os}; Node ${machine.node}, Chromium ${machine.chromium}, Next ${machine.next}; commit ${machine.gitCommit ?? "?"}${machine.gitDirty ? " + uncommitted changes" : ""}; load average at start ${machine.loadAverageAtStart.join(" / ")}.`,
    "",
    "| Scenario | Figure | Result | Baseline (same run) | Budget | Verdict |",
    "|---|---|---|---|---|---|",
    ...rows(report.results).map((row) => `| ${[row.scenario, row.figure, row.result, row.baseline, row.budget, ["MISSED", "not reached", "inconclusive"].includes(row.verdict) ? `**${row.verdict}**` : row.verdict].map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`),
  ];
  return `${lines.join("\n")}\n`;
}

const README_START = "<!-- bench:results:start -->";
const README_END = "<!-- bench:results:end -->";

export function writeReport(report: Report): string[] {
  const dir = path.join(report.root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "latest.json");
  const md = path.join(dir, "latest.md");
  const { root: _root, updateReadme: _updateReadme, ...data } = report;
  writeFileSync(json, `${JSON.stringify({ ...data, table: rows(report.results) }, null, 2)}\n`);
  const table = markdown(report);
  writeFileSync(md, `# Benchmark results\n\n${table}\nDetails: latest.json. How each figure is measured: ../README.md.\n`);
  const written = [json, md];
  // Both READMEs carry the latest full run's table between the markers.
  for (const readme of [path.join(report.root, "bench", "README.md"), path.join(report.root, "README.md")]) {
    if (!report.updateReadme || !existsSync(readme)) continue;
    const text = readFileSync(readme, "utf8");
    const start = text.indexOf(README_START);
    const end = text.indexOf(README_END);
    if (start !== -1 && end > start) {
      writeFileSync(readme, `${text.slice(0, start + README_START.length)}\n${table}${text.slice(end)}`);
      written.push(readme);
    }
  }
  return written;
}
