/**
 * `npm run bench`: starts the built studio (scripts/serve.ts builds it when needed) and the Gemini
 * emulator on loopback, runs the scenarios, and writes bench/results/latest.json, latest.md and
 * the table in bench/README.md. Every figure is measured in the same run as its baseline.
 *
 *   npm run bench                       all scenarios
 *   npm run bench -- --only=overhead    a subset: overhead, concurrency, bytes, page-weight,
 *                                       reference-prep, thought-latency, history, postgres-scale,
 *                                       upload-storm, follow-ups, scale-out
 *   npm run bench -- --quick            fewer runs, to try the harness (not for the README)
 *   npm run bench -- --profile          also write a CPU profile of the server to .bench-data/profiles
 *   --overhead-sizes=1K  --runs=20      diagnostics: fewer sizes or runs for scenario 1
 *
 * Ports: BENCH_APP_PORT (3200) and BENCH_EMULATOR_PORT (8890). Data: .bench-data/ (wiped per run,
 * except .bench-data/cache with generated inputs).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { createAppClient, discoverActionIds } from "./lib/app-client";
import { startApp } from "./lib/app-host";
import { launchBrowser } from "./lib/browser";
import type { BenchContext } from "./lib/context";
import { startEmulatorHost } from "./lib/emulator-host";
import { describeMachine } from "./lib/machine";
import { writeReport, type ScenarioResults } from "./lib/report";
import type { SeedResult } from "./lib/seed-history";
import { runBytesToBrowser } from "./scenarios/bytes-to-browser";
import { runConcurrency } from "./scenarios/concurrency";
import { runFollowUps } from "./scenarios/follow-ups";
import { runHistoryScale } from "./scenarios/history-scale";
import { runOverhead } from "./scenarios/overhead";
import { runPageWeight } from "./scenarios/page-weight";
import { runPostgresScale } from "./scenarios/postgres-scale";
import { runReferencePrep } from "./scenarios/reference-prep";
import { runScaleOut } from "./scenarios/scale-out";
import { runThoughtLatency } from "./scenarios/thought-latency";
import { runUploadStorm } from "./scenarios/upload-storm";

const root = path.resolve(__dirname, "..");
const SCENARIOS = [
  "overhead",
  "concurrency",
  "bytes",
  "page-weight",
  "reference-prep",
  "thought-latency",
  "history",
  "postgres-scale",
  "upload-storm",
  "follow-ups",
  "scale-out",
] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function parseArgs(argv: string[]) {
  const only = argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
  const selected = only ? (only.split(",").map((name) => name.trim()) as ScenarioName[]) : [...SCENARIOS];
  const unknown = selected.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length > 0) throw new Error(`Unknown scenario(s): ${unknown.join(", ")}. Known: ${SCENARIOS.join(", ")}.`);
  const sizes = (argv.find((arg) => arg.startsWith("--overhead-sizes="))?.slice("--overhead-sizes=".length) ?? "1K,4K").split(",") as Array<"1K" | "4K">;
  const runs = Number(argv.find((arg) => arg.startsWith("--runs="))?.slice("--runs=".length) ?? 0) || null;
  return { selected, quick: argv.includes("--quick"), profile: argv.includes("--profile"), sizes, runs };
}

function seedHistory(dataDir: string): SeedResult {
  // lib/storage is server-only: it loads under the react-server condition, as inside Next.
  const output = execFileSync(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(__dirname, "lib", "seed-history.ts"), dataDir], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as SeedResult;
}

/** `next start` writes its profile to <root>/.next-profiles whatever NEXT_CPU_PROF_DIR says; move it here. */
function collectProfiles(benchRoot: string, log: (message: string) => void): void {
  const from = path.join(root, ".next-profiles");
  if (!existsSync(from)) return;
  const to = path.join(benchRoot, "profiles");
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith(".cpuprofile"))) {
    renameSync(path.join(from, file), path.join(to, file));
    log(`CPU profile: ${path.relative(root, path.join(to, file))}`);
  }
  if (readdirSync(from).every((name) => name === ".gitignore")) rmSync(from, { recursive: true, force: true });
}

