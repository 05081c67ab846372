import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GeminiGateway, GenerateOptions, GenerateResult } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import { foldChunks } from "@/lib/gemini/response";
import type { GenerationEvent, GenerationOutcome, GenerationRequest, GenerationSettings, ModelTurn, OutputImage } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { ImageStoreError, contentHash, createFileImageStore, type ImageStore } from "@/lib/storage/image-store";
import { createMemoryImageStore, createMemoryStorage, type MemoryImageStore } from "@/lib/storage/memory-storage";
import { openSqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { INTERRUPTED_TURN_ERROR, emptyOutcome, type Storage, type Turn, type TurnRequest } from "@/lib/storage/types";
import { MB, REQUEST_OVERHEAD_BYTES } from "@/lib/studio/request-size";
import { DEFAULT_MAX_CONCURRENT_JOBS, createJobRunner, type JobRunner, type JobRunnerOptions } from "./runner";
import { createHistoryCache } from "./history-cache";
import { type JobEvent } from "@/lib/studio/job-events";
import { openTurnEventStream } from "./event-stream";
import { createRequestSizeEstimator } from "./request-size";

// The job runner against memory storage and a scripted gateway: each test decides what "Gemini"
// says and when, so the ordering of events, cancellation and deadlines can be pinned down.

const OWNER = "local";
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const request = (prompt: string, extra: Partial<TurnRequest> = {}): TurnRequest => ({ prompt, references: [], settings, ...extra });

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

interface Call {
  request: GenerationRequest;
  signal: AbortSignal;
  emit: (event: GenerationEvent) => void;
}

type Script = (call: Call) => Promise<GenerateResult>;

/** A gateway whose every call runs `script`; `calls` records what was asked. */
function scriptedGateway(script: Script): GeminiGateway & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async listModels() {
      throw new Error("not used");
    },
    async generate(generation: GenerationRequest, options: GenerateOptions = {}) {
      const call: Call = {
        request: generation,
        signal: options.signal ?? new AbortController().signal,
        emit: (event) => options.onEvent?.(event),
      };
      calls.push(call);
      return script(call);
    },
  };
}

function outputImage(bytes: Buffer): OutputImage {
  return { mimeType: "image/png", data: bytes, width: 1024, height: 1024, requested: { width: 1024, height: 1024 }, sizeMismatch: false };
}

function outcome(images: Buffer[], modelTurn?: ModelTurn, extra: Partial<GenerationOutcome> = {}): GenerationOutcome {
  return {
    images: images.map(outputImage),
    thoughts: [],
    text: "",
    grounding: null,
    usage: { promptTokens: 10, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1130 },
    finishReason: "STOP",
    blockReason: null,
    modelVersion: "gemini-3.1-flash-image",
    responseId: "r1",
    modelTurn: modelTurn ?? {
      parts: images.map((image, index) => ({
        inlineData: { mimeType: "image/png", data: image.toString("base64") },
        thoughtSignature: `sig-${index}-${image.subarray(8, 12).toString("hex")}`,
      })),
    },
    warnings: [],
    ...extra,
  };
}

/** Streams a whole successful answer: a thought, a thought image, text, the final image. */
async function answer(call: Call, image = fakePng(), thoughtImage = fakePng()): Promise<GenerateResult> {
  call.emit({ type: "attempt", attempt: 1, maxAttempts: 4 });
  call.emit({ type: "phase", phase: "sending" });
  call.emit({ type: "phase", phase: "thinking" });
  call.emit({ type: "thought", thought: { kind: "text", text: "Plating the banana", at: 5 } });
  call.emit({ type: "thought", thought: { kind: "image", mimeType: "image/png", data: thoughtImage, width: null, height: null, at: 9 } });
  call.emit({ type: "phase", phase: "rendering" });
  call.emit({ type: "text", text: "Here " });
  call.emit({ type: "text", text: "it is." });
  call.emit({ type: "image", image: outputImage(image) });
  const result = outcome([image], undefined, {
    text: "Here it is.",
    thoughts: [
      { kind: "text", text: "Plating the banana", at: 5 },
      { kind: "image", mimeType: "image/png", data: thoughtImage, width: null, height: null, at: 9 },
    ],
  });
  return { ok: true, outcome: result };
}

function untilAborted(signal: AbortSignal): Promise<GenerateResult> {
  return new Promise((resolve) => {
    const done = () => resolve({ ok: false, error: createStudioError("cancelled") });
    if (signal.aborted) done();
    else signal.addEventListener("abort", done, { once: true });
  });
}

/** Collects a turn's events until the terminal one. */
async function collect(runner: JobRunner, turnId: string, afterSeq = 0): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  const finished = deferred();
  const followed = await runner.follow(
    OWNER,
    turnId,
    (event) => {
      events.push(event);
      if (["done", "failed", "cancelled", "interrupted"].includes(event.type)) finished.resolve();
    },
    { afterSeq },
  );
  expect(followed.ok).toBe(true);
  await finished.promise;
  return events;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectOk<T>(result: { ok: true; data: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.data;
}

let storage: Storage;
let images: MemoryImageStore;
let runners: JobRunner[];

beforeEach(() => {
  images = createMemoryImageStore();
  storage = createMemoryStorage({ images });
  runners = [];
});

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.shutdown()));
});

function runner(script: Script | GeminiGateway, options: Partial<JobRunnerOptions> = {}): JobRunner {
  const gateway = typeof script === "function" ? scriptedGateway(script) : script;
  const created = createJobRunner({
    storage,
    gateway: () => gateway,
    now: () => new Date(2026, 10, 22, 10, 15, 0),
    ...options,
  });
  runners.push(created);
  return created;
}

async function newSession(ownerId = OWNER) {
  return storage.sessions.create({ ownerId, title: "Banana" });
}

