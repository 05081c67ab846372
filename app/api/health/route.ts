import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { formatBytes } from "@/lib/images/limits";
import { getJobRunner } from "@/lib/server/sessions";
import { getStorage } from "@/lib/storage";

export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/** Bytes an unprivileged process may still write where `dir` lives (what `df` shows as available). */
async function freeBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Readiness: the environment is valid, the database opens, the data directory accepts writes and
 * has at least STUDIO_MIN_FREE_DISK_MB free; with PostgreSQL, the shared job queue answers too (its
 * own connection and a query on its tables), so an instance whose database went away is not ready. The write probe alone passes on a disk with a few KB
 * left, where the next generation's images would fail.
 */
export async function GET() {
  let mode: string;
  let dataDir: string;
  let minFreeDiskBytes: number;
  let databaseUrl: string | undefined;
  try {
    ({ mode, dataDir, minFreeDiskBytes, databaseUrl } = getEnv());
  } catch {
    return Response.json({ status: "error", reason: "invalid environment" }, { status: 503, headers: noStore });
  }
  try {
    await getStorage();
  } catch {
    return Response.json({ status: "error", mode, reason: "storage could not be opened" }, { status: 503, headers: noStore });
  }
  if (databaseUrl) {
    try {
      await (await getJobRunner()).checkQueue();
    } catch {
      return Response.json({ status: "error", mode, reason: "job queue is unreachable" }, { status: 503, headers: noStore });
    }
  }
  const probe = path.join(dataDir, "tmp", `health-${randomUUID()}`);
  try {
    await fs.mkdir(path.dirname(probe), { recursive: true });
    await fs.writeFile(probe, "");
    await fs.rm(probe);
  } catch {
    return Response.json({ status: "error", mode, reason: "data directory is not writable" }, { status: 503, headers: noStore });
  }
  let free: number;
  try {
    free = await freeBytes(dataDir);
  } catch {
    return Response.json({ status: "error", mode, reason: "free disk space could not be read" }, { status: 503, headers: noStore });
  }
  if (free < minFreeDiskBytes) {
    return Response.json(
      {
        status: "error",
        mode,
        reason: "low disk space",
        detail: `${formatBytes(free)} free in the data directory; at least ${formatBytes(minFreeDiskBytes)} is required (STUDIO_MIN_FREE_DISK_MB).`,
        freeBytes: free,
      },
      { status: 503, headers: noStore },
    );
  }
  return Response.json({ status: "ok", mode, freeBytes: free, ...(databaseUrl ? { queue: "ok" } : {}) }, { headers: noStore });
}
