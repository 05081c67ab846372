import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dataDir: string;
let GET: () => Promise<Response>;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-health-"));
  process.env.STUDIO_DATA_DIR = dataDir;
  ({ GET } = await import("./route"));
});

afterAll(async () => {
  const { getStorage } = await import("@/lib/storage");
  await (await getStorage()).close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("GET /api/health", () => {
  it("is ready with free space above the threshold, and says how much there is", async () => {
    const { getEnv } = await import("@/lib/env");
    getEnv().minFreeDiskBytes = 0;
    const response = await GET();
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; freeBytes: number };
    expect(body.status).toBe("ok");
    expect(body.freeBytes).toBeGreaterThan(0);
  });

  it("answers 503 with a reason when the data directory's disk has less free space than the threshold", async () => {
    const { getEnv } = await import("@/lib/env");
    const stats = await fs.statfs(dataDir);
    // Above what is actually free: the state of a nearly full disk, without filling one.
    getEnv().minFreeDiskBytes = stats.bavail * stats.bsize + 1_000_000_000;
    const response = await GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", reason: "low disk space", detail: expect.stringContaining("STUDIO_MIN_FREE_DISK_MB") });
  });

  it("answers 503 at once when the data directory stops taking writes, and ready again once fixed", async () => {
    const { getEnv } = await import("@/lib/env");
    getEnv().minFreeDiskBytes = 0;
    expect((await GET()).status).toBe(200);
    const tmp = path.join(dataDir, "tmp");
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.writeFile(tmp, "not a directory");
    try {
      const response = await GET();
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: "error", reason: "data directory is not writable", diskCheckAgeMs: expect.any(Number) });
    } finally {
      await fs.rm(tmp, { force: true });
    }
    const again = await GET();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "ok", diskCheckAgeMs: expect.any(Number) });
  });
});
