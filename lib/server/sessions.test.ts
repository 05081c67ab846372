import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GeminiGateway, GenerateResult } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import type { GenerationRequest, GenerationSettings } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage } from "@/lib/storage/types";
import { REQUEST_OVERHEAD_BYTES } from "@/lib/studio/request-size";
import { createJobRunner, type JobRunner } from "./jobs/runner";
import { createStudioSessions, type StudioSessions } from "./sessions";

const OWNER = "local";
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

let storage: Storage;
let jobs: JobRunner;
let studio: StudioSessions;
let requests: GenerationRequest[];
let hold: Promise<void>;
let release: () => void;

beforeEach(() => {
  storage = createMemoryStorage();
  requests = [];
  hold = Promise.resolve();
  release = () => {};
  const gateway: GeminiGateway = {
    async listModels() {
      throw new Error("not used");
    },
    async generate(request, options = {}): Promise<GenerateResult> {
      requests.push(request);
      const aborted = new Promise<GenerateResult>((resolve) =>
        options.signal?.addEventListener("abort", () => resolve({ ok: false, error: createStudioError("cancelled") }), { once: true }),
      );
      const answered = hold.then((): GenerateResult => {
        const image = fakePng();
        return {
          ok: true,
          outcome: {
            images: [{ mimeType: "image/png", data: image, width: 1024, height: 1024, requested: null, sizeMismatch: false }],
            thoughts: [],
            text: "",
            grounding: null,
            usage: null,
            finishReason: "STOP",
            blockReason: null,
            modelVersion: null,
            responseId: null,
            modelTurn: { parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: "c2ln" }] },
            warnings: [],
          },
        };
      });
      return Promise.race([answered, aborted]);
    },
  };
  jobs = createJobRunner({ storage, gateway: () => gateway });
  studio = createStudioSessions({ storage, jobs });
});

afterEach(async () => {
  release();
  await jobs.shutdown();
});

function holdGeneration() {
  hold = new Promise<void>((resolve) => {
    release = resolve;
  });
}

