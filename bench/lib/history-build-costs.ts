/**
 * Attribution for the follow-ups scenario: the two steps of a follow-up before its request leaves
 * the studio, timed on their own in this process against the seeded conversation (a copy of it,
 * before any studio opens it):
 *   - building the history (lib/server/jobs/history.ts) from storage, and from a warm history cache;
 *   - the gateway turning that history into the request body (request.ts + the SDK's conversion and
 *     JSON encoding): from generate() to the moment it hands the body to fetch. The fetch here
 *     answers 400 at once, so nothing is sent and nothing is retried.
 * Runs under the react-server condition (lib/server and lib/storage are server-only):
 *   node --conditions=react-server --import tsx bench/lib/history-build-costs.ts <dataDir> <turnId>...
 * Prints JSON: per earlier-turn count, summaries in ms and the body size.
 */
import { performance } from "node:perf_hooks";
import { createGeminiGateway } from "../../lib/gemini/client";
import { createHistoryBuilder } from "../../lib/server/jobs/history";
import { createHistoryCache } from "../../lib/server/jobs/history-cache";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import { flashSettings } from "./settings";
import { round, summarize } from "./stats";

const OWNER = "local";
const RUNS = 7;

async function main(): Promise<void> {
  const [dataDir, ...parents] = process.argv.slice(2);
  if (!dataDir || parents.length === 0) throw new Error("Usage: history-build-costs.ts <dataDir> <parent turn id>...");
  const storage = openSqliteStorage({ dataDir });
  let sentAt = 0;
  let bodyBytes = 0;
  const gateway = createGeminiGateway({
    apiKey: "bench-key",
    baseUrl: "http://127.0.0.1:9",
    retryPolicy: { maxAttempts: 1 },
    fetch: async (_input, init) => {
      sentAt = performance.now();
      bodyBytes = typeof init?.body === "string" ? Buffer.byteLength(init.body) : Number.NaN;
      return new Response(JSON.stringify({ error: { code: 400, message: "bench: not sent", status: "INVALID_ARGUMENT" } }), {
        status: 400,
        headers: { "content-type": "application/json" },
      });
    },
  });
  const results: Record<string, unknown> = {};
  try {
    for (const parentId of parents) {
      const chain = await storage.turns.chain(OWNER, parentId);
      if (!chain) throw new Error(`No turn ${parentId} in ${dataDir}.`);
      const cold: number[] = [];
      const warm: number[] = [];
      const encode: number[] = [];
      const cached = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 128_000_000 }));
      for (let run = 0; run < RUNS + 1; run += 1) {
        const uncached = createHistoryBuilder(storage);
        let start = performance.now();
        const history = await uncached.buildHistory(OWNER, chain);
        if (run > 0) cold.push(performance.now() - start);
        await cached.buildHistory(OWNER, chain);
        start = performance.now();
        await cached.buildHistory(OWNER, chain);
        if (run > 0) warm.push(performance.now() - start);
        start = performance.now();
        const answer = await gateway.generate({ history, prompt: "one more", references: [], settings: flashSettings("1K") });
        if (answer.ok || answer.error.httpStatus !== 400) throw new Error(`The stub fetch was not reached: ${JSON.stringify(answer.ok ? "ok" : answer.error)}`);
        if (run > 0) encode.push(sentAt - start);
      }
      results[String(chain.length)] = {
        earlierTurns: chain.length,
        buildFromStorageMs: summarize(cold),
        buildFromCacheMs: { ...summarize(warm), p50: round(summarize(warm).p50, 3) },
        generateToFetchMs: summarize(encode),
        bodyMB: round(bodyBytes / 1_000_000, 1),
      };
    }
  } finally {
    await storage.close();
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
