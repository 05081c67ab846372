import { getEnv } from "@/lib/env";
import { formatBytes } from "@/lib/images/limits";
import { getDiskProbe } from "@/lib/server/disk-probe";
import { getJobRunner } from "@/lib/server/sessions";
import { getStorage } from "@/lib/storage";
import type { Storage } from "@/lib/storage/types";

export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/** How long a probe waits for the database or the bucket before calling it down. */
const SERVER_CHECK_TIMEOUT_MS = 3_000;

function within(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * "ok" or "down" for the database, the object store and the shared job queue (its own connection
 * and a query on its tables), when the studio has such servers.
 */
async function checkServers(storage: Storage, sharedQueue: boolean): Promise<Record<string, "ok" | "down">> {
  const checks: Array<[name: string, ping: () => Promise<void>]> = [];
  if (storage.ping) checks.push(["database", () => storage.ping!()]);
  if (storage.images.ping) checks.push(["object store", () => storage.images.ping!()]);
  if (sharedQueue) checks.push(["job queue", async () => (await getJobRunner()).checkQueue()]);
  const results = await Promise.all(
    checks.map(async ([name, ping]): Promise<[string, "ok" | "down"]> => {
      try {
        await within(ping(), SERVER_CHECK_TIMEOUT_MS);
        return [name, "ok"];
      } catch {
        return [name, "down"];
      }
    }),
  );
  return Object.fromEntries(results);
}

/**
 * Readiness: the environment is valid, the database opens (and, with DATABASE_URL, the database
 * server, the bucket and the shared job queue answer now), the data directory accepts writes and has at least
 * STUDIO_MIN_FREE_DISK_MB free. The write probe alone passes on a disk with a few KB
 * left, where the next generation's images would fail. `diskCheckAgeMs` says how old the data
 * directory's check is (0 on an idle disk; under a burst of uploads, the last one that finished).
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
  let storage: Storage;
  try {
    storage = await getStorage();
  } catch {
    return Response.json({ status: "error", mode, reason: "storage could not be opened" }, { status: 503, headers: noStore });
  }
  // Answered from a background check (lib/server/disk-probe.ts), so a probe is not stuck behind
  // upload writes; asked alongside the servers.
  const diskReading = getDiskProbe(dataDir).read();
  // With DATABASE_URL the database and the bucket are servers of their own, up or down since the
  // storage opened: each is asked again, within a bound, on every probe.
  const servers = await checkServers(storage, databaseUrl !== undefined);
  const down = Object.entries(servers).filter(([, state]) => state !== "ok");
  if (down.length > 0) {
    return Response.json(
      { status: "error", mode, reason: `${down.map(([name]) => name).join(" and ")} unreachable`, checks: servers },
      { status: 503, headers: noStore },
    );
  }
  const disk = await diskReading;
  if (!disk.state.ok) {
    const overdue = "pendingMs" in disk ? { detail: `The data directory has not answered a check for ${disk.pendingMs} ms.` } : {};
    return Response.json({ status: "error", mode, reason: disk.state.reason, ...overdue, diskCheckAgeMs: disk.ageMs }, { status: 503, headers: noStore });
  }
  const free = disk.state.freeBytes;
  if (free < minFreeDiskBytes) {
    return Response.json(
      {
        status: "error",
        mode,
        reason: "low disk space",
        detail: `${formatBytes(free)} free in the data directory; at least ${formatBytes(minFreeDiskBytes)} is required (STUDIO_MIN_FREE_DISK_MB).`,
        freeBytes: free,
        diskCheckAgeMs: disk.ageMs,
      },
      { status: 503, headers: noStore },
    );
  }
  return Response.json({ status: "ok", mode, freeBytes: free, diskCheckAgeMs: disk.ageMs, ...(Object.keys(servers).length > 0 ? { checks: servers } : {}) }, { headers: noStore });
}
