import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createAppClient, type AppClient } from "../lib/app-client";
import { startApp, type AppHost } from "../lib/app-host";
import { epochNow, type BenchContext } from "../lib/context";
import type { FollowUpSeed } from "../lib/seed-follow-ups";
import { flashSettings } from "../lib/settings";
import { medianInterval, round, summarize } from "../lib/stats";

const root = path.resolve(__dirname, "..", "..");
/** The follow-ups measured: the 5th and the 20th turn of one conversation (4 and 19 earlier turns replayed). */
const DEPTHS = [5, 20] as const;
const SEEDED_TURNS = Math.max(...DEPTHS) - 1;

/** A bench script that imports lib/server or lib/storage (server-only), in its own process; its last line is JSON. */
function runServerScript<T>(script: string, args: string[]): T {
  const output = execFileSync(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(__dirname, "..", "lib", script), ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as T;
}

const VARIANTS = ["cacheOff", "cacheOn", "interactions"] as const;

interface Variant {
  name: (typeof VARIANTS)[number];
  /** The operator setting this studio runs with. */
  env: Record<string, string>;
  /** The seeded conversation it continues (a copy of it in its own data directory). */
  seed: FollowUpSeed;
  seedDir: string;
  app?: AppHost;
  client?: AppClient;
}

/**
 * Scenario 10: a follow-up deep in a conversation. Each follow-up replays every earlier turn of its
 * conversation (the model's answers with their ~600 KB thought signatures and images, and the
 * reference photos), so its request grows with the conversation: ~8 MB at turn 5, ~34 MB at turn
 * 20. Measured: from the follow-up's server action leaving the bench to the request reaching the
 * emulator (its first bytes), and everything the studio adds over the emulator's own time (its first
 * request byte to its last answer byte, stamped in the emulator's process) until the SSE stream says
 * `done`.
 *
 * Three extra studios from the same build, in the same run: two on their own copy of one seeded
 * conversation (bench/lib/seed-follow-ups.ts: 19 turns answered by the emulator, stored as the job
 * runner stores them), one with STUDIO_HISTORY_CACHE_MB=0 (every follow-up reads the whole
 * conversation from storage, as before the history cache) and one with the default cache; the third
 * with STUDIO_GEMINI_BACKEND=interactions, on a conversation seeded through that backend against
 * this run's emulator (where its interactions live), so each follow-up sends only its own message
 * with the parent's interaction id. The emulator's content-length of every follow-up is kept, per
 * studio, to show what each sent. Runs alternate between the studios, so a busy machine slows all.
 * Every follow-up continues from the same parent (turn 4 or turn 19), so the conversation replayed
 * stays the same; the first one on the cached studio (after a warm-up that replayed nothing) is
 * reported on its own, as the cost of an empty cache. The emulator checks every replayed signature
 * (a follow-up that replayed a turn inexactly would fail, and the scenario with it).
 */
export async function runFollowUps(context: BenchContext) {
  const { emulator, workDir, log } = context;
  const rounds = context.quick ? 3 : 12;
  const settings = flashSettings("1K");
  const base = path.join(workDir, "follow-ups");
  mkdirSync(base, { recursive: true });

  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  log("follow-ups: seeding a 19-turn conversation through the emulator…");
  const seedDir = path.join(base, "seed");
  const seed = runServerScript<FollowUpSeed>("seed-follow-ups.ts", [seedDir, String(SEEDED_TURNS)]);
  log(`follow-ups: seeded in ${seed.seconds.toFixed(1)} s; again through the Interactions backend, against this run's emulator…`);
  const interactionsSeedDir = path.join(base, "seed-interactions");
  const interactionsSeed = runServerScript<FollowUpSeed>("seed-follow-ups.ts", [interactionsSeedDir, String(SEEDED_TURNS), "interactions", emulator.url]);
  const parentOf = (turnIds: readonly string[], depth: number) => (depth === 1 ? null : (turnIds[depth - 2] ?? ""));
  log(`follow-ups: seeded in ${interactionsSeed.seconds.toFixed(1)} s; timing history build and request encoding on their own…`);
  const attribution = runServerScript<Record<string, unknown>>("history-build-costs.ts", [seedDir, ...DEPTHS.map((depth) => parentOf(seed.turnIds, depth) ?? "")]);

  const appPort = Number(new URL(context.app.url).port);
  const variants: Variant[] = [
    { name: "cacheOff", env: { STUDIO_HISTORY_CACHE_MB: "0" }, seed, seedDir },
    { name: "cacheOn", env: {}, seed, seedDir },
    { name: "interactions", env: { STUDIO_GEMINI_BACKEND: "interactions" }, seed: interactionsSeed, seedDir: interactionsSeedDir },
  ];
  const samples: Record<string, Record<number, Array<Record<string, number>>>> = Object.fromEntries(VARIANTS.map((name) => [name, {}]));
  let cold: Record<string, number> | null = null;
  let coldInteractions: Record<string, number> | null = null;
  const clock = await emulator.clockOffset();

  try {
    for (const [index, variant] of variants.entries()) {
      const dataDir = path.join(base, variant.name);
      cpSync(variant.seedDir, dataDir, { recursive: true });
      variant.app = await startApp({
        port: appPort + 1 + index,
        emulatorUrl: emulator.url,
        dataDir,
        logFile: path.join(base, `${variant.name}.log`),
        env: variant.env,
      });
      variant.client = createAppClient(variant.app.url, context.actionIds);
      log(`follow-ups: studio with ${JSON.stringify(variant.env)} on ${variant.app.url}`);
    }

    async function followUp(variant: Variant, depth: number, label: string): Promise<Record<string, number>> {
      const client = variant.client as AppClient;
      const mark = await emulator.mark();
      const start = epochNow();
      const started = await client.startTurn({ sessionId: variant.seed.sessionId, parentId: parentOf(variant.seed.turnIds, depth), prompt: `Follow-up at turn ${depth}: ${label}`, references: [], settings });
      if (!started.ok) throw new Error(`startTurn (${variant.name}, turn ${depth}): ${started.error.message}`);
      const acceptedAt = epochNow();
      const { terminal } = await client.follow(started.data.id);
      const end = epochNow();
      if (terminal.type !== "done") throw new Error(`The follow-up at turn ${depth} (${variant.name}) ended ${terminal.type}: ${JSON.stringify("turn" in terminal ? terminal.turn.error : null)}`);
      const timings = await emulator.timings(mark);
      if (timings.length !== 1) throw new Error(`Expected one model request per follow-up, the emulator saw ${timings.length}.`);
      const [timing] = timings;
      if (!timing?.endAt || !timing.bodyEndAt) throw new Error("No emulator timing for the follow-up.");
      const arrived = timing.receivedAt - clock.offsetMs;
      const emulatorMs = timing.endAt - timing.receivedAt;
      return {
        reachEmulatorMs: arrived - start,
        actionMs: acceptedAt - start,
        emulatorMs,
        uploadMs: timing.bodyEndAt - timing.receivedAt,
        addedMs: end - start - emulatorMs,
        afterEmulatorMs: end - (timing.endAt - clock.offsetMs),
        totalMs: end - start,
        requestBytes: timing.requestBytes ?? Number.NaN,
      };
    }

    // Warm-up: each studio's first generation (compilation, connections) starts a new conversation,
    // which replays nothing, so the cached studio's first deep follow-up finds its cache empty.
    for (const variant of variants) await followUp(variant, 1, "warm-up");
    const coldOff = await followUp(variants[0] as Variant, DEPTHS[1], "first deep follow-up");
    cold = await followUp(variants[1] as Variant, DEPTHS[1], "first deep follow-up");
    coldInteractions = await followUp(variants[2] as Variant, DEPTHS[1], "first deep follow-up");
    log(
      `follow-ups: first turn-${DEPTHS[1]} follow-up: cache off reach ${coldOff.reachEmulatorMs?.toFixed(0)} ms, cache empty ${cold.reachEmulatorMs?.toFixed(0)} ms, interactions ${coldInteractions.reachEmulatorMs?.toFixed(0)} ms`,
    );

    for (let round = 0; round < rounds; round += 1) {
      for (const depth of DEPTHS) {
        const order = round % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) {
          ((samples[variant.name] as Record<number, Array<Record<string, number>>>)[depth] ??= []).push(await followUp(variant, depth, `round ${round + 1}`));
        }
      }
      log(`follow-ups: round ${round + 1}/${rounds}`);
    }
  } finally {
    for (const variant of variants) await variant.app?.stop();
  }

  const figure = (name: string, depth: number, key: string) => {
    const values = (samples[name]?.[depth] ?? []).map((sample) => sample[key] as number);
    return { ...summarize(values), p50Interval95: medianInterval(values) };
  };
  const byDepth = Object.fromEntries(
    DEPTHS.map((depth) => [
      depth,
      Object.fromEntries(
        VARIANTS.map((name) => [
          name,
          Object.fromEntries(["reachEmulatorMs", "addedMs", "emulatorMs", "uploadMs", "actionMs", "afterEmulatorMs", "totalMs"].map((key) => [key, figure(name, depth, key)])),
        ]),
      ),
    ]),
  );
  // The emulator's content-length of every follow-up, per studio: the same each round (the prompts
  // differ by a digit or two), so the first and the largest are kept.
  const requestBytes = Object.fromEntries(
    DEPTHS.map((depth) => [
      depth,
      Object.fromEntries(
        VARIANTS.map((name) => {
          const sizes = (samples[name]?.[depth] ?? []).map((sample) => sample.requestBytes as number);
          return [name, { first: sizes[0] ?? Number.NaN, max: Math.max(...sizes) }];
        }),
      ),
    ]),
  );
  const requestMB = Object.fromEntries(DEPTHS.map((depth) => [depth, round((samples.cacheOn?.[depth]?.[0]?.requestBytes ?? Number.NaN) / 1_000_000, 1)]));
  return {
    rounds,
    seed: { turns: seed.turnIds.length, referenceMB: round(seed.referenceBytes / 1_000_000, 1), seconds: seed.seconds },
    interactionsSeed: { turns: interactionsSeed.turnIds.length, seconds: interactionsSeed.seconds },
    requestMB,
    requestBytes,
    byDepth,
    firstDeepFollowUpWithEmptyCache: cold ? Object.fromEntries(Object.entries(cold).map(([key, value]) => [key, round(value)])) : null,
    firstDeepFollowUpInteractions: coldInteractions ? Object.fromEntries(Object.entries(coldInteractions).map(([key, value]) => [key, round(value)])) : null,
    attribution,
    perRun: samples,
  };
}