describe("starting a turn", () => {
  it("records the turn and returns while the job is still running", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    expect(turn).toMatchObject({ status: "running", sessionId: session.id, parentId: null, request: request("A banana") });
    expect(jobs.isRunning(turn.id)).toBe(true);
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("running");
    release.resolve();
    await jobs.idle();
    expect(jobs.isRunning(turn.id)).toBe(false);
  });

  it("streams progress as JSON-safe events and stores the outcome, images and model turn", async () => {
    const image = fakePng();
    const thoughtImage = fakePng();
    const gateway = scriptedGateway((call) => answer(call, image, thoughtImage));
    const jobs = runner(gateway);
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A nano banana dish") }));
    const events = await collect(jobs, turn.id);

    expect(events.map((event) => event.type)).toEqual([
      "started",
      "attempt",
      "phase",
      "phase",
      "thought",
      "thought",
      "phase",
      "text",
      "text",
      "image",
      "done",
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    const imageEvent = events.find((event) => event.type === "image");
    const thoughtImageEvent = events.find((event) => event.type === "thought" && event.thought.kind === "image");
    expect(imageEvent?.type === "image" && (await images.get(imageEvent.image.hash))?.bytes.equals(image)).toBe(true);
    expect(thoughtImageEvent?.type === "thought" && thoughtImageEvent.thought.kind === "image" && (await images.get(thoughtImageEvent.thought.hash))?.bytes.equals(thoughtImage)).toBe(true);

    const done = events.at(-1);
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(done?.type === "done" && done.turn).toEqual(stored);
    expect(stored?.status).toBe("succeeded");
    expect(stored?.attempts).toBe(1);
    expect(stored?.outcome?.text).toBe("Here it is.");
    // Thought images are thoughts, never results.
    expect(stored?.outcome?.images).toHaveLength(1);
    expect(stored?.outcome?.images[0]).toMatchObject({ mimeType: "image/png", width: 1024, fileName: "gen-a-nano-banana-dish-20261122-101500.png" });
    expect(stored?.outcome?.thoughts.map((thought) => thought.kind)).toEqual(["text", "image"]);
    expect(images.exported).toEqual(["gen-a-nano-banana-dish-20261122-101500.png"]);
    expect(await storage.modelTurns.get(OWNER, turn.id)).toEqual(outcome([image]).modelTurn);
    expect(await storage.sessions.get(OWNER, session.id)).toMatchObject({ coverImageHash: stored?.outcome?.images[0]?.hash, turnCount: 1 });
  });

  it("replays to late subscribers, skips what a reconnecting one has, then serves the end state from storage", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      call.emit({ type: "attempt", attempt: 1, maxAttempts: 4 });
      call.emit({ type: "phase", phase: "thinking" });
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await waitFor(() => {
      let count = 0;
      jobs.subscribe(OWNER, turn.id, () => (count += 1))?.();
      return count >= 3;
    });
    const late: JobEvent[] = [];
    const unsubscribe = jobs.subscribe(OWNER, turn.id, (event) => late.push(event), { afterSeq: 1 });
    expect(unsubscribe).not.toBeNull();
    expect(late.map((event) => [event.seq, event.type])).toEqual([
      [2, "attempt"],
      [3, "phase"],
    ]);
    expect(jobs.subscribe("someone-else", turn.id, () => {})).toBeNull();
    release.resolve();
    await jobs.idle();
    expect(late.at(-1)?.type).toBe("done");
    unsubscribe?.();

    // After the job: no live log, the snapshot comes from storage.
    expect(jobs.subscribe(OWNER, turn.id, () => {})).toBeNull();
    const after: JobEvent[] = [];
    const followed = expectOk(await jobs.follow(OWNER, turn.id, (event) => after.push(event)));
    expect(followed.live).toBe(false);
    expect(after).toEqual([{ type: "done", seq: 0, turnId: turn.id, turn: await storage.turns.get(OWNER, turn.id) }]);
    expect(await jobs.follow("someone-else", turn.id, () => {})).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("runs several jobs at once, in different sessions and branches", async () => {
    const gates = new Map<string, Deferred<void>>();
    const jobs = runner(async (call) => {
      const gate = deferred();
      gates.set(call.request.prompt, gate);
      await gate.promise;
      return answer(call);
    });
    const first = await newSession();
    const second = await newSession();
    const root = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: first.id, parentId: null, request: request("root") }));
    await waitFor(() => gates.has("root"));
    gates.get("root")?.resolve();
    await jobs.idle();
    const branchA = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: first.id, parentId: root.id, request: request("a") }));
    const branchB = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: first.id, parentId: root.id, request: request("b") }));
    const other = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: second.id, parentId: null, request: request("c") }));
    await waitFor(() => gates.size === 4);
    expect(jobs.runningTurnIds().sort()).toEqual([branchA.id, branchB.id, other.id].sort());
    // They finish in any order, independently.
    gates.get("c")?.resolve();
    await waitFor(() => !jobs.isRunning(other.id));
    expect(jobs.runningTurnIds().sort()).toEqual([branchA.id, branchB.id].sort());
    gates.get("b")?.resolve();
    gates.get("a")?.resolve();
    await jobs.idle();
    for (const turn of [branchA, branchB, other]) expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("succeeded");
  });
});

