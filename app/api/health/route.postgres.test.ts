import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { skipPostgres, startPostgres, type PostgresCluster } from "@/test/support/postgres";
import { startS3, type S3Server } from "@/test/support/s3";

// Readiness with DATABASE_URL and a bucket: each server is asked on every probe, so a database or
// bucket that goes down after the studio started fails readiness, naming which.

const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<{ close(): Promise<void> }> };

describe.skipIf(skipPostgres)("GET /api/health on PostgreSQL and S3", () => {
  let cluster: PostgresCluster;
  let s3: S3Server;
  let dataDir: string;
  let GET: () => Promise<Response>;

  beforeAll(async () => {
    [cluster, s3] = await Promise.all([startPostgres(), startS3()]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-health-pg-"));
    Object.assign(process.env, {
      STUDIO_DATA_DIR: dataDir,
      DATABASE_URL: await cluster.createDatabase(),
      STUDIO_S3_BUCKET: await s3.createBucket(),
      STUDIO_S3_ENDPOINT: s3.endpoint,
      STUDIO_S3_ACCESS_KEY_ID: s3.accessKeyId,
      STUDIO_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      STUDIO_S3_FORCE_PATH_STYLE: "1",
      STUDIO_MIN_FREE_DISK_MB: "0",
    });
    vi.resetModules();
    ({ GET } = await import("./route"));
  }, 120_000);

  afterAll(async () => {
    const holder = globalThis as StorageGlobal;
    await (await holder[STORAGE_KEY]?.catch(() => undefined))?.close().catch(() => undefined);
    delete holder[STORAGE_KEY];
    for (const name of ["DATABASE_URL", "STUDIO_S3_BUCKET", "STUDIO_S3_ENDPOINT", "STUDIO_S3_ACCESS_KEY_ID", "STUDIO_S3_SECRET_ACCESS_KEY", "STUDIO_S3_FORCE_PATH_STYLE", "STUDIO_MIN_FREE_DISK_MB"]) {
      delete process.env[name];
    }
    await Promise.all([cluster?.stop(), s3?.stop()]);
    await fs.rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("reports the database and the bucket, and fails readiness when either goes down", async () => {
    const ready = await GET();
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ok", checks: { database: "ok", "object store": "ok", "job queue": "ok" } });

    await s3.stop();
    const bucketDown = await GET();
    expect(bucketDown.status).toBe(503);
    expect(await bucketDown.json()).toMatchObject({ status: "error", reason: "object store unreachable", checks: { database: "ok", "object store": "down", "job queue": "ok" } });

    await cluster.stop();
    const bothDown = await GET();
    expect(bothDown.status).toBe(503);
    expect(await bothDown.json()).toMatchObject({ reason: "database and object store and job queue unreachable", checks: { database: "down", "object store": "down", "job queue": "down" } });
  }, 60_000);
});
