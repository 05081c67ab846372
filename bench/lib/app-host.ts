import { spawn, type ChildProcess } from "node:child_process";
import { BENCH_AUTH_ENV } from "./auth";
import { createWriteStream, readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");

export interface AppHost {
  url: string;
  /** The launcher (scripts/serve.ts); the server is its descendants. */
  pid: number;
  /** Seconds spent in scripts/serve.ts before the server answered (includes a build when one was needed). */
  startSeconds: number;
  built: boolean;
  stop(): Promise<void>;
}

/** Whether anything accepts connections on the port (IPv4 or IPv6 loopback; `next start` binds both). */
async function portAnswers(port: number): Promise<boolean> {
  const tryHost = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.setTimeout(1_000);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(false));
    });
  const answers = await Promise.all(["127.0.0.1", "::1"].map(tryHost));
  return answers.some(Boolean);
}

export async function startApp(options: {
  port: number;
  emulatorUrl: string;
  dataDir: string;
  logFile: string;
  profileDir?: string;
  /** Operator settings for this studio only (e.g. STUDIO_HISTORY_CACHE_MB=0), over the bench's environment. */
  env?: Record<string, string>;
  /** Another checkout to serve (its own sources and build), for before/after comparisons; default this one. */
  root?: string;
}): Promise<AppHost> {
  const appRoot = options.root ?? root;
  // A server left from an earlier run would answer the health poll below, and the bench would then
  // measure that process (its memory, its build) while the one it started fails to bind.
  if (await portAnswers(options.port)) {
    throw new Error(`Port ${options.port} is already in use (a studio left from an earlier run?). Stop it, or set BENCH_APP_PORT.`);
  }
  const started = Date.now();
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(appRoot, "scripts", "serve.ts")], {
    cwd: appRoot,
    env: {
      ...process.env,
      PORT: String(options.port),
      GEMINI_API_KEY: "bench-key",
      GEMINI_BASE_URL: options.emulatorUrl,
      STUDIO_DATA_DIR: options.dataDir,
      STUDIO_OFFLINE_PREVIEW: "",
      NEXT_TELEMETRY_DISABLED: "1",
      // Signed in as the seeded admin (bench/lib/auth.ts).
      ...BENCH_AUTH_ENV,
      // The bench is one client making hundreds of generations; the per-client limit (an operator
      // setting, lib/env.ts) would measure the limiter, not the studio.
      STUDIO_RATE_LIMIT_PER_MINUTE: "0",
      // Diagnostics only (--profile): Next's own switch, the server writes a CPU profile when it stops.
      ...(options.profileDir ? { NEXT_CPU_PROF: "1", NEXT_CPU_PROF_DIR: options.profileDir } : {}),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });

  const url = `http://127.0.0.1:${options.port}`;
  // A build on a busy two-core machine takes a few minutes at worst.
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    if (exited) throw new Error(`The studio exited before answering. Its output:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`The studio did not answer within 10 minutes. Its output:\n${output.slice(-4000)}`);
    const healthy = await fetch(`${url}/api/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return {
    url,
    pid: child.pid ?? 0,
    startSeconds: (Date.now() - started) / 1000,
    built: output.includes("building"),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const descendants = processTree(child.pid ?? 0);
        child.once("exit", async () => {
          // next start's own children normally go with it (and may still be writing a profile);
          // whatever of this tree is left after a few seconds is stopped here.
          const alive = () => descendants.filter((pid) => readProc(pid) !== null);
          for (let wait = 0; wait < 50 && alive().length > 0; wait += 1) await new Promise((done) => setTimeout(done, 100));
          for (const pid of alive()) {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // Already gone.
            }
          }
          log.end();
          resolve();
        });
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

interface ProcInfo {
  pid: number;
  ppid: number;
  name: string;
  rssBytes: number;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "m").exec(status)?.[1]?.trim() ?? "";
    const rssKb = Number(/^(\d+)/.exec(field("VmRSS"))?.[1] ?? 0);
    return { pid, ppid: Number(field("PPid")), name: field("Name"), rssBytes: rssKb * 1024 };
  } catch {
    return null;
  }
}

function allProcs(): ProcInfo[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProc(Number(entry)))
    .filter((info): info is ProcInfo => info !== null);
}

/** Every descendant of `rootPid` (not the root itself). */
export function processTree(rootPid: number, procs: ProcInfo[] = allProcs()): number[] {
  const children = new Map<number, number[]>();
  for (const proc of procs) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), proc.pid]);
  const found: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

export interface MemorySample {
  at: number;
  totalBytes: number;
  byProcess: Array<{ pid: number; name: string; rssBytes: number }>;
}

/**
 * Samples the resident memory of the server: every process below the launcher (node running
 * `next start` and the next-server it forks), summed. The launcher itself (tsx + serve.ts) only
 * waits, so it is left out.
 */
export function sampleServerMemory(launcherPid: number): MemorySample {
  const procs = allProcs();
  const tree = new Set(processTree(launcherPid, procs));
  const byProcess = procs.filter((proc) => tree.has(proc.pid)).map(({ pid, name, rssBytes }) => ({ pid, name, rssBytes }));
  return { at: Date.now(), totalBytes: byProcess.reduce((sum, proc) => sum + proc.rssBytes, 0), byProcess };
}

/** Samples every `intervalMs` until stopped; returns the peak and the idle value at the start. */
export function watchServerMemory(launcherPid: number, intervalMs = 100) {
  const first = sampleServerMemory(launcherPid);
  let peak = first;
  const timer = setInterval(() => {
    const sample = sampleServerMemory(launcherPid);
    if (sample.totalBytes > peak.totalBytes) peak = sample;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = sampleServerMemory(launcherPid);
      if (last.totalBytes > peak.totalBytes) peak = last;
      return { startBytes: first.totalBytes, peak };
    },
  };
}