describe("the queue", () => {
  /** A gateway that holds each request until the test releases it by prompt. */
  function gatedRunner(options: Partial<JobRunnerOptions>) {
    const gates = new Map<string, Deferred<"ok" | "fail">>();
    const gateway = scriptedGateway(async (call) => {
      const gate = deferred<"ok" | "fail">();
      gates.set(call.request.prompt, gate);
      const how = await Promise.race([gate.promise, untilAborted(call.signal).then(() => "aborted" as const)]);
      if (how === "aborted") return { ok: false, error: createStudioError("cancelled") };
      return how === "ok" ? answer(call) : { ok: false, error: createStudioError("network") };
    });
    const jobs = runner(gateway, options);
    const release = async (prompt: string, how: "ok" | "fail" = "ok") => {
      await waitFor(() => gates.has(prompt));
      gates.get(prompt)?.resolve(how);
    };
    return { jobs, gateway, release };
  }

  async function start(jobs: JobRunner, sessionId: string, prompt: string) {
    return expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId, parentId: null, request: request(prompt) }));
  }

  it("records starts beyond the limit as queued and runs them first in, first out as slots free", async () => {
    const { jobs, gateway, release } = gatedRunner({ maxConcurrentJobs: 2 });
    const session = await newSession();
    const turns = [];
    for (const prompt of ["a", "b", "c", "d", "e"]) turns.push(await start(jobs, session.id, prompt));
    const [a, b, c, d, e] = turns as [Turn, Turn, Turn, Turn, Turn];
    expect(turns.map((turn) => turn.status)).toEqual(["running", "running", "queued", "queued", "queued"]);
    expect((await storage.turns.get(OWNER, c.id))?.status).toBe("queued");
    expect(jobs.runningTurnIds()).toEqual([a.id, b.id]);
    expect(jobs.queuedTurnIds()).toEqual([c.id, d.id, e.id]);
    expect(jobs.isRunning(c.id)).toBe(false);

    const eEvents: JobEvent[] = [];
    jobs.subscribe(OWNER, e.id, (event) => eEvents.push(event));
    expect(eEvents.map((event) => event.type)).toEqual(["started", "queued"]);
    expect(eEvents[1]).toMatchObject({ type: "queued", ahead: 2 });

    // b ends first, so the oldest queued (c) takes its slot, not a later one.
    await release("b");
    await waitFor(() => jobs.isRunning(c.id));
    expect(jobs.queuedTurnIds()).toEqual([d.id, e.id]);
    expect((await storage.turns.get(OWNER, c.id))?.status).toBe("running");
    expect(eEvents.at(-1)).toMatchObject({ type: "queued", ahead: 1 });
    await release("a");
    await waitFor(() => jobs.isRunning(d.id));
    await release("c");
    await waitFor(() => jobs.isRunning(e.id));
    expect(gateway.calls.map((call) => call.request.prompt)).toEqual(["a", "b", "c", "d", "e"]);
    await release("d");
    await release("e");
    await jobs.idle();

    for (const turn of turns) expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("succeeded");
    // A queued job's followers see it wait, move up, start, and then the usual events.
    expect(eEvents.map((event) => event.type).slice(0, 6)).toEqual(["started", "queued", "queued", "queued", "started", "attempt"]);
    expect(eEvents.filter((event) => event.type === "queued").map((event) => event.type === "queued" && event.ahead)).toEqual([2, 1, 0]);
    expect(eEvents[4]).toMatchObject({ type: "started", turn: { status: "running" } });
    expect(eEvents.at(-1)?.type).toBe("done");
    expect(eEvents.map((event) => event.seq)).toEqual(eEvents.map((_, index) => index + 1));
  });

  it("runs 32 at once by default and queues the 33rd", async () => {
    const { jobs, release } = gatedRunner({});
    const session = await newSession();
    const prompts = Array.from({ length: 33 }, (_, index) => `p${index}`);
    const turns = [];
    for (const prompt of prompts) turns.push(await start(jobs, session.id, prompt));
    expect(DEFAULT_MAX_CONCURRENT_JOBS).toBe(32);
    expect(turns.filter((turn) => turn.status === "running")).toHaveLength(32);
    expect(turns.at(-1)?.status).toBe("queued");
    for (const prompt of prompts) await release(prompt);
    await jobs.idle();
  });

  it("refuses a start beyond the queue's cap as busy, creating nothing", async () => {
    const { jobs, release } = gatedRunner({ maxConcurrentJobs: 1, maxQueuedJobs: 2 });
    const session = await newSession();
    await start(jobs, session.id, "one");
    await start(jobs, session.id, "two");
    await start(jobs, session.id, "three");
    const refused = await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("four") });
    expect(refused).toMatchObject({ ok: false, error: { code: "busy" } });
    expect(!refused.ok && refused.error.message).toContain("queue is full");
    expect(!refused.ok && refused.error.action).toContain("STUDIO_MAX_QUEUED_JOBS");
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(3);

    // Starts racing for the last place: exactly one gets it.
    await release("one");
    await waitFor(() => jobs.queuedTurnIds().length === 1);
    const racing = await Promise.all(["x", "y", "z"].map((prompt) => jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request(prompt) })));
    expect(racing.filter((result) => result.ok)).toHaveLength(1);
    expect(racing.filter((result) => !result.ok && result.error.code === "busy")).toHaveLength(2);
  });

  it("refuses like before the queue when it may hold nothing", async () => {
    const { jobs } = gatedRunner({ maxConcurrentJobs: 1, maxQueuedJobs: 0 });
    const session = await newSession();
    await start(jobs, session.id, "one");
    expect(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("two") })).toMatchObject({
      ok: false,
      error: { code: "busy" },
    });
  });

  it("cancels a queued turn without it ever reaching Gemini, and the ones behind move up", async () => {
    const { jobs, gateway, release } = gatedRunner({ maxConcurrentJobs: 1 });
    const session = await newSession();
    const first = await start(jobs, session.id, "first");
    const second = await start(jobs, session.id, "second");
    const third = await start(jobs, session.id, "third");
    const secondEvents = collect(jobs, second.id);
    const thirdEvents: JobEvent[] = [];
    jobs.subscribe(OWNER, third.id, (event) => thirdEvents.push(event));

    const cancelled = expectOk(await jobs.cancel(OWNER, second.id));
    expect(cancelled).toMatchObject({ status: "cancelled", error: { code: "cancelled" }, outcome: null });
    expect(await storage.turns.get(OWNER, second.id)).toMatchObject({ status: "cancelled" });
    expect((await secondEvents).map((event) => event.type)).toEqual(["started", "queued", "cancelled"]);
    expect(jobs.queuedTurnIds()).toEqual([third.id]);
    expect(thirdEvents.at(-1)).toMatchObject({ type: "queued", ahead: 0 });
    expect(await jobs.cancel(OWNER, second.id)).toMatchObject({ ok: true, data: { status: "cancelled" } });

    await release("first");
    await release("third");
    await jobs.idle();
    expect(gateway.calls.map((call) => call.request.prompt)).toEqual(["first", "third"]);
    expect((await storage.turns.get(OWNER, first.id))?.status).toBe("succeeded");
    expect((await storage.turns.get(OWNER, third.id))?.status).toBe("succeeded");
  });

  it("frees the slot when a job fails or is cancelled, not only when it succeeds", async () => {
    const { jobs, release } = gatedRunner({ maxConcurrentJobs: 1 });
    const session = await newSession();
    const failing = await start(jobs, session.id, "failing");
    const cancelling = await start(jobs, session.id, "cancelling");
    const last = await start(jobs, session.id, "last");
    await release("failing", "fail");
    await waitFor(() => jobs.isRunning(cancelling.id));
    expect((await storage.turns.get(OWNER, failing.id))?.status).toBe("failed");
    await waitFor(() => jobs.runningTurnIds().length === 1 && jobs.queuedTurnIds().length === 1);
    expectOk(await jobs.cancel(OWNER, cancelling.id));
    await waitFor(() => jobs.isRunning(last.id));
    await release("last");
    await jobs.idle();
    expect((await storage.turns.get(OWNER, last.id))?.status).toBe("succeeded");
    expect(jobs.runningTurnIds()).toEqual([]);
  });

  it("interrupts queued turns with the running ones on shutdown, and cancels them with their session", async () => {
    const { jobs } = gatedRunner({ maxConcurrentJobs: 1 });
    const doomed = await newSession();
    const kept = await newSession();
    const running = await start(jobs, kept.id, "running");
    const goneWithSession = await start(jobs, doomed.id, "doomed");
    const queued = await start(jobs, kept.id, "queued");
    await jobs.cancelSession(OWNER, doomed.id);
    expect(await storage.turns.get(OWNER, goneWithSession.id)).toMatchObject({ status: "cancelled" });
    expect(jobs.queuedTurnIds()).toEqual([queued.id]);
    await jobs.shutdown();
    expect(await storage.turns.get(OWNER, running.id)).toMatchObject({ status: "interrupted", error: INTERRUPTED_TURN_ERROR });
    expect(await storage.turns.get(OWNER, queued.id)).toMatchObject({ status: "interrupted", error: INTERRUPTED_TURN_ERROR });
    expect(jobs.queuedTurnIds()).toEqual([]);
  });
});

