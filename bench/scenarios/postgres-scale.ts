import { execFileSync } from "node:child_process";
import path from "node:path";
import type { BenchContext } from "../lib/context";

/**
 * Scenario 8: the home page's session list and the sidebar search on 10,000 sessions in
 * PostgreSQL (bench/lib/postgres-scale.ts, in its own process: lib/storage is server-only). It
 * starts its own throwaway cluster, so it needs Debian's `postgresql` binaries, like the tests.
 */
export async function runPostgresScale(context: BenchContext): Promise<unknown> {
  const root = path.resolve(__dirname, "..", "..");
  const output = execFileSync(
    process.execPath,
    ["--conditions=react-server", "--import", "tsx", path.join(__dirname, "..", "lib", "postgres-scale.ts"), path.join(context.workDir, "postgres-scale")],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  return JSON.parse(output.trim().split("\n").at(-1) ?? "{}");
}
