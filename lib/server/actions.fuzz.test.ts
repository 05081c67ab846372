import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GeminiGateway, GenerateResult } from "@/lib/gemini/client";
import type { GenerationSettings } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage } from "@/lib/storage/types";
import { createJobRunner, type JobRunner } from "./jobs/runner";
import { startTurnSchema } from "@/lib/studio/session-schemas";
import { createStudioSessions, type SessionErrorCode, type StudioSessions } from "./sessions";

/**
 * The inputs of every server action, fuzzed. Server actions are public POST endpoints: whatever a
 * script sends, the answer is a typed result with a code from the closed set, nothing is thrown,
 * and a refused call stores nothing. The inputs are random mutations of valid ones (wrong types,
 * missing and extra fields, huge and hostile strings, prototype keys), from a fixed seed so a
 * failure replays; FUZZ_SEED=<n> explores further.
 */

const OWNER = "local";
const STRANGER = "someone-else";
const CODES: readonly SessionErrorCode[] = ["not_found", "invalid_request", "request_too_large", "conflict", "not_configured", "busy", "storage_failed", "internal", "rate_limited"];
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = 150;

// ---------------------------------------------------------------------------------------------
// A small seeded generator (mulberry32): no dependency, and the same cases on every run.

function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Random = ReturnType<typeof random>;

const HOSTILE_STRINGS = [
  "",
  " ",
  "\u0000",
  "../../etc/passwd",
  "..%2F..%2Fstudio.db",
  "<script>alert(1)</script>",
  "'; DROP TABLE turns; --",
  "$1",
  "$@0",
  "__proto__",
  "constructor",
  "🍌".repeat(50),
  "\u202e\u200b",
  "x".repeat(65),
  "x".repeat(8_001),
  "a".repeat(64),
  "A".repeat(64),
  "gemini-3-pro-image-preview",
  "gemini-9-ultra-image",
  "models/gemini-3.1-flash-image",
  "512",
  "8K",
  "1:8",
  "match-input",
];

function anyValue(rng: Random, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0:
      return rng.pick(HOSTILE_STRINGS);
    case 1:
      return rng.pick([0, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e21, Number.NaN, Number.POSITIVE_INFINITY]);
    case 2:
      return rng.pick([true, false]);
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return String.fromCharCode(...Array.from({ length: rng.int(40) }, () => rng.int(0x3000)));
    case 6:
      return Array.from({ length: rng.int(20) }, () => anyValue(rng, depth + 1));
    case 7: {
      const object: Record<string, unknown> = {};
      for (let index = rng.int(5); index > 0; index -= 1) object[rng.pick([...HOSTILE_STRINGS, "hash", "role", "model"])] = anyValue(rng, depth + 1);
      return object;
    }
    default:
      return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as unknown;
  }
}