describe("conversation history", () => {
  it("replays the parent chain: prompts, reference bytes and the stored model turns exactly", async () => {
    const gateway = scriptedGateway((call) => answer(call));
    const jobs = runner(gateway);
    const session = await newSession();
    const reference = fakePng();
    const storedReference = await images.put(reference);
    const first = expectOk(
      await jobs.startTurn({
        ownerId: OWNER,
        sessionId: session.id,
        parentId: null,
        request: request("A banana", {
          references: [{ hash: storedReference.hash, mimeType: "image/png", width: 640, height: 480, role: "object" }],
        }),
      }),
    );
    await jobs.idle();
    const second = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request("Make it gold") }));
    await jobs.idle();
    const third = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: second.id, request: request("Add a logo") }));
    await jobs.idle();
    expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request("Make it silver") }));
    await jobs.idle();

    const [firstCall, secondCall, thirdCall, branchCall] = gateway.calls;
    expect(firstCall?.request.history).toEqual([]);
    expect(firstCall?.request.references).toEqual([{ mimeType: "image/png", data: reference, role: "object", width: 640, height: 480 }]);
    const firstModelTurn = await storage.modelTurns.get(OWNER, first.id);
    const secondModelTurn = await storage.modelTurns.get(OWNER, second.id);
    expect(secondCall?.request.history).toEqual([
      { prompt: "A banana", references: [{ mimeType: "image/png", data: reference, role: "object", width: 640, height: 480 }], modelTurn: firstModelTurn },
    ]);
    expect(thirdCall?.request.history.map((turn) => [turn.prompt, turn.modelTurn])).toEqual([
      ["A banana", firstModelTurn],
      ["Make it gold", secondModelTurn],
    ]);
    expect(branchCall?.request.history.map((turn) => turn.prompt)).toEqual(["A banana"]);
    expect(branchCall?.request.prompt).toBe("Make it silver");
    expect((await storage.turns.chain(OWNER, third.id))?.map((turn) => turn.id)).toEqual([first.id, second.id, third.id]);
    expect(images.exported.slice(1)).toEqual([
      "edit-make-it-gold-20261122-101500.png",
      "edit-add-a-logo-20261122-101500.png",
      "edit-make-it-silver-20261122-101500.png",
    ]);
  });

  it("reads each earlier model turn from storage once while its history cache holds it, and every time with a cache of 0", async () => {
    for (const [historyCache, reads] of [
      [undefined, 1],
      [createHistoryCache({ maxBytes: 0 }), 3],
    ] as const) {
      const gateway = scriptedGateway((call) => answer(call));
      const jobs = runner(gateway, historyCache ? { historyCache } : {});
      const session = await newSession();
      const first = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
      await jobs.idle();
      const readModelTurn = vi.spyOn(storage.modelTurns, "get");
      for (const prompt of ["gold", "silver", "bronze"]) {
        expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request(prompt) }));
        await jobs.idle();
      }
      expect(readModelTurn).toHaveBeenCalledTimes(reads);
      readModelTurn.mockRestore();
      const replayed = gateway.calls.slice(1).map((call) => JSON.stringify(call.request.history));
      expect(new Set(replayed).size).toBe(1);
      expect(replayed[0]).toBe(JSON.stringify([{ prompt: "A banana", references: [], modelTurn: await storage.modelTurns.get(OWNER, first.id) }]));
    }
  });

  it("leaves failed turns out of the replayed history", async () => {
    let call = 0;
    const gateway = scriptedGateway(async (current) => {
      call += 1;
      if (call === 2) return { ok: false, error: createStudioError("no_image"), outcome: outcome([], { parts: [{ text: "I can't." }] }) };
      return answer(current);
    });
    const jobs = runner(gateway);
    const session = await newSession();
    const first = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("one") }));
    await jobs.idle();
    const failed = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request("two") }));
    await jobs.idle();
    expect(await storage.modelTurns.get(OWNER, failed.id)).toBeNull();
    expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: failed.id, request: request("three") }));
    await jobs.idle();
    expect(gateway.calls[2]?.request.history.map((turn) => turn.prompt)).toEqual(["one"]);
  });
});

describe("refusals", () => {
  it("answers not_found for a session or parent that is missing or another owner's, and changes nothing", async () => {
    const gateway = scriptedGateway((call) => answer(call));
    const jobs = runner(gateway);
    const mine = await newSession();
    const otherSession = await newSession();
    const theirs = await newSession("bob");
    const theirTurn = await storage.turns.create({ ownerId: "bob", sessionId: theirs.id, parentId: null, request: request("bob") });
    const myOtherTurn = await storage.turns.create({ ownerId: OWNER, sessionId: otherSession.id, parentId: null, request: request("x") });
    const attempts = [
      { sessionId: "no-such-session", parentId: null },
      { sessionId: theirs.id, parentId: null },
      { sessionId: mine.id, parentId: "no-such-turn" },
      { sessionId: mine.id, parentId: theirTurn.id },
      { sessionId: mine.id, parentId: myOtherTurn.id },
    ];
    for (const attempt of attempts) {
      expect(await jobs.startTurn({ ownerId: OWNER, ...attempt, request: request("nope") })).toMatchObject({ ok: false, error: { code: "not_found" } });
    }
    expect(await storage.turns.listBySession(OWNER, mine.id)).toEqual([]);
    expect(await storage.turns.listBySession("bob", theirs.id)).toHaveLength(1);
    expect(gateway.calls).toHaveLength(0);
    expect(await jobs.cancel(OWNER, theirTurn.id)).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await jobs.retry(OWNER, theirTurn.id)).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect((await storage.turns.get("bob", theirTurn.id))?.status).toBe("queued");
  });

  it("refuses invalid requests, missing references, unfinished parents and a server without a key", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const start = (extra: Partial<TurnRequest>, parentId: string | null = null) =>
      jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId, request: { ...request("A banana"), ...extra } });
    expect(await start({ prompt: "   " })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await start({ prompt: "x".repeat(9_000) })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await start({ settings: { ...settings, imageSize: "3K" as "2K" } })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(
      await start({ references: [{ hash: "a".repeat(64), mimeType: "image/png", width: null, height: null }] }),
    ).toMatchObject({ ok: false, error: { code: "invalid_request", message: expect.stringContaining("no longer available") } });
    const running = expectOk(await start({}));
    expect(await start({}, running.id)).toMatchObject({ ok: false, error: { code: "conflict" } });
    expect(await jobs.retry(OWNER, running.id)).toMatchObject({ ok: false, error: { code: "conflict" } });
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(1);
    release.resolve();

    const keyless = createJobRunner({ storage, gateway: () => null });
    expect(await keyless.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("x") })).toMatchObject({
      ok: false,
      error: { code: "not_configured" },
    });
  });
});

describe("the size of the next request", () => {
  /** A finished turn as storage holds it, weighing what `replayBytes` says, without generating. */
  async function seededTurn(sessionId: string, parentId: string | null, replayBytes: number): Promise<Turn> {
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request: request("Seeded") });
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    await storage.modelTurns.put(OWNER, turn.id, { parts: [{ text: "seeded" }] });
    return storage.turns.update(OWNER, turn.id, { status: "succeeded", outcome: { ...emptyOutcome(), replayBytes } });
  }

  it("records what each succeeded turn adds to later requests, as measuring it from storage gives", async () => {
    const gateway = scriptedGateway((call) => answer(call, fakePng(30_000)));
    const jobs = runner(gateway);
    const session = await newSession();
    const reference = await images.put(fakePng(20_000));
    const first = expectOk(
      await jobs.startTurn({
        ownerId: OWNER,
        sessionId: session.id,
        parentId: null,
        request: request("A banana", { references: [{ hash: reference.hash, mimeType: "image/png", width: null, height: null, role: "object" }] }),
      }),
    );
    await jobs.idle();
    const stored = await storage.turns.get(OWNER, first.id);
    const recorded = stored?.outcome?.replayBytes;
    // The reference and the image go back as base64, with the signature and the prompt.
    expect(recorded).toBeGreaterThan(((20_008 + 30_008) * 4) / 3);
    if (!stored?.outcome) throw new Error("no outcome");
    const { replayBytes: _dropped, ...withoutField } = stored.outcome;
    const measured = await createRequestSizeEstimator(storage).estimate(OWNER, [{ ...stored, outcome: withoutField }]);
    expect(measured.bytes).toBe(REQUEST_OVERHEAD_BYTES + (recorded ?? 0));

    // Failed turns record none: they are never replayed.
    const failing = runner(async () => ({ ok: false, error: createStudioError("service_unavailable") }));
    const failed = expectOk(await failing.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request("Again") }));
    await failing.idle();
    expect((await storage.turns.get(OWNER, failed.id))?.outcome?.replayBytes).toBeUndefined();
  });

  it("refuses a start whose request would pass Google's limit, storing and sending nothing", async () => {
    const gateway = scriptedGateway((call) => answer(call));
    const jobs = runner(gateway);
    const session = await newSession();
    const first = await seededTurn(session.id, null, 60 * MB);
    // 60 MB is a warning, not a refusal: it starts and goes out.
    const warned = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: first.id, request: request("Warmer") }));
    await jobs.idle();
    expect(gateway.calls).toHaveLength(1);
    expect((await storage.turns.get(OWNER, warned.id))?.status).toBe("succeeded");

    const second = await seededTurn(session.id, first.id, 45 * MB);
    const before = await storage.turns.listBySession(OWNER, session.id);
    const refused = await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: second.id, request: request("Cooler") });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: "request_too_large",
        message: expect.stringMatching(/^The next request would be about 105\.0 MB, over the 100 MB Google accepts in one request/),
        action: "Continue in a new session from this image.",
      },
    });
    expect(gateway.calls).toHaveLength(1);
    expect(await storage.turns.listBySession(OWNER, session.id)).toEqual(before);

    // Retry of a turn in that chain is a start like any other.
    const failedChild = await storage.turns.create({ ownerId: OWNER, sessionId: session.id, parentId: second.id, request: request("Cooler") });
    await storage.turns.update(OWNER, failedChild.id, { status: "failed", error: createStudioError("request_too_large") });
    expect(await jobs.retry(OWNER, failedChild.id)).toMatchObject({ ok: false, error: { code: "request_too_large" } });
    expect(gateway.calls).toHaveLength(1);
  });

  it("refuses a first turn whose references alone pass the limit, naming them", async () => {
    const gateway = scriptedGateway((call) => answer(call));
    // Reported as 60 MB each without holding 120 MB in memory.
    const get = async (hash: string) => {
      const found = await images.get(hash);
      return found && { ...found, image: { ...found.image, byteLength: 60 * MB } };
    };
    storage = { ...storage, images: { ...images, get } };
    const jobs = runner(gateway);
    const session = await newSession();
    const a = await images.put(fakePng());
    const b = await images.put(fakePng());
    const refs = [a, b].map((stored) => ({ hash: stored.hash, mimeType: "image/png", width: null, height: null }));
    const refused = await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("Both", { references: refs }) });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: "request_too_large", message: expect.stringMatching(/^This request would be about 160\.\d MB/), action: "Remove some reference images, or use smaller ones." },
    });
    expect(gateway.calls).toHaveLength(0);
    expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("One", { references: refs.slice(0, 1) }) }));
  });
});

