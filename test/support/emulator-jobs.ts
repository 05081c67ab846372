import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiGatewayOptions, type GeminiGateway } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { createJobRunner, type JobRunner } from "@/lib/server/jobs/runner";
import { openSqliteStorage, type SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import type { StoredReference, Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";

/**
 * The whole job path for real, for the runner's emulator tests: SQLite storage with model turns in
 * files, the real gateway and SDK, and one Gemini emulator per test file with real-sized payloads
 * (~600 KB signatures, JPEGs of a few hundred KB) and signatures enforced. Each test gets a fresh
 * data directory, job runner and emulator state.
 */

export const JOBS_OWNER = "local";

/** Quick retries, so a test of a failure does not wait out the real policy. */
const TEST_RETRY_POLICY = { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, totalBudgetMs: 5_000 };

export interface EmulatorJobs {
  emulator: RunningEmulator;
  storage: SqliteStorage;
  jobs: JobRunner;
  /** Starts a turn and follows it to its last event; the turn as stored then, and every event. */
  run(input: { parentId: string | null; prompt: string; sessionId: string; settings: GenerationSettings; references?: StoredReference[] }): Promise<{ turn: Turn; events: JobEvent[] }>;
}

/**
 * Registers the hooks; call at the top level of a test file. `gateway` makes the gateway(s) of each
 * test from a gateway factory with the emulator's URL, key and retry policy filled in, and answers
 * what the runner calls for each job (a test may switch between several).
 */
export function withEmulatorJobs(options: {
  tmpPrefix: string;
  gateway?: (make: (extra?: Partial<GeminiGatewayOptions>) => GeminiGateway) => () => GeminiGateway;
}): () => EmulatorJobs {
  let emulator: RunningEmulator | undefined;
  let current: EmulatorJobs | undefined;
  let dataDir = "";

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, latencyMs: 5, realisticPayload: true, enforceSignatures: true });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  beforeEach(async () => {
    const running = emulator as RunningEmulator;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), options.tmpPrefix));
    const storage = openSqliteStorage({ dataDir });
    const make = (extra: Partial<GeminiGatewayOptions> = {}) => createGeminiGateway({ apiKey: "test", baseUrl: running.url, retryPolicy: TEST_RETRY_POLICY, ...extra });
    const single = options.gateway ? undefined : make();
    const gateway = options.gateway ? options.gateway(make) : () => single as GeminiGateway;
    const jobs = createJobRunner({ storage, gateway });
    await fetch(`${running.url}/_emulator/reset`, { method: "POST" });
    current = {
      emulator: running,
      storage,
      jobs,
      async run({ parentId, prompt, sessionId, settings, references = [] }) {
        const started = await jobs.startTurn({ ownerId: JOBS_OWNER, sessionId, parentId, request: { prompt, references, settings } });
        if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
        const events: JobEvent[] = [];
        const finished = new Promise<void>((resolve) => {
          void jobs.follow(JOBS_OWNER, started.data.id, (event) => {
            events.push(event);
            if (["done", "failed", "cancelled", "interrupted"].includes(event.type)) resolve();
          });
        });
        await finished;
        const turn = await storage.turns.get(JOBS_OWNER, started.data.id);
        if (!turn) throw new Error("turn vanished");
        return { turn, events };
      },
    };
  });

  afterEach(async () => {
    await current?.jobs.shutdown();
    await current?.storage.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  return () => {
    if (!current) throw new Error("withEmulatorJobs must be called at the top level of the test file.");
    return current;
  };
}
