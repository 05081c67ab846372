import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { getStorage } from "@/lib/storage";

export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/** Readiness: the environment is valid, the database opens and the data directory accepts writes. */
export async function GET() {
  let mode: string;
  let dataDir: string;
  try {
    ({ mode, dataDir } = getEnv());
  } catch {
    return Response.json({ status: "error", reason: "invalid environment" }, { status: 503, headers: noStore });
  }
  try {
    await getStorage();
  } catch {
    return Response.json({ status: "error", mode, reason: "storage could not be opened" }, { status: 503, headers: noStore });
  }
  const probe = path.join(dataDir, "tmp", `health-${randomUUID()}`);
  try {
    await fs.mkdir(path.dirname(probe), { recursive: true });
    await fs.writeFile(probe, "");
    await fs.rm(probe);
  } catch {
    return Response.json({ status: "error", mode, reason: "data directory is not writable" }, { status: 503, headers: noStore });
  }
  return Response.json({ status: "ok", mode }, { headers: noStore });
}