describe("ending badly", () => {
  it("cancels mid-run: aborts the request, keeps what arrived, and marks the turn cancelled", async () => {
    const thoughtImage = fakePng();
    const gateway = scriptedGateway(async (call) => {
      call.emit({ type: "thought", thought: { kind: "image", mimeType: "image/png", data: thoughtImage, width: null, height: null, at: 3 } });
      return untilAborted(call.signal);
    });
    const jobs = runner(gateway);
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    // The thought image is stored and referenced by the running turn before anything ends.
    await waitFor(async () => ((await storage.turns.get(OWNER, turn.id))?.outcome?.thoughts.length ?? 0) > 0);
    const events = collect(jobs, turn.id);
    const cancelled = expectOk(await jobs.cancel(OWNER, turn.id));
    expect(cancelled).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    expect(gateway.calls[0]?.signal.aborted).toBe(true);
    expect((await events).at(-1)).toMatchObject({ type: "cancelled", turn: { status: "cancelled" } });
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.outcome?.thoughts[0]).toMatchObject({ kind: "image", hash: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(stored?.outcome?.images).toEqual([]);
    // Cancelling again, or after the end, just answers the turn as it is.
    expect(await jobs.cancel(OWNER, turn.id)).toMatchObject({ ok: true, data: { status: "cancelled" } });
  });

  it("ends a job whose request ignores the abort, and cancels a turn left active with no job", async () => {
    const jobs = runner(() => new Promise<GenerateResult>(() => {}));
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    expect(await jobs.cancel(OWNER, turn.id)).toMatchObject({ ok: true, data: { status: "cancelled" } });
    expect(jobs.runningTurnIds()).toEqual([]);

    const orphan = await storage.turns.create({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("orphan") });
    await storage.turns.update(OWNER, orphan.id, { status: "running" });
    expect(await jobs.cancel(OWNER, orphan.id)).toMatchObject({ ok: true, data: { status: "cancelled" } });
  });

  it("stops a job at the server deadline and records a timeout", async () => {
    const gateway = scriptedGateway(() => new Promise<GenerateResult>(() => {}));
    const jobs = runner(gateway, { deadlineMs: 50 });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("slow") }));
    const events = await collect(jobs, turn.id);
    expect(events.at(-1)).toMatchObject({ type: "failed", turn: { status: "failed", error: { code: "timeout", retryable: true } } });
    expect(gateway.calls[0]?.signal.aborted).toBe(true);
    expect((await storage.turns.get(OWNER, turn.id))?.error?.message).toContain("took longer than the studio allows");
  });

  it("records a failure with its error and what the model said; Retry repeats the request exactly as a sibling", async () => {
    let call = 0;
    const gateway = scriptedGateway(async (current) => {
      call += 1;
      if (call === 2) {
        current.emit({ type: "text", text: "I can't draw that." });
        return {
          ok: false,
          error: createStudioError("safety_block", { finishReason: "IMAGE_SAFETY" }),
          outcome: outcome([], { parts: [{ text: "I can't draw that." }] }, { text: "I can't draw that.", finishReason: "IMAGE_SAFETY" }),
        };
      }
      return answer(current);
    });
    const jobs = runner(gateway);
    const session = await newSession();
    const root = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("root") }));
    await jobs.idle();
    const exact = request("Make it gold", { settings: { ...settings, aspectRatio: "match-input", webSearch: true } });
    const failed = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: root.id, request: exact }));
    await jobs.idle();
    const stored = await storage.turns.get(OWNER, failed.id);
    expect(stored).toMatchObject({
      status: "failed",
      error: { code: "safety_block", finishReason: "IMAGE_SAFETY" },
      outcome: { text: "I can't draw that.", finishReason: "IMAGE_SAFETY", images: [] },
      request: exact,
    });

    const retried = expectOk(await jobs.retry(OWNER, failed.id));
    expect(retried).toMatchObject({ parentId: root.id, sessionId: session.id, request: exact, status: "running" });
    expect(retried.id).not.toBe(failed.id);
    await jobs.idle();
    expect(gateway.calls[2]?.request).toEqual({ ...gateway.calls[1]?.request });
    expect((await storage.turns.get(OWNER, retried.id))?.status).toBe("succeeded");
    expect((await storage.turns.get(OWNER, failed.id))?.status).toBe("failed");
  });

  it("shows retries and keeps only the last attempt's result", async () => {
    const lost = fakePng();
    const kept = fakePng();
    const jobs = runner(async (call) => {
      call.emit({ type: "attempt", attempt: 1, maxAttempts: 4 });
      call.emit({ type: "image", image: outputImage(lost) });
      call.emit({ type: "retry", attempt: 2, maxAttempts: 4, delayMs: 10, error: createStudioError("network") });
      call.emit({ type: "attempt", attempt: 2, maxAttempts: 4 });
      call.emit({ type: "image", image: outputImage(kept) });
      return { ok: true, outcome: outcome([kept]) };
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("retry me") }));
    const events = await collect(jobs, turn.id);
    expect(events.map((event) => event.type)).toEqual(["started", "attempt", "image", "retry", "attempt", "image", "done"]);
    expect(events[3]).toMatchObject({ type: "retry", attempt: 2, delayMs: 10, error: { code: "network" } });
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.attempts).toBe(2);
    expect(stored?.outcome?.images.map((image) => image.hash)).toEqual([(await images.put(kept)).hash]);
  });

  it("tells a follower who joins during a retry wait only the time left of it", async () => {
    let clock = 50_000;
    const waiting = deferred();
    const release = deferred();
    const jobs = runner(
      async (call) => {
        call.emit({ type: "attempt", attempt: 1, maxAttempts: 4 });
        call.emit({ type: "retry", attempt: 2, maxAttempts: 4, delayMs: 3_000, error: createStudioError("quota_exhausted") });
        await release.promise;
        call.emit({ type: "attempt", attempt: 2, maxAttempts: 4 });
        return answer(call);
      },
      { elapsedClock: () => clock },
    );
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A patient banana") }));
    const first = await jobs.follow(OWNER, turn.id, (event) => {
      // Live, the wait is announced whole.
      if (event.type === "retry") {
        expect(event.delayMs).toBe(3_000);
        waiting.resolve();
      }
    });
    await waiting.promise;
    if (first.ok) first.data.unsubscribe();

    const delays = async () => {
      const seen: JobEvent[] = [];
      const followed = await jobs.follow(OWNER, turn.id, (event) => seen.push(event));
      if (followed.ok) followed.data.unsubscribe();
      return seen.flatMap((event) => (event.type === "retry" ? [event.delayMs] : []));
    };
    clock += 1_200;
    expect(await delays()).toEqual([1_800]);
    // A reconnecting EventSource (Last-Event-ID) gets the same correction.
    clock += 1_300;
    expect(await delays()).toEqual([500]);
    // Once the wait is over nothing is left to count down, even before the next attempt starts.
    clock += 4_000;
    expect(await delays()).toEqual([0]);

    release.resolve();
    const live = await collect(jobs, turn.id);
    expect(live.at(-1)?.type).toBe("done");
  });

  it("fails with a clear error and stops the request when the data directory can't take an image", async () => {
    const broken: ImageStore = {
      ...images,
      async put() {
        throw new ImageStoreError("write_failed", "Could not save the image: the disk holding the data directory /data is full.");
      },
    };
    storage = createMemoryStorage({ images: broken });
    const gateway = scriptedGateway(async (call) => {
      call.emit({ type: "image", image: outputImage(fakePng()) });
      return untilAborted(call.signal);
    });
    const jobs = runner(gateway);
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = await collect(jobs, turn.id);
    expect(events.at(-1)).toMatchObject({ type: "failed" });
    expect(gateway.calls[0]?.signal.aborted).toBe(true);
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({
      status: "failed",
      outcome: null,
      error: { code: "internal", message: expect.stringContaining("is full"), retryable: true },
    });
  });

  it("fails with a clear error when the result can't be saved, and keeps no model turn", async () => {
    let puts = 0;
    const flaky: ImageStore = {
      ...images,
      put: async (bytes) => {
        puts += 1;
        if (puts > 2) throw new ImageStoreError("write_failed", "Could not save the image: the disk holding /data is full.");
        return images.put(bytes);
      },
      exportAs: images.exportAs,
      get: images.get,
    };
    storage = createMemoryStorage({ images: flaky });
    const jobs = runner(async (call) => {
      call.emit({ type: "image", image: outputImage(fakePng()) });
      return { ok: true, outcome: outcome([fakePng(), fakePng()]) };
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await jobs.idle();
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored).toMatchObject({ status: "failed", error: { code: "internal", message: expect.stringContaining("is full") } });
    // The image that did arrive stays referenced by the failed turn.
    expect(stored?.outcome?.images).toHaveLength(1);
    expect(await storage.modelTurns.get(OWNER, turn.id)).toBeNull();
  });

  it("tells followers how a turn ended even when storage can't record it", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = collect(jobs, turn.id);
    // The session goes away under the running job, so the final update finds no turn.
    await storage.sessions.delete(OWNER, session.id);
    release.resolve();
    expect((await events).at(-1)).toMatchObject({ type: "failed", turn: { status: "failed", error: { code: "internal" } } });
    const after: JobEvent[] = [];
    expectOk(await jobs.follow(OWNER, turn.id, (event) => after.push(event)));
    expect(after[0]).toMatchObject({ type: "failed", seq: 0 });
  });
});

