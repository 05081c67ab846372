import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { withS3 } from "@/test/support/s3";
import { createFileImageStore } from "./image-store";
import { joinInstances } from "./postgres/instance-lock";
import { openPostgresStorage } from "./postgres/postgres-storage";
import type { Storage, TurnRequest } from "./types";

// getStorage() with DATABASE_URL: PostgreSQL, plus S3 when a bucket is named. Each case imports
// the module afresh with its own environment, as index.test.ts does for SQLite.

const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage> };
const VARIABLES = ["STUDIO_DATA_DIR", "DATABASE_URL", "STUDIO_S3_BUCKET", "STUDIO_S3_ENDPOINT", "STUDIO_S3_REGION", "STUDIO_S3_ACCESS_KEY_ID", "STUDIO_S3_SECRET_ACCESS_KEY", "STUDIO_S3_FORCE_PATH_STYLE"];
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

const request: TurnRequest = {
  prompt: "A banana",
  references: [],
  settings: { model: "m", imageSize: "1K", aspectRatio: "1:1", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false },
};

describe.skipIf(skipPostgres)("getStorage on PostgreSQL", () => {
  const cluster = withPostgres();
  const s3 = withS3();
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-team-storage-"));
  });

  afterEach(async () => {
    const holder = globalThis as StorageGlobal;
    await (await holder[STORAGE_KEY]?.catch(() => undefined))?.close();
    delete holder[STORAGE_KEY];
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function importFresh(env: Record<string, string>) {
    for (const name of VARIABLES) delete process.env[name];
    Object.assign(process.env, { STUDIO_DATA_DIR: dataDir, ...env });
    vi.resetModules();
    return import("./index");
  }

  /** A turn left running by "the previous run", in its own connection. */
  async function leftRunning(url: string) {
    const previous = await openPostgresStorage({ connectionString: url, images: createFileImageStore(dataDir) });
    const session = await previous.sessions.create({ ownerId: "local", title: "x" });
    const turn = await previous.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request });
    await previous.turns.update("local", turn.id, { status: "running" });
    await previous.close();
    return turn;
  }

  it("opens PostgreSQL with images in the bucket, and recovers the last run's turns when it is the only instance", async () => {
    const url = await cluster().createDatabase();
    const turn = await leftRunning(url);
    const bucket = await s3().createBucket();
    const { getStorage } = await importFresh({
      DATABASE_URL: url,
      STUDIO_S3_BUCKET: bucket,
      STUDIO_S3_ENDPOINT: s3().endpoint,
      STUDIO_S3_ACCESS_KEY_ID: s3().accessKeyId,
      STUDIO_S3_SECRET_ACCESS_KEY: s3().secretAccessKey,
      STUDIO_S3_FORCE_PATH_STYLE: "1",
    });
    const storage = await getStorage();
    expect(await storage.turns.get("local", turn.id)).toMatchObject({ status: "interrupted", error: { retryable: true } });
    expect(storage.images).toMatchObject({ bucket });
    await expect(fs.access(path.join(dataDir, "studio.db"))).rejects.toThrow();
  });

  it("recovering alone, leaves the turns the shared job queue holds to it: queued jobs still run, a dead instance's are reaped", async () => {
    const url = await cluster().createDatabase();
    const unqueued = await leftRunning(url);
    const previous = await openPostgresStorage({ connectionString: url, images: createFileImageStore(dataDir) });
    const session = await previous.sessions.create({ ownerId: "local", title: "Queue" });
    const withJob = async (state: "queued" | "running") =>
      previous.createTurnWith({ ownerId: "local", sessionId: session.id, parentId: null, request }, async (trx, turn) => {
        await sql`INSERT INTO studio_jobs (turn_id, owner_id, state, instance_id, sent) VALUES (${turn.id}, 'local', ${state}, ${state === "running" ? 4242 : null}, ${state === "running"})`.execute(trx);
      });
    const queued = await withJob("queued");
    const running = await withJob("running");
    await previous.turns.update("local", running.id, { status: "running" });
    await previous.close();

    const { getStorage } = await importFresh({ DATABASE_URL: url });
    const storage = await getStorage();
    expect((await storage.turns.get("local", unqueued.id))?.status).toBe("interrupted");
    expect((await storage.turns.get("local", queued.id))?.status).toBe("queued");
    expect((await storage.turns.get("local", running.id))?.status).toBe("running");
  });

  it("leaves running turns alone while another instance is alive, and keeps images in the data directory without a bucket", async () => {
    const url = await cluster().createDatabase();
    const turn = await leftRunning(url);
    const other = await joinInstances(url, async () => undefined);
    try {
      const { getStorage } = await importFresh({ DATABASE_URL: url });
      const storage = await getStorage();
      expect((await storage.turns.get("local", turn.id))?.status).toBe("running");
      const image = await storage.images.put(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]));
      await expect(fs.access(path.join(dataDir, "objects", image.hash.slice(0, 2), image.hash))).resolves.toBeUndefined();
    } finally {
      await other.release();
    }
  });

  it("rejects with a clear error when PostgreSQL can't be reached, and tries again on the next call", async () => {
    const first = await importFresh({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/studio" });
    await expect(first.getStorage()).rejects.toMatchObject({ name: "StorageError", code: "storage_failed", message: expect.stringContaining("can't be reached") });
    expect((globalThis as StorageGlobal)[STORAGE_KEY]).toBeUndefined();
  });
});
