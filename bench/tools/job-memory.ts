/**
 * Where a generation's memory goes: runs N generations at once in this process, against the
 * emulator in a process of its own (realistic payloads), and samples process.memoryUsage() every
 * 20 ms. Diagnostics, not a scenario.
 *
 *   node --conditions=react-server --expose-gc --import tsx bench/tools/job-memory.ts [jobs|gateway] [count] [rounds]
 *
 * `gateway` calls the gateway only; `jobs` (default) goes through the job runner and sqlite storage
 * as the studio does. Env: JOB_MEMORY_LATENCY_MS (default 2000, before each chunk), JOB_MEMORY_GC_AT
 * (jobs mode), JOB_MEMORY_SNAPSHOT (a file: a heap snapshot right after that collection).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { createGeminiGateway } from "../../lib/gemini/client";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import { createJobRunner } from "../../lib/server/jobs/runner";
import { isTerminalJobEvent, type JobEvent } from "../../lib/studio/job-events";
import { flashSettings } from "../lib/settings";

const MB = 1024 * 1024;
const mode = process.argv[2] ?? "jobs";
const count = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 1);
const port = 8791 + Math.floor(Math.random() * 100);
const latencyMs = process.env.JOB_MEMORY_LATENCY_MS ?? "2000";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function usage() {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss: rss / MB, heapUsed: heapUsed / MB, heapTotal: heapTotal / MB, external: external / MB, arrayBuffers: arrayBuffers / MB };
}
type Usage = ReturnType<typeof usage>;
const show = (label: string, value: Usage) =>
  console.log(
    `${label.padEnd(22)} rss ${value.rss.toFixed(0).padStart(5)}  heapUsed ${value.heapUsed.toFixed(0).padStart(5)}  heapTotal ${value.heapTotal.toFixed(0).padStart(5)}  external ${value.external.toFixed(0).padStart(5)}  arrayBuffers ${value.arrayBuffers.toFixed(0).padStart(5)} MB`,
  );

async function main() {
  const emulator = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "..", "emulator", "cli.ts")], {
    env: { ...process.env, EMULATOR_PORT: String(port), EMULATOR_REALISTIC: "1", EMULATOR_LATENCY_MS: latencyMs },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => emulator.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("listening") && resolve()));
  const dataDir = mkdtempSync(path.join(tmpdir(), "job-memory-"));
  const storage = openSqliteStorage({ dataDir });
  const gateway = createGeminiGateway({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}` });
  const runner = createJobRunner({ storage, gateway: () => gateway, maxConcurrentJobs: count });
  const settings = flashSettings("2K", { imageOnly: true, showThoughts: false });

  // Warm up (code paths, emulator caches), then measure from a collected heap.
  await gateway.generate({ history: [], prompt: "warm up", references: [], settings });
  gc();
  const idle = usage();
  const peak: Usage = { ...idle };
  const timer = setInterval(() => {
    const now = usage();
    for (const key of Object.keys(peak) as Array<keyof Usage>) peak[key] = Math.max(peak[key], now[key]);
  }, 20);
  // JOB_MEMORY_GC_AT=<n>: collect once n jobs hold their image and await their closing chunk, and
  // show what is still alive then.
  const gcAt = Number(process.env.JOB_MEMORY_GC_AT ?? 0);
  let holding = 0;
  let collected = false;
  const onJobEvent = (event: JobEvent) => {
    if (event.type === "image") holding += 1;
    else if (isTerminalJobEvent(event)) holding -= 1;
    else return;
    if (gcAt > 0 && holding === gcAt && !collected) {
      collected = true;
      show(`${holding} holding, before gc`, usage());
      gc();
      show(`${holding} holding, alive`, usage());
      if (process.env.JOB_MEMORY_SNAPSHOT) console.log(`heap snapshot: ${writeHeapSnapshot(process.env.JOB_MEMORY_SNAPSHOT)}`);
    }
  };

  for (let round = 1; round <= rounds; round += 1) {
    if (round > 1) {
      gc();
      show(`after round ${round - 1}, gc`, usage());
    }
    if (mode === "gateway") {
      await Promise.all(
        Array.from({ length: count }, (_, index) => gateway.generate({ history: [], prompt: `memory ${index}`, references: [], settings })),
      );
    } else {
      const sessions = await Promise.all(Array.from({ length: count }, (_, index) => storage.sessions.create({ ownerId: "local", title: `s${index}` })));
      const started = await Promise.all(
        sessions.map((session, index) =>
          runner.startTurn({ ownerId: "local", sessionId: session.id, parentId: null, request: { prompt: `memory ${index}`, references: [], settings } }),
        ),
      );
      for (const result of started) {
        if (!result.ok) throw new Error("a start failed");
        runner.subscribe("local", result.data.id, onJobEvent);
      }
      await runner.idle();
    }
  }
  clearInterval(timer);
  const after = usage();
  gc();
  const afterGc = usage();
  show("idle (after gc)", idle);
  show("peak during", peak);
  show("at the end", after);
  show("at the end, after gc", afterGc);
  console.log(`per job (peak rss - idle) / ${count}: ${((peak.rss - idle.rss) / count).toFixed(1)} MB; heapUsed ${((peak.heapUsed - idle.heapUsed) / count).toFixed(1)} MB`);
  emulator.kill();
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