describe("restart recovery", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-jobs-"));
  });

  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("marks a turn cut off by a crash as interrupted, keeps its files referenced, and retries it", async () => {
    const thoughtImage = fakePng();
    const before = openSqliteStorage({ dataDir });
    const crashed = createJobRunner({
      storage: before,
      gateway: () =>
        scriptedGateway(async (call) => {
          call.emit({ type: "thought", thought: { kind: "image", mimeType: "image/png", data: thoughtImage, width: null, height: null, at: 1 } });
          // The process "dies" here: this request never ends.
          return new Promise<GenerateResult>(() => {});
        }),
    });
    const session = await before.sessions.create({ ownerId: OWNER, title: "x" });
    const turn = expectOk(await crashed.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await waitFor(async () => ((await before.turns.get(OWNER, turn.id))?.outcome?.thoughts.length ?? 0) > 0);
    await before.close();

    // The next start: what lib/storage/index.ts does on first use.
    storage = openSqliteStorage({ dataDir });
    const recovered = await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR);
    expect(recovered.map((changed) => changed.id)).toEqual([turn.id]);
    const interrupted = (await storage.turns.get(OWNER, turn.id)) as Turn;
    expect(interrupted).toMatchObject({ status: "interrupted", error: { retryable: true }, request: request("A banana") });
    const thought = interrupted.outcome?.thoughts[0];
    expect(thought?.kind === "image" && (await storage.images.get(thought.hash))?.bytes.equals(thoughtImage)).toBe(true);

    const jobs = runner((call) => answer(call));
    const followed: JobEvent[] = [];
    expectOk(await jobs.follow(OWNER, turn.id, (event) => followed.push(event)));
    expect(followed).toMatchObject([{ type: "interrupted", seq: 0 }]);
    const retried = expectOk(await jobs.retry(OWNER, turn.id));
    await jobs.idle();
    expect((await storage.turns.get(OWNER, retried.id))?.status).toBe("succeeded");
    await crashed.shutdown().catch(() => undefined);
    await storage.close();
  });

  it("marks a turn still queued when the process died as interrupted, like a running one", async () => {
    const before = openSqliteStorage({ dataDir });
    const crashed = createJobRunner({
      storage: before,
      gateway: () => scriptedGateway(() => new Promise<GenerateResult>(() => {})),
      maxConcurrentJobs: 1,
    });
    const session = await before.sessions.create({ ownerId: OWNER, title: "x" });
    const running = expectOk(await crashed.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("first") }));
    const queued = expectOk(await crashed.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("second") }));
    expect((await before.turns.get(OWNER, queued.id))?.status).toBe("queued");
    await before.close();

    storage = openSqliteStorage({ dataDir });
    const recovered = await storage.turns.interruptRunning(INTERRUPTED_TURN_ERROR);
    expect(recovered.map((changed) => changed.id).sort()).toEqual([running.id, queued.id].sort());
    expect(await storage.turns.get(OWNER, queued.id)).toMatchObject({ status: "interrupted", error: INTERRUPTED_TURN_ERROR, outcome: null });
    const jobs = runner((call) => answer(call));
    const retried = expectOk(await jobs.retry(OWNER, queued.id));
    await jobs.idle();
    expect((await storage.turns.get(OWNER, retried.id))?.status).toBe("succeeded");
    await storage.close();
  });

  it("marks running turns interrupted on a graceful shutdown", async () => {
    const jobs = runner((call) => untilAborted(call.signal));
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await jobs.shutdown();
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "interrupted", error: INTERRUPTED_TURN_ERROR });
  });

  it("lets a running turn finish within the grace period of a shutdown, and refuses new starts meanwhile", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const stopping = jobs.shutdown({ graceMs: 10_000 });
    const refused = await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("One more") });
    expect(refused).toMatchObject({ ok: false, error: { code: "busy", message: expect.stringContaining("shutting down") } });
    expect((await storage.turns.listBySession(OWNER, session.id)).map((listed) => listed.id)).toEqual([turn.id]);
    release.resolve();
    await stopping;
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("succeeded");
  });

  it("interrupts a turn still running when the grace period of a shutdown is over", async () => {
    const jobs = runner((call) => untilAborted(call.signal));
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const startedAt = Date.now();
    await jobs.shutdown({ graceMs: 200 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "interrupted", error: INTERRUPTED_TURN_ERROR });
  });
});