/** The storage calls of one generation timed on their own (bench/lib/storage-costs.ts), for attribution. */
function measureStorageCosts(workDir: string): unknown {
  const output = execFileSync(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(__dirname, "lib", "storage-costs.ts"), path.join(workDir, "storage-costs")], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").at(-1) ?? "{}");
}

async function main(): Promise<void> {
  const { selected, quick, profile, sizes, runs: runsOverride } = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const log = (message: string) => console.log(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  const benchRoot = path.join(root, ".bench-data");
  const dataDir = path.join(benchRoot, "studio");
  const workDir = path.join(benchRoot, "work");
  const cacheDir = path.join(benchRoot, "cache");
  // Everything but the cache of generated inputs (the 12 MP photos take a while to make).
  for (const entry of ["studio", "work", "profiles", "app.log"]) rmSync(path.join(benchRoot, entry), { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });

  let seeded: SeedResult = { sessionId: "", turns: 0, images: 0, bytes: 0, seconds: 0 };
  if (selected.includes("history")) {
    log("seeding a 500-turn session and 5,000 images through lib/storage…");
    seeded = seedHistory(dataDir);
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);
  }

  const emulatorPort = Number(process.env.BENCH_EMULATOR_PORT ?? 8890);
  const appPort = Number(process.env.BENCH_APP_PORT ?? 3200);
  const emulator = await startEmulatorHost({ port: emulatorPort });
  log(`emulator on ${emulator.url}; starting the studio (builds first if the sources changed)…`);
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  const results: ScenarioResults = {};
  try {
    app = await startApp({ port: appPort, emulatorUrl: emulator.url, dataDir, logFile: path.join(benchRoot, "app.log"),
      ...(profile ? { profileDir: path.join(benchRoot, "profiles") } : {}),
    });
    log(`studio on ${app.url} after ${app.startSeconds.toFixed(1)} s${app.built ? " (built)" : ""}`);
    browser = await launchBrowser();
    const machine = describeMachine(browser.version());

    // One real generation in the browser: warms the server and yields the server action ids.
    await emulator.configure({ latencyMs: 0, realisticPayload: true });
    const discovered = await discoverActionIds(browser, app.url, "bench warm-up: a banana on a desk");
    const client = createAppClient(app.url, discovered.ids);
    const context: BenchContext = { app, client, actionIds: discovered.ids, emulator, browser, dataDir, workDir, cacheDir, seeded, quick, log };

    const runs = runsOverride ?? (quick ? 8 : 50);
    const scenarios: Record<ScenarioName, () => Promise<unknown>> = {
      overhead: async () => {
        const results: Record<string, unknown> = {};
        for (const size of sizes) results[size] = await runOverhead(context, size, runs, size === "1K" ? (quick ? 2 : 5) : quick ? 1 : 3);
        results.storageCosts = measureStorageCosts(workDir);
        return results;
      },
      concurrency: () => runConcurrency(context),
      bytes: () => runBytesToBrowser(context),
      "page-weight": () => runPageWeight(context),
      "reference-prep": () => runReferencePrep(context),
      "thought-latency": () => runThoughtLatency(context),
      history: () => runHistoryScale(context),
      "postgres-scale": () => runPostgresScale(context),
      "upload-storm": () => runUploadStorm(context),
      "follow-ups": () => runFollowUps(context),
      "scale-out": () => runScaleOut(context),
    };
    for (const name of selected) {
      log(`scenario ${name}…`);
      const began = Date.now();
      try {
        results[name] = await scenarios[name]();
      } catch (error) {
        console.error(error);
        results[name] = { error: error instanceof Error ? error.message : String(error) };
      }
      log(`scenario ${name} took ${((Date.now() - began) / 1000).toFixed(0)} s`);
    }

    const finishedAt = new Date();
    const files = writeReport({
      root,
      machine,
      startedAt,
      finishedAt,
      quick,
      selected: [...selected],
      app: { startSeconds: app.startSeconds, built: app.built },
      results,
      updateReadme: !quick && selected.length === SCENARIOS.length,
    });
    log(`wrote ${files.map((file) => path.relative(root, file)).join(", ")}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await app?.stop();
    await emulator.close();
    if (profile) collectProfiles(benchRoot, log);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