function data<T>(result: { ok: true; data: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.data;
}

describe("sessions", () => {
  it("creates with a default or given title, renames, lists with search, and deletes", async () => {
    const untitled = data(await studio.createSession(OWNER, {}));
    expect(untitled.title).toBe("Untitled session");
    const named = data(await studio.createSession(OWNER, { title: "  Banana dish  " }));
    expect(named.title).toBe("Banana dish");
    expect(data(await studio.renameSession(OWNER, { sessionId: untitled.id, title: "Fox logo" })).title).toBe("Fox logo");
    expect(data(await studio.listSessions(OWNER, { query: "fox" })).map((session) => session.id)).toEqual([untitled.id]);
    expect(data(await studio.listSessions(OWNER)).map((session) => session.id)).toEqual([untitled.id, named.id]);
    expect(data(await studio.deleteSession(OWNER, { sessionId: named.id }))).toEqual({ sessionId: named.id });
    expect(data(await studio.listSessions(OWNER)).map((session) => session.id)).toEqual([untitled.id]);
  });

  it("creates a session for a first Generate only if the budget has room for what it starts", async () => {
    await storage.budgets.setDefault(0, "admin");
    const refused = await studio.createSession(OWNER, { title: "Over", budgetFor: settings });
    expect(refused).toMatchObject({ ok: false, error: { code: "budget_exceeded", budget: { leftMicroUsd: 0 } } });
    const refusedSet = await studio.createSession(OWNER, { title: "Over", budgetFor: [settings, { ...settings, imageSize: "2K" }] });
    expect(refusedSet).toMatchObject({ ok: false, error: { code: "budget_exceeded" } });
    expect(data(await studio.listSessions(OWNER))).toEqual([]);

    expect(await studio.createSession(OWNER, { budgetFor: { ...settings, imageSize: "2k" } } as never)).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await studio.createSession(OWNER, { budgetFor: [] })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(data(await studio.listSessions(OWNER))).toEqual([]);

    await storage.budgets.setDefault(null, "admin");
    const created = data(await studio.createSession(OWNER, { title: "Fits", budgetFor: settings }));
    expect(data(await studio.listSessions(OWNER)).map((session) => session.id)).toEqual([created.id]);
  });

  it("answers invalid_request for bad input and not_found for another owner's session, changing nothing", async () => {
    const session = data(await studio.createSession(OWNER, { title: "Mine" }));
    expect(await studio.createSession(OWNER, { title: "   " })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await studio.renameSession(OWNER, { sessionId: "../etc", title: "x" })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await studio.listSessions(OWNER, { query: "x".repeat(201) })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    // Untrusted input from a public endpoint may not even be an object.
    expect(await studio.getSessionView(OWNER, null as unknown as { sessionId: string })).toMatchObject({ ok: false, error: { code: "invalid_request" } });

    expect(await studio.renameSession("bob", { sessionId: session.id, title: "Stolen" })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.deleteSession("bob", { sessionId: session.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.getSessionView("bob", { sessionId: session.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.getSessionView(OWNER, { sessionId: "no-such-session" })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(data(await studio.listSessions("bob"))).toEqual([]);
    expect(data(await studio.getSessionView(OWNER, { sessionId: session.id })).session.title).toBe("Mine");
  });

  it("cancels a session's running jobs before deleting it", async () => {
    holdGeneration();
    const session = data(await studio.createSession(OWNER, {}));
    const turn = data(await studio.startTurn(OWNER, { sessionId: session.id, parentId: null, prompt: "A banana", settings }));
    expect(jobs.isRunning(turn.id)).toBe(true);
    data(await studio.deleteSession(OWNER, { sessionId: session.id }));
    expect(jobs.isRunning(turn.id)).toBe(false);
    expect(await storage.turns.get(OWNER, turn.id)).toBeNull();
  });
});

describe("deleting a session", () => {
  it("stops serving its images at once, except those another session still uses", async () => {
    const doomed = data(await studio.createSession(OWNER, {}));
    const kept = data(await studio.createSession(OWNER, {}));
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#f5c518" } }).png().toBuffer();
    const shared = await storage.images.put(png);
    // A reference is the owner's upload, as the upload route records it.
    await storage.imageAccess.recordUpload(OWNER, shared.hash);
    const reference = { hash: shared.hash, mimeType: "image/png" as const, width: 16, height: 16 };
    const first = data(await studio.startTurn(OWNER, { sessionId: doomed.id, parentId: null, prompt: "A banana", settings, references: [reference] }));
    await jobs.idle();
    data(await studio.startTurn(OWNER, { sessionId: kept.id, parentId: null, prompt: "A pear", settings, references: [reference] }));
    await jobs.idle();
    const result = (await storage.turns.get(OWNER, first.id))?.outcome?.images[0]?.hash ?? "";
    expect(await storage.images.get(result)).not.toBeNull();

    data(await studio.deleteSession(OWNER, { sessionId: doomed.id }));
    expect(await storage.images.get(result)).toBeNull();
    expect(await storage.images.get(shared.hash)).not.toBeNull();
  });
});

describe("turns", () => {
  it("starts a turn with references whose type and size are read from the stored bytes", async () => {
    const session = data(await studio.createSession(OWNER, {}));
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#f5c518" } }).png().toBuffer();
    const reference = await storage.images.put(png);
    // Someone else's image, even with its hash, is not a reference this owner can use.
    const asBob = await studio.startTurn("bob", { sessionId: session.id, parentId: null, prompt: "x", references: [{ hash: reference.hash }], settings });
    expect(asBob).toMatchObject({ ok: false });
    const otherSession = data(await studio.createSession("bob", {}));
    expect(
      await studio.startTurn("bob", { sessionId: otherSession.id, parentId: null, prompt: "x", references: [{ hash: reference.hash }], settings }),
    ).toMatchObject({ ok: false, error: { code: "invalid_request", message: "A reference image is no longer available." } });
    await storage.imageAccess.recordUpload(OWNER, reference.hash);
    const turn = data(
      await studio.startTurn(OWNER, {
        sessionId: session.id,
        parentId: null,
        prompt: "  Put this on a plate  ",
        references: [{ hash: reference.hash, role: "object" }],
        settings,
      }),
    );
    expect(turn.request).toEqual({
      prompt: "Put this on a plate",
      references: [{ hash: reference.hash, mimeType: "image/png", width: 64, height: 48, role: "object" }],
      settings,
    });
    await jobs.idle();
    const view = data(await studio.getSessionView(OWNER, { sessionId: session.id }));
    expect(view.turns.map((each) => each.status)).toEqual(["succeeded"]);
    expect(view.turns[0]?.outcome?.images[0]?.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(requests[0]?.references[0]).toMatchObject({ mimeType: "image/png", width: 64, height: 48, role: "object" });
  });

  it("refuses references that are missing or of a type Gemini doesn't take, and empty turns", async () => {
    const session = data(await studio.createSession(OWNER, {}));
    const gif = await storage.images.put(await sharp({ create: { width: 2, height: 2, channels: 3, background: "#000" } }).gif().toBuffer());
    await storage.imageAccess.recordUpload(OWNER, gif.hash);
    const start = (extra: object) => studio.startTurn(OWNER, { sessionId: session.id, parentId: null, prompt: "x", settings, ...extra });
    expect(await start({ references: [{ hash: "f".repeat(64) }] })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await start({ references: [{ hash: gif.hash }] })).toMatchObject({ ok: false, error: { code: "invalid_request", message: expect.stringContaining("image/gif") } });
    expect(await start({ prompt: "  " })).toMatchObject({ ok: false, error: { code: "invalid_request", message: "Write a prompt or add a reference image." } });
    expect(await start({ settings: { ...settings, model: "" } })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(data(await studio.getSessionView(OWNER, { sessionId: session.id })).turns).toEqual([]);
    expect(requests).toEqual([]);
  });

  it("refuses references over the model's per-role limits, whatever the browser allowed, storing nothing", async () => {
    const session = data(await studio.createSession(OWNER, {}));
    const hashes = await Promise.all(
      Array.from({ length: 7 }, async (_, n) =>
        (await storage.images.put(await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: n * 30, g: 10, b: 10 } } }).png().toBuffer())).hash,
      ),
    );
    const pro = { ...settings, model: "gemini-3-pro-image", imageSize: "1K" as const, aspectRatio: "1:1" as const, thinkingLevel: undefined, showThoughts: false };
    const refused = await studio.startTurn(OWNER, {
      sessionId: session.id,
      parentId: null,
      prompt: "Arrange these",
      references: hashes.map((hash) => ({ hash, role: "object" as const })),
      settings: pro,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: "invalid_request", message: "Gemini 3 Pro Image keeps up to 6 objects faithful; 7 are marked as objects." } });
    expect(data(await studio.getSessionView(OWNER, { sessionId: session.id })).turns).toEqual([]);
    expect(requests).toEqual([]);
  });

  it("cancels and retries, and answers not_found for turns that are not the owner's", async () => {
    holdGeneration();
    const session = data(await studio.createSession(OWNER, {}));
    const turn = data(await studio.startTurn(OWNER, { sessionId: session.id, parentId: null, prompt: "A banana", settings }));
    expect(await studio.cancelTurn("bob", { turnId: turn.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.retryTurn("bob", { turnId: turn.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.startTurn("bob", { sessionId: session.id, parentId: null, prompt: "mine now", settings })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    expect(jobs.isRunning(turn.id)).toBe(true);

    expect(data(await studio.cancelTurn(OWNER, { turnId: turn.id })).status).toBe("cancelled");
    release();
    const retried = data(await studio.retryTurn(OWNER, { turnId: turn.id }));
    expect(retried).toMatchObject({ parentId: null, request: turn.request });
    await jobs.idle();
    const view = data(await studio.getSessionView(OWNER, { sessionId: session.id }));
    expect(view.turns.map((each) => [each.id, each.status])).toEqual([
      [turn.id, "cancelled"],
      [retried.id, "succeeded"],
    ]);
    expect(view.session).toMatchObject({ turnCount: 2, lastPrompt: "A banana" });
  });

  it("estimates the request that would continue from the owner's turn, and from no one else's", async () => {
    const session = data(await studio.createSession(OWNER, {}));
    const first = data(await studio.startTurn(OWNER, { sessionId: session.id, parentId: null, prompt: "A banana", settings }));
    await jobs.idle();
    const second = data(await studio.startTurn(OWNER, { sessionId: session.id, parentId: first.id, prompt: "Gold", settings }));
    await jobs.idle();
    const recorded = await Promise.all([first, second].map(async (turn) => (await storage.turns.get(OWNER, turn.id))?.outcome?.replayBytes ?? 0));
    expect(recorded.every((bytes) => bytes > 0)).toBe(true);
    const estimate = data(await studio.estimateFollowUp(OWNER, { turnId: second.id }));
    expect(estimate).toEqual({ bytes: REQUEST_OVERHEAD_BYTES + recorded[0]! + recorded[1]!, replayedTurns: 2, level: "ok" });
    expect(data(await studio.estimateFollowUp(OWNER, { turnId: first.id })).replayedTurns).toBe(1);

    expect(await studio.estimateFollowUp("bob", { turnId: second.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await studio.estimateFollowUp(OWNER, { turnId: "../etc" })).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(await studio.estimateFollowUp(OWNER, null as never)).toMatchObject({ ok: false, error: { code: "invalid_request" } });
  });
});