describe("saving the outcome", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-jobs-save-"));
  });

  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** What the real response folder makes of a stream with a thought image and a final image. */
  function foldedAnswer(thoughtImage: Buffer, image: Buffer) {
    return foldChunks([
      { candidates: [{ content: { role: "model", parts: [{ text: "Plating", thought: true }] } }] },
      { candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: thoughtImage.toString("base64") }, thought: true }] } }] },
      {
        candidates: [
          {
            content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: "c2lnbmF0dXJl" }] },
            finishReason: "STOP",
          },
        ],
      },
    ]);
  }

  it.each(["memory", "sqlite"])("stores each image once and the model turn exactly as received (%s)", async (backend) => {
    const base = backend === "sqlite" ? createFileImageStore(dataDir) : createMemoryImageStore();
    const put = vi.fn(base.put);
    storage = backend === "sqlite" ? openSqliteStorage({ dataDir, images: { ...base, put } }) : createMemoryStorage({ images: { ...base, put } });
    const thoughtImage = fakePng(4_000);
    const image = fakePng(100_000);
    const folded = foldedAnswer(thoughtImage, image);
    const sent = JSON.stringify(folded.outcome.modelTurn);
    const jobs = runner(async (call) => {
      for (const event of folded.events) call.emit(event);
      return { ok: true, outcome: folded.outcome };
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await jobs.idle();

    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.status).toBe("succeeded");
    expect(put).toHaveBeenCalledTimes(2);
    expect(put.mock.calls.map(([bytes]) => Buffer.from(bytes).equals(thoughtImage) || Buffer.from(bytes).equals(image))).toEqual([true, true]);
    expect(stored?.outcome?.images).toMatchObject([{ hash: (await base.put(image)).hash, fileName: expect.stringMatching(/\.png$/) }]);
    expect(stored?.outcome?.thoughts[1]).toMatchObject({ kind: "image", hash: (await base.put(thoughtImage)).hash });
    expect(JSON.stringify(await storage.modelTurns.get(OWNER, turn.id))).toBe(sent);
    await storage.close();
  });

  /** A turn whose one image, sent as an event and in the outcome, is written by `put`. */
  async function startWithImageWrite(put: ImageStore["put"]) {
    storage = createMemoryStorage({ images: { ...images, put } });
    const modelTurnPut = vi.spyOn(storage.modelTurns, "put");
    const image = fakePng();
    const jobs = runner(async (call) => {
      call.emit({ type: "image", image: outputImage(image) });
      return { ok: true, outcome: outcome([image]) };
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    return { jobs, turn, image, modelTurnPut };
  }

  it("writes the model turn while the last image is still being stored, each image once", async () => {
    const write = deferred();
    const put = vi.fn(async (bytes: Uint8Array, options?: { sha256?: string }) => {
      await write.promise;
      return images.put(bytes, options);
    });
    const { jobs, turn, image, modelTurnPut } = await startWithImageWrite(put);
    await vi.waitFor(() => expect(modelTurnPut).toHaveBeenCalled());
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "running" });
    write.resolve();
    await jobs.idle();
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.status).toBe("succeeded");
    // The outcome joined the write the image event began.
    expect(put).toHaveBeenCalledTimes(1);
    expect(stored?.outcome?.images.map((ref) => ref.hash)).toEqual([contentHash(image)]);
    expect(await storage.modelTurns.get(OWNER, turn.id)).not.toBeNull();
  });

  it("keeps no model turn when the last image's write fails after the answer ended", async () => {
    const write = deferred();
    const { jobs, turn, modelTurnPut } = await startWithImageWrite(async () => {
      await write.promise;
      throw new ImageStoreError("write_failed", "Could not save the image: the disk holding /data is full.");
    });
    // Written while the image waits on the disk.
    await vi.waitFor(() => expect(modelTurnPut).toHaveBeenCalled());
    await vi.waitFor(async () => expect(await storage.modelTurns.get(OWNER, turn.id)).not.toBeNull());
    write.resolve();
    await jobs.idle();
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "failed", error: { message: expect.stringContaining("is full") } });
    expect(await storage.modelTurns.get(OWNER, turn.id)).toBeNull();
  });

  it("still stores an image the outcome holds that never came as an event", async () => {
    const put = vi.fn(images.put);
    storage = createMemoryStorage({ images: { ...images, put } });
    const streamed = fakePng();
    const late = fakePng();
    const jobs = runner(async (call) => {
      call.emit({ type: "image", image: outputImage(streamed) });
      return { ok: true, outcome: outcome([streamed, late]) };
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await jobs.idle();
    const stored = await storage.turns.get(OWNER, turn.id);
    expect(stored?.status).toBe("succeeded");
    expect(put).toHaveBeenCalledTimes(2);
    expect(stored?.outcome?.images.map((ref) => ref.hash)).toEqual([(await images.put(streamed)).hash, (await images.put(late)).hash]);
  });
});

