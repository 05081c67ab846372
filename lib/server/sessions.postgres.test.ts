import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import type { GenerationSettings } from "@/lib/gemini/types";
import { createFileImageStore } from "@/lib/storage/image-store";
import { openPostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import type { Storage } from "@/lib/storage/types";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { openSharedJobQueue } from "./jobs/shared-queue";

// The app's own wiring with DATABASE_URL: getJobRunner() opens the shared queue, a start from the
// server-side sessions API goes through it and runs against the Gemini emulator, and /api/health
// reports the queue. Modules are imported afresh with this environment (as index.postgres.test.ts does).

const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
const RUNNER_KEY = Symbol.for("nano-banana-studio.job-runner");
type AppGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage>; [RUNNER_KEY]?: unknown };
const VARIABLES = ["STUDIO_DATA_DIR", "DATABASE_URL", "GEMINI_API_KEY", "GEMINI_BASE_URL", "STUDIO_MIN_FREE_DISK_MB"];
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
const settings: GenerationSettings = { model: "gemini-3.1-flash-image", imageSize: "1K", aspectRatio: "1:1", thinkingLevel: "high", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false };

describe.skipIf(skipPostgres)("the studio on PostgreSQL runs its jobs through the shared queue", () => {
  const cluster = withPostgres();
  let emulator: RunningEmulator;
  let dataDir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, latencyMs: 0 });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-sessions-pg-"));
  });

  afterEach(async () => {
    const holder = globalThis as AppGlobal;
    const { shutdownJobs } = await import("./sessions");
    await shutdownJobs();
    await (await holder[STORAGE_KEY]?.catch(() => undefined))?.close();
    delete holder[STORAGE_KEY];
    delete holder[RUNNER_KEY];
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  afterAll(async () => {
    await emulator.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("starts a turn through the shared queue, runs it, and reports the queue as ready", async () => {
    const url = await cluster().createDatabase();
    Object.assign(process.env, { STUDIO_DATA_DIR: dataDir, DATABASE_URL: url, GEMINI_API_KEY: "test", GEMINI_BASE_URL: emulator.url, STUDIO_MIN_FREE_DISK_MB: "1" });
    vi.resetModules();
    const sessions = await import("./sessions");
    const { getStorage } = await import("@/lib/storage");
    const { GET } = await import("@/app/api/health/route");

    const session = await sessions.createSession("local", { title: "Team" });
    if (!session.ok) throw new Error(session.error.message);
    const started = await sessions.startTurn("local", {
      sessionId: session.data.id,
      parentId: null,
      prompt: "A banana on a desk",
      references: [],
      settings,
    });
    if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
    // Committed with its job; a slot was free and nobody waited, so this instance took it in the
    // start's own transaction and recorded it running there.
    expect(started.data.status).toBe("running");
    const storage = await getStorage();
    await expect.poll(async () => (await storage.turns.get("local", started.data.id))?.status, { timeout: 15_000 }).toBe("succeeded");

    const health = await GET();
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", checks: { database: "ok", "job queue": "ok" } });
  }, 60_000);

  it("takes up the jobs waiting in the shared queue as the server starts, before any request", async () => {
    const url = await cluster().createDatabase();
    Object.assign(process.env, { STUDIO_DATA_DIR: dataDir, DATABASE_URL: url, GEMINI_API_KEY: "test", GEMINI_BASE_URL: emulator.url, STUDIO_MIN_FREE_DISK_MB: "1" });
    // Another instance queued a job and went away before running it.
    const other = await openPostgresStorage({ connectionString: url, images: createFileImageStore(dataDir) });
    try {
      const otherQueue = await openSharedJobQueue({ storage: other, connectionString: url, maxConcurrentJobs: 4 });
      const session = await other.sessions.create({ ownerId: "local", title: "Left waiting" });
      const queued = await otherQueue.enqueue({ ownerId: "local", sessionId: session.id, parentId: null, request: { prompt: "A banana that waited", references: [], settings } }, { maxQueued: 10 });
      if (queued === "busy") throw new Error("The queue refused the job as busy.");
      await otherQueue.close();

      vi.resetModules();
      vi.stubEnv("NEXT_RUNTIME", "nodejs");
      try {
        await (await import("@/instrumentation")).register();
      } finally {
        vi.unstubAllEnvs();
      }
      // Nothing else is called: the server's start alone runs it.
      await expect.poll(async () => (await other.turns.get("local", queued.turn.id))?.status, { timeout: 15_000 }).toBe("succeeded");
    } finally {
      await other.close();
    }
  }, 60_000);
});