/** A copy of `valid` with one to three fields replaced, removed or added. */
function mutate(rng: Random, valid: Record<string, unknown>): unknown {
  if (rng.int(12) === 0) return anyValue(rng);
  const copy: Record<string, unknown> = structuredClone(valid);
  for (let count = 1 + rng.int(3); count > 0; count -= 1) {
    const keys = Object.keys(copy);
    const action = rng.int(4);
    const key = rng.pick(keys.length > 0 ? keys : ["extra"]);
    if (action === 0) delete copy[key];
    else if (action === 1) copy[rng.pick(["extra", "__proto__", "ownerId", "status", "id"])] = anyValue(rng);
    else if (action === 2 && typeof copy[key] === "object" && copy[key] !== null && !Array.isArray(copy[key])) {
      copy[key] = mutate(rng, copy[key] as Record<string, unknown>);
    } else copy[key] = anyValue(rng);
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// The studio under test: memory storage, a gateway that answers at once with an image

let storage: Storage;
let jobs: JobRunner;
let studio: StudioSessions;
let generations: number;

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

beforeEach(() => {
  storage = createMemoryStorage();
  generations = 0;
  const gateway: GeminiGateway = {
    async listModels() {
      throw new Error("not used");
    },
    async generate(): Promise<GenerateResult> {
      generations += 1;
      const image = fakePng();
      return {
        ok: true,
        outcome: {
          images: [{ mimeType: "image/png", data: image, width: 64, height: 64, requested: null, sizeMismatch: false }],
          thoughts: [],
          text: "",
          grounding: null,
          usage: null,
          finishReason: "STOP",
          blockReason: null,
          modelVersion: null,
          responseId: null,
          modelTurn: { parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") } }] },
          warnings: [],
        },
      };
    },
  };
  jobs = createJobRunner({ storage, gateway: () => gateway });
  studio = createStudioSessions({ storage, jobs });
});

afterEach(async () => {
  await jobs.idle();
  await jobs.shutdown();
});

/** Everything both owners have stored, to prove a refused call changed nothing. */
async function snapshot(): Promise<string> {
  const owners = await Promise.all(
    [OWNER, STRANGER].map(async (owner) => {
      const sessions = await storage.sessions.list(owner, { limit: 500 });
      const turns = await Promise.all(sessions.map((session) => storage.turns.listBySession(owner, session.id)));
      return { sessions, turns };
    }),
  );
  return JSON.stringify(owners);
}

function expectTyped(result: unknown, label: string) {
  expect(result, label).toBeTypeOf("object");
  const typed = result as { ok: boolean; error?: { code: string; message: string } };
  if (typed.ok) return;
  expect(CODES, label).toContain(typed.error?.code);
  expect(typed.error?.message, label).toBeTypeOf("string");
  expect(typed.error?.message.length, label).toBeGreaterThan(0);
  expect(typed.error?.message.length, label).toBeLessThan(500);
}

// ---------------------------------------------------------------------------------------------

describe("every action, fuzzed", () => {
  it(`answers a typed result to ${RUNS} mutated inputs per action and stores nothing on refusal (seed ${SEED})`, async () => {
    const rng = random(SEED);
    const mine = await storage.sessions.create({ ownerId: OWNER, title: "Mine" });
    const theirs = await storage.sessions.create({ ownerId: STRANGER, title: "Theirs" });
    const started = await studio.startTurn(OWNER, { sessionId: mine.id, parentId: null, prompt: "A banana", references: [], settings });
    expect(started.ok).toBe(true);
    await jobs.idle();
    const myTurn = started.ok ? started.data.id : "";
    const ids = [mine.id, theirs.id, myTurn, "no-such-id"];

    const actions: Array<[string, (input: unknown) => Promise<unknown>, () => Record<string, unknown>]> = [
      ["createSession", (input) => studio.createSession(OWNER, input as never), () => ({ title: "A title" })],
      ["renameSession", (input) => studio.renameSession(OWNER, input as never), () => ({ sessionId: rng.pick(ids), title: "Renamed" })],
      ["deleteSession", (input) => studio.deleteSession(OWNER, input as never), () => ({ sessionId: rng.pick(ids) })],
      ["listSessions", (input) => studio.listSessions(OWNER, input as never), () => ({ query: "banana", limit: 10, offset: 0 })],
      ["getSessionView", (input) => studio.getSessionView(OWNER, input as never), () => ({ sessionId: rng.pick(ids) })],
      [
        "startTurn",
        (input) => studio.startTurn(OWNER, input as never),
        () => ({ sessionId: rng.pick(ids), parentId: rng.pick([null, myTurn]), prompt: "A banana", references: [], settings: { ...settings } }),
      ],
      ["cancelTurn", (input) => studio.cancelTurn(OWNER, input as never), () => ({ turnId: rng.pick(ids) })],
      ["retryTurn", (input) => studio.retryTurn(OWNER, input as never), () => ({ turnId: rng.pick(ids) })],
      ["estimateFollowUp", (input) => studio.estimateFollowUp(OWNER, input as never), () => ({ turnId: rng.pick(ids) })],
    ];

    for (const [name, call, valid] of actions) {
      for (let run = 0; run < RUNS; run += 1) {
        const input = mutate(rng, valid());
        const label = `${name} run ${run} (seed ${SEED}): ${JSON.stringify(input)?.slice(0, 200)}`;
        const before = await snapshot();
        let result: unknown;
        try {
          result = await call(input);
        } catch (error) {
          throw new Error(`${label} threw ${String(error)}`);
        }
        expectTyped(result, label);
        await jobs.idle();
        const ok = (result as { ok: boolean }).ok;
        // Reads and refusals leave storage as it was; only an accepted write may change it.
        if (!ok || name === "listSessions" || name === "getSessionView") expect(await snapshot(), label).toBe(before);
        if (name === "startTurn" && ok) expect(startTurnSchema.safeParse(input).success, label).toBe(true);
      }
    }
    // Nothing reached another owner's data.
    expect((await storage.sessions.list(STRANGER, {})).map((session) => session.title)).toEqual(["Theirs"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});

describe("bad input, case by case", () => {
  async function session(owner = OWNER) {
    return storage.sessions.create({ ownerId: owner, title: "S" });
  }
  const turn = (sessionId: string, patch: Record<string, unknown> = {}) => ({ sessionId, parentId: null, prompt: "A banana", references: [], settings, ...patch });

  it.each([
    ["an empty prompt", { prompt: "" }, /Write a prompt/],
    ["a prompt of spaces", { prompt: "  \n " }, /Write a prompt/],
    ["a huge prompt", { prompt: "x".repeat(8_001) }, /limited to 8000/],
    ["an unknown model", { settings: { ...settings, model: "gemini-9-ultra-image" } }, /no model called/],
    ["a retired model", { settings: { ...settings, model: "gemini-3.1-flash-image-preview" } }, /retired/],
    ["a size the model lacks", { settings: { ...settings, model: "gemini-3-pro-image", imageSize: "512" } }, /isn't an output size/],
    ["a ratio the model lacks", { settings: { ...settings, model: "gemini-3-pro-image", aspectRatio: "8:1" } }, /isn't an aspect ratio/],
    ["a size no model has", { settings: { ...settings, imageSize: "8K" } }, /./],
    ["15 images", { references: Array.from({ length: 15 }, () => ({ hash: "a".repeat(64) })) }, /Up to 14/],
    ["a malformed image hash", { references: [{ hash: "../../studio.db" }] }, /image id is not valid/],
    ["an image that isn't stored", { references: [{ hash: "b".repeat(64) }] }, /no longer available/],
  ])("startTurn refuses %s with invalid_request and stores nothing", async (_name, patch, says) => {
    const { id } = await session();
    const before = await snapshot();
    const result = await studio.startTurn(OWNER, turn(id, patch) as never);
    expect(result).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    if (!result.ok) expect(result.error.message).toMatch(says);
    expect(await snapshot()).toBe(before);
    expect(generations).toBe(0);
  });

  it("names the replacement of a retired model", async () => {
    const { id } = await session();
    const result = await studio.startTurn(OWNER, turn(id, { settings: { ...settings, model: "gemini-3-pro-image-preview" } }) as never);
    expect(result).toMatchObject({ ok: false, error: { action: "Switch to Gemini 3 Pro Image in the model menu." } });
  });

  it("accepts a model the key lists that the catalog doesn't know, with the sizes it offers", async () => {
    const { conservativeProfile } = await import("@/lib/gemini/catalog");
    const custom = createStudioSessions({ storage, jobs, models: async () => [conservativeProfile("gemini-4-flash-image")] });
    const { id } = await session();
    const accepted = await custom.startTurn(OWNER, turn(id, { settings: { ...settings, model: "gemini-4-flash-image" } }) as never);
    expect(accepted.ok).toBe(true);
    const refused = await custom.startTurn(OWNER, turn(id, { settings: { ...settings, model: "gemini-4-flash-image", imageSize: "2K" } }) as never);
    expect(refused).toMatchObject({ ok: false, error: { code: "invalid_request" } });
  });

  it("treats another owner's session and turn as not found, and touches neither", async () => {
    const theirs = await session(STRANGER);
    const theirTurn = await studio.startTurn(STRANGER, turn(theirs.id) as never);
    expect(theirTurn.ok).toBe(true);
    await jobs.idle();
    const turnId = theirTurn.ok ? theirTurn.data.id : "";
    const before = await snapshot();
    const calls = [
      studio.getSessionView(OWNER, { sessionId: theirs.id }),
      studio.renameSession(OWNER, { sessionId: theirs.id, title: "Mine now" }),
      studio.deleteSession(OWNER, { sessionId: theirs.id }),
      studio.startTurn(OWNER, turn(theirs.id) as never),
      studio.startTurn(OWNER, { ...turn(theirs.id), parentId: turnId } as never),
      studio.cancelTurn(OWNER, { turnId }),
      studio.retryTurn(OWNER, { turnId }),
    ];
    for (const result of await Promise.all(calls)) expect(result).toMatchObject({ ok: false, error: { code: "not_found" } });
    await jobs.idle();
    expect(await snapshot()).toBe(before);
    expect(generations).toBe(1);
  });

  it("refuses ids that don't exist or aren't ids", async () => {
    for (const turnId of ["no-such-turn", "../x", "", "x".repeat(65)]) {
      const result = await studio.retryTurn(OWNER, { turnId });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(["not_found", "invalid_request"]).toContain(result.error.code);
    }
  });
});