describe("event stream", () => {
  async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text;
  }

  function parse(text: string) {
    return text
      .split("\n\n")
      .filter((block) => block.includes("event: "))
      .map((block) => {
        const lines = block.split("\n");
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        return { id: field("id"), event: field("event"), data: JSON.parse(field("data") ?? "null") as JobEvent };
      });
  }

  it("streams live events as SSE with heartbeats and ends after the terminal event", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      call.emit({ type: "phase", phase: "thinking" });
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const stream = await openTurnEventStream(jobs, { ownerId: OWNER, turnId: turn.id, heartbeatMs: 5 });
    expect(stream).not.toBeNull();
    const reading = readAll(stream as ReadableStream<Uint8Array>);
    await new Promise((resolve) => setTimeout(resolve, 30));
    release.resolve();
    const text = await reading;
    expect(text.startsWith("retry: 3000\n\n")).toBe(true);
    expect(text).toContain(": heartbeat\n\n");
    const events = parse(text);
    expect(events[0]).toMatchObject({ id: "1", event: "started" });
    expect(events.at(-1)).toMatchObject({ event: "done", data: { type: "done", turn: { status: "succeeded" } } });
    for (const event of events) expect(event.event).toBe(event.data.type);
  });

  it("resumes after Last-Event-ID, serves finished turns from storage, and answers null for unknown turns", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      call.emit({ type: "phase", phase: "thinking" });
      call.emit({ type: "phase", phase: "rendering" });
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    await waitFor(() => {
      let count = 0;
      jobs.subscribe(OWNER, turn.id, () => (count += 1))?.();
      return count >= 3;
    });
    const resumed = await openTurnEventStream(jobs, { ownerId: OWNER, turnId: turn.id, afterSeq: 2 });
    const reading = readAll(resumed as ReadableStream<Uint8Array>);
    release.resolve();
    expect(parse(await reading)[0]).toMatchObject({ id: "3", event: "phase" });

    const finished = await openTurnEventStream(jobs, { ownerId: OWNER, turnId: turn.id });
    expect(parse(await readAll(finished as ReadableStream<Uint8Array>))).toMatchObject([{ id: undefined, event: "done" }]);
    expect(await openTurnEventStream(jobs, { ownerId: OWNER, turnId: "no-such-turn" })).toBeNull();
    expect(await openTurnEventStream(jobs, { ownerId: "bob", turnId: turn.id })).toBeNull();
  });

  it("stops following when the client goes away, while the job carries on", async () => {
    const release = deferred();
    const jobs = runner(async (call) => {
      await release.promise;
      return answer(call);
    });
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const client = new AbortController();
    const stream = (await openTurnEventStream(jobs, { ownerId: OWNER, turnId: turn.id, signal: client.signal })) as ReadableStream<Uint8Array>;
    const reader = stream.getReader();
    expect((await reader.read()).done).toBe(false);
    client.abort();
    let done = false;
    while (!done) done = (await reader.read()).done;
    release.resolve();
    await jobs.idle();
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("succeeded");
  });
});

describe("a full disk at the very end", () => {
  /** Storage whose final turn update fails with a full disk while `full` holds, like SQLITE_FULL. */
  function fillable(): { full: boolean; failures: number } {
    const state = { full: false, failures: 0 };
    const inner = storage.turns;
    storage = {
      ...storage,
      turns: {
        ...inner,
        async update(ownerId, id, patch) {
          if (state.full && patch.status && patch.status !== "running") {
            state.failures += 1;
            const { StorageError } = await import("@/lib/storage/types");
            throw new StorageError("storage_failed", "Could not save the turn: the disk holding /data/studio.db is full.");
          }
          return inner.update(ownerId, id, patch);
        },
      },
    };
    return state;
  }

  it("retries recording the end, so a disk that frees up within the backoff loses nothing", async () => {
    const disk = fillable();
    const release = deferred();
    const jobs = runner(
      async (call) => {
        await release.promise;
        return answer(call);
      },
      { finishRetryDelaysMs: [5, 5, 50], settleIntervalMs: 60_000 },
    );
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = collect(jobs, turn.id);
    disk.full = true;
    release.resolve();
    await waitFor(() => disk.failures >= 2);
    disk.full = false;
    expect((await events).at(-1)).toMatchObject({ type: "done" });
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ status: "succeeded" });
  });

  it("never leaves the row running: the end is written once storage works again, and Retry works at once", async () => {
    const disk = fillable();
    const release = deferred();
    const jobs = runner(
      async (call) => {
        await release.promise;
        return answer(call);
      },
      { finishRetryDelaysMs: [1, 1], settleIntervalMs: 20 },
    );
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = collect(jobs, turn.id);
    disk.full = true;
    release.resolve();
    expect((await events).at(-1)).toMatchObject({ type: "failed", turn: { status: "failed", error: { code: "internal", retryable: true } } });
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("running");

    // Still full: Retry says so instead of "still running".
    const refused = await jobs.retry(OWNER, turn.id);
    expect(refused).toMatchObject({ ok: false, error: { code: "storage_failed" } });

    disk.full = false;
    await waitFor(async () => (await storage.turns.get(OWNER, turn.id))?.status === "failed");
    expect(await storage.turns.get(OWNER, turn.id)).toMatchObject({ error: { code: "internal", message: expect.stringContaining("is full") } });
    const retried = expectOk(await jobs.retry(OWNER, turn.id));
    expect(retried.id).not.toBe(turn.id);
  });

  it("Retry writes the pending end itself when storage is back before the next timer", async () => {
    const disk = fillable();
    const release = deferred();
    const jobs = runner(
      async (call) => {
        await release.promise;
        return answer(call);
      },
      { finishRetryDelaysMs: [], settleIntervalMs: 60_000 },
    );
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = collect(jobs, turn.id);
    disk.full = true;
    release.resolve();
    await events;
    disk.full = false;
    const retried = expectOk(await jobs.retry(OWNER, turn.id));
    expect(retried.id).not.toBe(turn.id);
    expect((await storage.turns.get(OWNER, turn.id))?.status).toBe("failed");
  });
});

describe("secrets the upstream echoes", () => {
  const KEY = "sk-proj_Zx9.not+google/shaped==";

  it("redacts the configured key, whatever its shape and spelling, from every stored and streamed error", async () => {
    const echoed = (text: string) =>
      createStudioError("invalid_key", {
        message: `Key ${text} rejected`,
        detail: `API key not valid: ${text}; url=?key=${encodeURIComponent(KEY)}`,
        modelText: `{"key":"${KEY}"}`,
      });
    const jobs = runner(
      async (call) => {
        call.emit({ type: "attempt", attempt: 1, maxAttempts: 2 });
        call.emit({ type: "retry", attempt: 2, maxAttempts: 2, delayMs: 1, error: echoed(KEY) });
        return { ok: false, error: echoed(KEY) };
      },
      { secrets: [KEY] },
    );
    const session = await newSession();
    const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
    const events = await collect(jobs, turn.id);
    const stored = await storage.turns.get(OWNER, turn.id);
    const everything = JSON.stringify({ events, stored });
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(encodeURIComponent(KEY));
    expect(stored?.error?.detail).toContain("[redacted]");
    expect(events.find((event) => event.type === "retry")).toMatchObject({ error: { message: "Key [redacted] rejected" } });
  });
});

describe("answers that hold no usable image", () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>');
  const junk = Buffer.from("!!!not*base64***", "base64");

  for (const [name, bytes, words] of [
    ["an SVG image part", svg, "SVG drawing"],
    ["image data that isn't base64", junk, "can't be decoded"],
  ] as const) {
    it(`fails ${name} with a clear, retryable error: never Done, never a stored file, never the data directory`, async () => {
      const jobs = runner(async (call) => {
        call.emit({ type: "attempt", attempt: 1, maxAttempts: 1 });
        call.emit({ type: "image", image: { ...outputImage(bytes), mimeType: "image/png" } });
        return { ok: true, outcome: { ...outcome([]), images: [{ ...outputImage(bytes) }] } };
      });
      const session = await newSession();
      const turn = expectOk(await jobs.startTurn({ ownerId: OWNER, sessionId: session.id, parentId: null, request: request("A banana") }));
      const events = await collect(jobs, turn.id);
      expect(events.at(-1)).toMatchObject({ type: "failed" });
      const stored = await storage.turns.get(OWNER, turn.id);
      expect(stored).toMatchObject({ status: "failed", error: { code: "no_image", retryable: true, message: expect.stringContaining(words) } });
      expect(JSON.stringify(stored?.error)).not.toContain("data directory");
      expect(await images.list()).toEqual([]);
      expect(images.exported).toEqual([]);
    });
  }
});
