import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";
import { E2E_AUTH_ENV } from "./auth";
import { E2E, PORT_OFFSET } from "./ports";

/**
 * An extra studio process for one spec: the same build as the main e2e studio, its own port,
 * environment and data directory, so a spec can give it a bad key, a tiny deadline, a broken data
 * directory, or kill it like a crash, without touching the shared studio.
 *
 * It runs `next start` directly rather than `scripts/serve.ts`: the launcher rebuilds when sources
 * changed, and a rebuild in the middle of a run would swap `.next` under the running servers (other
 * people edit this repository while the suite runs). The build the webServer made is the one tested.
 */

/** Fixed ports, one per use, so specs never collide. The main studio is 3100, offline preview 3101. */
export const STUDIO_PORTS = {
  restart: 3102 + PORT_OFFSET,
  invalidKey: 3103 + PORT_OFFSET,
  faultProxy: 3104 + PORT_OFFSET,
  deadline: 3105 + PORT_OFFSET,
  disk: 3106 + PORT_OFFSET,
  brokenDataDir: 3107 + PORT_OFFSET,
  keyCanary: 3108 + PORT_OFFSET,
  rateLimit: 3109 + PORT_OFFSET,
  queue: 3110 + PORT_OFFSET,
  longSession: 3111 + PORT_OFFSET,
  auth: 3112 + PORT_OFFSET,
  authSso: 3113 + PORT_OFFSET,
  lockFirst: 3114 + PORT_OFFSET,
  lockSecond: 3115 + PORT_OFFSET,
  hostileUpstream: 3116 + PORT_OFFSET,
  scaleA: 3117 + PORT_OFFSET,
  scaleB: 3118 + PORT_OFFSET,
  longSessionSize: 3119 + PORT_OFFSET,
  batch: 3120 + PORT_OFFSET,
} as const;

export interface StudioProcessOptions {
  port: number;
  /** Relative to the repository root; emptied before start unless `keepData`. */
  dataDir: string;
  /** Added to (and overriding) the defaults: the e2e key, the shared emulator, this port and data dir. */
  env?: Record<string, string>;
  keepData?: boolean;
}

export interface StudioProcess {
  readonly port: number;
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Until GET /api/health answers 200. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Until the server answers at all (for a studio that is meant to be unhealthy). */
  waitUntilServing(timeoutMs?: number): Promise<void>;
  /** SIGKILL to the whole process group, like a power cut. */
  crash(): void;
  /** Until the process has exited (after crash(), or on its own). */
  exited(): Promise<void>;
  /** True until the process exits. */
  alive(): boolean;
  /** SIGTERM, then waits for the exit (graceful shutdown marks running turns interrupted). */
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, "..", "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const MAX_OUTPUT_CHARS = 5_000_000;

export function startStudio(options: StudioProcessOptions): StudioProcess {
  const baseUrl = `http://127.0.0.1:${options.port}`;
  if (!options.keepData) rmSync(path.resolve(root, options.dataDir), { recursive: true, force: true });
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(options.port)], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(options.port),
      GEMINI_API_KEY: E2E.apiKey,
      GEMINI_BASE_URL: E2E.emulatorUrl,
      STUDIO_DATA_DIR: options.dataDir,
      ...E2E_AUTH_ENV,
      ...options.env,
    },
    // Its own process group, so everything under it dies together.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_OUTPUT_CHARS) output += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  function healthStatus(timeoutMs: number) {
    return expect.poll(
      async () => {
        if (child.exitCode !== null) throw new Error(`The studio on port ${options.port} exited (code ${child.exitCode}):\n${output.slice(-4000)}`);
        return (await fetch(`${baseUrl}/api/health`).catch(() => null))?.status ?? 0;
      },
      { timeout: timeoutMs, intervals: [250] },
    );
  }

  const kill = (signal: NodeJS.Signals) => {
    if (!child.pid || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };

  return {
    port: options.port,
    baseUrl,
    dataDir: options.dataDir,
    child,
    output: () => output,
    waitUntilHealthy: (timeoutMs = 120_000) => healthStatus(timeoutMs).toBe(200),
    waitUntilServing: (timeoutMs = 120_000) => healthStatus(timeoutMs).toBeGreaterThan(0),
    crash: () => kill("SIGKILL"),
    exited: () => exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
