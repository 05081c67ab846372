/**
 * Attribution for the follow-ups scenario: the two steps of a follow-up before its request leaves
 * the studio, timed on their own in this process against the seeded conversation (a copy of it,
 * before any studio opens it):
 *   - building the history (lib/server/jobs/history.ts) from storage, and from a warm history cache;
 *   - the gateway turning that history into the request body (request.ts, the SDK's conversion
 *     and JSON encoding, request-stash.ts): from generate() to the moment it hands the body to
 *     fetch (a stream: its first bytes can leave then), and to the stream's last byte read here
 *     in memory (every piece encoded). The fetch here answers 400 once it has read the body, so
 *     nothing is sent and nothing is retried.
 *     Beside it, the same request planned and encoded by the SDK alone, plus fetch's UTF-8 encoding
 *     of that string: what it cost before request-stash.ts (bench/lib/direct-sdk.ts).
 * Runs under the react-server condition (lib/server and lib/storage are server-only):
 *   node --conditions=react-server --import tsx bench/lib/history-build-costs.ts <dataDir> <turnId>...
 * Prints JSON: per earlier-turn count, summaries in ms and the body size.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { resolveModel } from "../../lib/gemini/catalog";
import { createGeminiGateway } from "../../lib/gemini/client";
import { planGeneration } from "../../lib/gemini/request";
import { createHistoryBuilder } from "../../lib/server/jobs/history";
import { createHistoryCache } from "../../lib/server/jobs/history-cache";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import { timeSdkBodyEncoding } from "./direct-sdk";
import { flashSettings } from "./settings";
import { percentile, round, summarize } from "./stats";

const OWNER = "local";
const RUNS = 7;

async function main(): Promise<void> {
  const [dataDir, ...parents] = process.argv.slice(2);
  if (!dataDir || parents.length === 0) throw new Error("Usage: history-build-costs.ts <dataDir> <parent turn id>...");
  const storage = openSqliteStorage({ dataDir });
  let sentAt = 0;
  let drainedAt = 0;
  let bodyBytes = 0;
  let bodySha256 = "";
  const gateway = createGeminiGateway({
    apiKey: "bench-key",
    baseUrl: "http://127.0.0.1:9",
    retryPolicy: { maxAttempts: 1 },
    fetch: async (_input, init) => {
      sentAt = performance.now();
      const hash = createHash("sha256");
      bodyBytes = 0;
      const source = init?.body;
      const take = (piece: Uint8Array) => {
        hash.update(piece);
        bodyBytes += piece.byteLength;
      };
      if (typeof source === "string") take(Buffer.from(source));
      else if (source instanceof Uint8Array) take(source);
      else if (source instanceof ReadableStream) {
        const reader = (source as ReadableStream<Uint8Array>).getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) take(read.value);
      }
      drainedAt = performance.now();
      bodySha256 = hash.digest("hex");
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
      const encodeAll: number[] = [];
      const sdkAlone: number[] = [];
      let identical = true;
      const cached = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 128_000_000 }));
      for (let run = 0; run < RUNS + 1; run += 1) {
        const uncached = createHistoryBuilder(storage);
        let start = performance.now();
        await uncached.buildHistory(OWNER, chain);
        if (run > 0) cold.push(performance.now() - start);
        await cached.buildHistory(OWNER, chain);
        start = performance.now();
        const fromCache = await cached.buildHistory(OWNER, chain);
        if (run > 0) warm.push(performance.now() - start);
        start = performance.now();
        // As a follow-up sends it: the history from the cache (frozen parts, checked once by the request stash).
        const generation = { history: fromCache, prompt: "one more", references: [], settings: flashSettings("1K") };
        const answer = await gateway.generate(generation);
        if (answer.ok || answer.error.httpStatus !== 400) throw new Error(`The stub fetch was not reached: ${JSON.stringify(answer.ok ? "ok" : answer.error)}`);
        if (run > 0) {
          encode.push(sentAt - start);
          encodeAll.push(drainedAt - start);
        }
        const profile = resolveModel(generation.settings.model).profile;
        if (!profile) throw new Error("No catalog profile for the bench's model.");
        start = performance.now();
        const call = planGeneration(generation, profile).call;
        const planMs = performance.now() - start;
        const before = await timeSdkBodyEncoding(call);
        if (run > 0) sdkAlone.push(planMs + before.ms);
        identical &&= before.bytes === bodyBytes && before.sha256 === bodySha256;
      }
      results[String(chain.length)] = {
        earlierTurns: chain.length,
        buildFromStorageMs: summarize(cold),
        buildFromCacheMs: { ...summarize(warm), p50: round(percentile(warm, 50), 3) },
        generateToFetchMs: summarize(encode),
        // Includes hashing each piece as it is read.
        generateToLastByteReadMs: summarize(encodeAll),
        sdkAloneToBytesMs: summarize(sdkAlone),
        bodyMB: round(bodyBytes / 1_000_000, 1),
        // Both ways wrote the very same bytes (SHA-256), every run.
        identicalBody: identical,
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
