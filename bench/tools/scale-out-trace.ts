/**
 * Attribution for the scale-out scenario, from a run with BENCH_SCALE_OUT_TRACE=1: for each of its
 * one-at-a-time generations on PostgreSQL + S3, the SQL statements PostgreSQL logged and the S3
 * requests the bucket served between the start's action leaving the bench and `done` arriving, with
 * their server-side time. Counts are round trips; the time is what the servers spent, so the rest of
 * a round trip (waiting to be scheduled, the network stack, the client) is not in it.
 *
 *   npx tsx bench/tools/scale-out-trace.ts [.bench-data]
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { percentile } from "../lib/stats";

interface Sample {
  startedAt: number;
  totalMs: number;
  beforeEmulatorMs: number;
}

const benchRoot = path.resolve(process.argv[2] ?? ".bench-data");
const dir = path.join(benchRoot, "work", "scale-out");
const results = JSON.parse(readFileSync(path.resolve(benchRoot, "..", "bench", "results", "latest.json"), "utf8")) as {
  results: { "scale-out"?: { sequential?: Record<string, { perRun: Array<{ postgres: Sample }> }> } };
};
const sequential = results.results["scale-out"]?.sequential;
if (!sequential || !existsSync(path.join(dir, "postgres.log"))) throw new Error(`No traced scale-out run in ${benchRoot} (run the bench with BENCH_SCALE_OUT_TRACE=1 --only=scale-out).`);

// "1796591308.921 [1234] LOG:  duration: 0.045 ms  execute <unnamed>: SELECT …" (log_line_prefix '%n [%p] ').
const statements = readFileSync(path.join(dir, "postgres.log"), "utf8")
  .split("\n")
  .flatMap((line) => {
    const match = /^(\d+\.\d+) \[(\d+)\] LOG:\s+duration: ([\d.]+) ms\s+(statement|parse|bind|execute)[^:]*: (.*)$/.exec(line);
    if (!match) return [];
    const [, at, pid, ms, phase, text] = match;
    return [{ at: Number(at) * 1000, pid: Number(pid), ms: Number(ms), phase: phase as string, text: (text ?? "").slice(0, 60) }];
  });
// "<epoch ms> <method> <path> <status> <ms> <bytes in>"
const s3 = existsSync(path.join(dir, "s3-requests.log"))
  ? readFileSync(path.join(dir, "s3-requests.log"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [at, method, url, status, ms, bytes] = line.split(" ");
        const copy = url?.includes("CopyObject") ? "COPY" : method;
        return { at: Number(at), method: copy ?? "", url: url ?? "", status: Number(status), ms: Number(ms), bytes: Number(bytes) };
      })
  : [];

const p50 = (values: number[]) => Math.round(percentile(values, 50) * 10) / 10;
for (const [size, entry] of Object.entries(sequential)) {
  const perRun = entry.perRun.map(({ postgres: sample }) => {
    const within = <T extends { at: number }>(rows: T[], from: number, to: number) => rows.filter((row) => row.at >= from && row.at <= to);
    const all = within(statements, sample.startedAt, sample.startedAt + sample.totalMs);
    const before = within(statements, sample.startedAt, sample.startedAt + sample.beforeEmulatorMs);
    const requests = within(s3, sample.startedAt, sample.startedAt + sample.totalMs);
    const byMethod: Record<string, number> = {};
    for (const request of requests) byMethod[request.method] = (byMethod[request.method] ?? 0) + 1;
    return {
      statements: all.filter((row) => row.phase === "statement" || row.phase === "execute").length,
      statementsBeforeRequest: before.filter((row) => row.phase === "statement" || row.phase === "execute").length,
      sqlServerMs: all.reduce((sum, row) => sum + row.ms, 0),
      s3Requests: requests.length,
      s3ServerMs: requests.reduce((sum, row) => sum + row.ms, 0),
      byMethod,
      totalMs: sample.totalMs,
    };
  });
  const methods = [...new Set(perRun.flatMap((run) => Object.keys(run.byMethod)))];
  console.log(
    JSON.stringify({
      size,
      generations: perRun.length,
      p50: {
        totalMs: p50(perRun.map((run) => run.totalMs)),
        sqlStatements: p50(perRun.map((run) => run.statements)),
        sqlStatementsBeforeTheRequest: p50(perRun.map((run) => run.statementsBeforeRequest)),
        sqlServerMs: p50(perRun.map((run) => run.sqlServerMs)),
        s3Requests: p50(perRun.map((run) => run.s3Requests)),
        s3ServerMs: p50(perRun.map((run) => run.s3ServerMs)),
        s3ByMethod: Object.fromEntries(methods.map((method) => [method, p50(perRun.map((run) => run.byMethod[method] ?? 0))])),
      },
    }),
  );
}
