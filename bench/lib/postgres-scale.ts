/**
 * The storage half of "home page with 10,000 sessions in PostgreSQL: server time ≤ 100 ms; sidebar
 * search ≤ 100 ms". Starts a throwaway PostgreSQL cluster (test/support/postgres.ts), seeds 10,000
 * sessions of 3 turns each for one owner (plus another owner's 2,000, which the queries must skip),
 * then times the exact storage calls the home page (sessions.list, SIDEBAR_PAGE_SIZE + 1) and the
 * sidebar search (sessions.list with a query) make. Rows are bulk-inserted with the columns the
 * storage writes (40,000 single-row transactions would only measure the seeding).
 *
 * It does not start the studio: the page's rendering on top is measured on SQLite by scenario 7
 * and is the same code. Runs in its own process under the react-server condition:
 *   node --conditions=react-server --import tsx bench/lib/postgres-scale.ts <workDir>
 * Prints JSON on its last line.
 */
import { promises as fs } from "node:fs";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { createFileImageStore } from "../../lib/storage/image-store";
import { openPostgresStorage, type PostgresStorage } from "../../lib/storage/postgres/postgres-storage";
import { SIDEBAR_PAGE_SIZE } from "../../lib/studio/session-list";
import { startPostgres } from "../../test/support/postgres-cluster";
import { flashSettings } from "./settings";
import { summarize } from "./stats";

const SESSIONS = 10_000;
const TURNS_PER_SESSION = 3;
const RUNS = 50;
const OWNER = "local";
const WORDS = ["banana", "sofa", "lighthouse", "fox", "teapot", "harbour", "neon", "cathedral", "desert", "orchid", "robot", "violin"];

/** 10,000 sessions of 3 turns for OWNER, 2,000 for another owner, then ANALYZE. */
export async function seedSessions(storage: PostgresStorage): Promise<void> {
  const base = Date.parse("2026-01-01T00:00:00Z");
  const request = (prompt: string) => JSON.stringify({ prompt, references: [], settings: flashSettings("1K") });
  for (const [owner, count] of [[OWNER, SESSIONS], ["someone-else", 2_000]] as const) {
    for (let start = 0; start < count; start += 1_000) {
      const sessions = [];
      const turns = [];
      for (let index = start; index < Math.min(count, start + 1_000); index += 1) {
        const id = `${owner}-s${index}`;
        const at = new Date(base + index * 60_000).toISOString();
        sessions.push({ id, owner_id: owner, title: `Session ${index} ${WORDS[index % WORDS.length]}`, created_at: at, updated_at: at });
        for (let turn = 0; turn < TURNS_PER_SESSION; turn += 1) {
          const word = WORDS[(index * 7 + turn * 3) % WORDS.length];
          const prompt = `A ${word} in the style of a 1970s postcard, variation ${index}.${turn}, soft morning light`;
          const hash = (index * 31 + turn).toString(16).padStart(64, "0");
          turns.push({
            id: `${id}-t${turn}`,
            session_id: id,
            owner_id: owner,
            parent_id: turn === 0 ? null : `${id}-t${turn - 1}`,
            created_at: at,
            updated_at: at,
            status: "succeeded",
            prompt,
            request_json: request(prompt),
            outcome_json: JSON.stringify({ images: [{ hash, mimeType: "image/jpeg", width: 1024, height: 1024, fileName: null, requested: null, sizeMismatch: false }] }),
            attempts: 1,
            cover_image_hash: hash,
          });
        }
      }
      await storage.db.insertInto("sessions").values(sessions).execute();
      for (let offset = 0; offset < turns.length; offset += 1_000) await storage.db.insertInto("turns").values(turns.slice(offset, offset + 1_000)).execute();
    }
  }
  await sql`ANALYZE`.execute(storage.db);
}

async function main(): Promise<void> {
  const workDir = process.argv[2];
  if (!workDir) throw new Error("Usage: postgres-scale.ts <workDir>");
  await fs.mkdir(workDir, { recursive: true });
  const cluster = await startPostgres();
  try {
    const storage = await openPostgresStorage({ connectionString: await cluster.createDatabase(), images: createFileImageStore(workDir) });
    try {
      const seedStart = performance.now();
      await seedSessions(storage);
      const seedSeconds = (performance.now() - seedStart) / 1000;

      const time = async (work: () => Promise<unknown>) => {
        for (let warm = 0; warm < 3; warm += 1) await work();
        const samples: number[] = [];
        for (let run = 0; run < RUNS; run += 1) {
          const start = performance.now();
          await work();
          samples.push(performance.now() - start);
        }
        return summarize(samples);
      };
      const limit = SIDEBAR_PAGE_SIZE + 1;
      const counts = {
        common: (await storage.sessions.list(OWNER, { query: "banana", limit: 500 })).length,
        rare: (await storage.sessions.list(OWNER, { query: "variation 4242.", limit: 500 })).length,
      };
      const result = {
        sessions: SESSIONS,
        turns: SESSIONS * TURNS_PER_SESSION,
        seedSeconds: Math.round(seedSeconds * 10) / 10,
        homeList: await time(() => storage.sessions.list(OWNER, { limit })),
        homeListDeepPage: await time(() => storage.sessions.list(OWNER, { limit, offset: 9_000 })),
        searchCommon: { ...(await time(() => storage.sessions.list(OWNER, { query: "banana", limit }))), matches: counts.common },
        searchRare: { ...(await time(() => storage.sessions.list(OWNER, { query: "variation 4242.", limit }))), matches: counts.rare },
        searchShort: await time(() => storage.sessions.list(OWNER, { query: "fo", limit })),
        searchNone: await time(() => storage.sessions.list(OWNER, { query: "giraffe", limit })),
      };
      console.log(JSON.stringify(result));
    } finally {
      await storage.close();
    }
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1]?.endsWith("postgres-scale.ts")) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
