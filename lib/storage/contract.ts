import "server-only";

import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GenerationSettings, ModelTurn, StudioError } from "@/lib/gemini/types";
import { imagesOfTurns } from "./garbage";
import { StorageError, type Storage, type Turn, type TurnOutcome, type TurnRequest } from "./types";

/**
 * What every storage backend must do, as a vitest suite. A new backend (PostgreSQL, S3-compatible
 * object storage, ...) calls `describeStorageContract("postgres", factory)` from its own test file
 * and is done when it passes. The in-memory double and SQLite run it too.
 *
 * Deleting a session keeps image files: images are content-addressed, so the same bytes may back
 * another session's turns or an upload waiting in the composer. collectGarbage removes them: the
 * app calls it with the deleted session's images right after the delete, and periodically for
 * uploads no turn used within the grace period (lib/storage/garbage.ts).
 */

export interface StorageUnderTest {
  storage: Storage;
  /** Called after each test, after storage.close(); removes temp directories and the like. */
  dispose?: () => Promise<void>;
}

export type StorageFactory = () => Promise<StorageUnderTest>;

const ALICE = "alice";
const BOB = "bob";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: false,
  imageOnly: false,
};

/** Bytes the image stores accept: a PNG signature, then noise so each call is a different image. */
export function fakePng(size = 64): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size)]);
}

function request(prompt: string, extra: Partial<TurnRequest> = {}): TurnRequest {
  return { prompt, references: [], settings, ...extra };
}

const anError: StudioError = {
  code: "service_unavailable",
  message: "Google's image service is overloaded.",
  action: "Try again in a minute.",
  retryable: true,
  retryAfterMs: 30_000,
  httpStatus: 503,
  detail: "UNAVAILABLE",
};

function fullOutcome(imageHash: string, thoughtHash: string): TurnOutcome {
  return {
    images: [
      {
        hash: imageHash,
        mimeType: "image/png",
        width: 1376,
        height: 768,
        fileName: "gen-a-banana-20261122-101500.png",
        requested: { width: 1376, height: 768 },
        sizeMismatch: false,
      },
    ],
    thoughts: [
      { kind: "text", text: "**Plating** the banana — «deliberately» 🍌", at: 812 },
      { kind: "image", hash: thoughtHash, mimeType: "image/png", width: null, height: null, at: 4_210 },
    ],
    text: "Here is your dish.\nLine two: \u2028 and \u0000 survive.",
    grounding: {
      webQueries: ["banana dish"],
      imageQueries: [],
      sources: [{ index: 0, kind: "web", uri: "https://example.com/a", title: "A", domain: "example.com" }],
      supports: [{ startByte: 0, endByte: 17, text: "Here is your dish", sourceIndices: [0] }],
      searchEntryPointHtml: "<style>.x{}</style><div class=x>banana</div>",
    },
    usage: { promptTokens: 12, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 230, totalTokens: 1362 },
    finishReason: "STOP",
    blockReason: null,
    modelVersion: "gemini-3.1-flash-image",
    responseId: "resp-1",
    warnings: ["Asked for 1:1 but got 16:9."],
  };
}

export function describeStorageContract(name: string, factory: StorageFactory): void {
  describe(`storage contract: ${name}`, () => {
    let subject: StorageUnderTest;
    let storage: Storage;

    beforeEach(async () => {
      subject = await factory();
      storage = subject.storage;
    });

    afterEach(async () => {
      await storage.close();
      await subject.dispose?.();
    });

    async function sessionWithTurn(ownerId = ALICE, prompt = "A banana") {
      const session = await storage.sessions.create({ ownerId, title: "Banana" });
      const turn = await storage.turns.create({ ownerId, sessionId: session.id, parentId: null, request: request(prompt) });
      return { session, turn };
    }

    async function succeed(turn: Turn, outcome: TurnOutcome | null = null): Promise<Turn> {
      await storage.turns.update(turn.ownerId, turn.id, { status: "running" });
      return storage.turns.update(turn.ownerId, turn.id, { status: "succeeded", outcome, attempts: 1 });
    }

    describe("sessions", () => {
      it("creates, reads, and lists newest activity first", async () => {
        const first = await storage.sessions.create({ ownerId: ALICE, title: "First" });
        const second = await storage.sessions.create({ ownerId: ALICE, title: "Second" });
        expect(first).toMatchObject({ ownerId: ALICE, title: "First", turnCount: 0, lastPrompt: null, coverImageHash: null });
        expect(first.createdAt).toBe(first.updatedAt);
        expect(await storage.sessions.get(ALICE, first.id)).toEqual(first);
        expect((await storage.sessions.list(ALICE)).map((session) => session.id)).toEqual([second.id, first.id]);

        // A new turn is activity: the older session moves to the top.
        await storage.turns.create({ ownerId: ALICE, sessionId: first.id, parentId: null, request: request("later") });
        const listed = await storage.sessions.list(ALICE);
        expect(listed.map((session) => session.id)).toEqual([first.id, second.id]);
        expect(listed[0]).toMatchObject({ turnCount: 1, lastPrompt: "later" });
        expect(await storage.sessions.list(ALICE, { limit: 1 })).toHaveLength(1);
      });

      it("lists in pages: limit and offset walk the whole list in order, searches too", async () => {
        const created = [];
        for (let index = 0; index < 7; index += 1) created.push(await storage.sessions.create({ ownerId: ALICE, title: `Page test ${index}` }));
        await storage.sessions.create({ ownerId: BOB, title: "Page test of someone else" });
        const newestFirst = created.map((session) => session.id).reverse();
        const pages = [];
        for (let offset = 0; offset < 9; offset += 3) pages.push((await storage.sessions.list(ALICE, { limit: 3, offset })).map((session) => session.id));
        expect(pages).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);
        expect(await storage.sessions.list(ALICE, { offset: 7 })).toEqual([]);
        const searched = await storage.sessions.list(ALICE, { query: "page test", limit: 4, offset: 4 });
        expect(searched.map((session) => session.id)).toEqual(newestFirst.slice(4));
      });

      it("renames, moving updatedAt, and answers null for a session that is not the owner's", async () => {
        const session = await storage.sessions.create({ ownerId: ALICE, title: "Old" });
        const renamed = await storage.sessions.rename(ALICE, session.id, "New name ✨");
        expect(renamed).toMatchObject({ id: session.id, title: "New name ✨" });
        expect(renamed && renamed.updatedAt > session.updatedAt).toBe(true);
        expect(await storage.sessions.rename(BOB, session.id, "Stolen")).toBeNull();
        expect(await storage.sessions.rename(ALICE, "no-such-session", "x")).toBeNull();
        expect((await storage.sessions.get(ALICE, session.id))?.title).toBe("New name ✨");
      });

      it("keeps owners apart", async () => {
        const mine = await storage.sessions.create({ ownerId: ALICE, title: "Mine" });
        await storage.sessions.create({ ownerId: BOB, title: "Bob's" });
        expect(await storage.sessions.get(BOB, mine.id)).toBeNull();
        expect((await storage.sessions.list(ALICE)).map((session) => session.title)).toEqual(["Mine"]);
        expect((await storage.sessions.list(BOB)).map((session) => session.title)).toEqual(["Bob's"]);
        expect(await storage.sessions.list("nobody")).toEqual([]);
      });

      it("shows the newest succeeded image as the cover", async () => {
        const { session, turn } = await sessionWithTurn();
        const image = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        await succeed(turn, fullOutcome(image.hash, thought.hash));
        // A later turn that is still running has no image yet: the cover stays.
        await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: turn.id, request: request("gold") });
        expect(await storage.sessions.get(ALICE, session.id)).toMatchObject({ turnCount: 2, lastPrompt: "gold", coverImageHash: image.hash });
      });
    });

    describe("search", () => {
      it("finds sessions by the prompts of their turns and by title, case-insensitively, per owner", async () => {
        const dish = await sessionWithTurn(ALICE, "A nano Banana dish in a fancy restaurant");
        const logo = await storage.sessions.create({ ownerId: ALICE, title: "Logo work" });
        await storage.turns.create({ ownerId: ALICE, sessionId: logo.id, parentId: null, request: request("A minimalist fox logo") });
        await sessionWithTurn(BOB, "banana for bob");

        const ids = async (query: string) => (await storage.sessions.list(ALICE, { query })).map((session) => session.id);
        expect(await ids("banana")).toEqual([dish.session.id]);
        expect(await ids("FANCY rest")).toEqual([dish.session.id]);
        expect(await ids("logo")).toEqual([logo.id]);
        expect(await ids("work")).toEqual([logo.id]);
        expect(await ids("fo")).toEqual([logo.id]);
        expect(await ids("  ")).toEqual([logo.id, dish.session.id]);
        expect(await ids("giraffe")).toEqual([]);
      });

      it("takes %, _ and quotes literally", async () => {
        const percent = await sessionWithTurn(ALICE, 'Make it 100% "gold"');
        await sessionWithTurn(ALICE, "Make it 1000 gold");
        const ids = async (query: string) => (await storage.sessions.list(ALICE, { query })).map((session) => session.id);
        expect(await ids("100%")).toEqual([percent.session.id]);
        expect(await ids('"gold"')).toEqual([percent.session.id]);
        expect(await ids("%")).toEqual([percent.session.id]);
        expect(await ids("_")).toEqual([]);
      });
    });

    describe("turns", () => {
      it("forms a tree: any turn can be branched, chains run root to turn, lists run in creation order", async () => {
        const { session, turn: root } = await sessionWithTurn();
        expect(root).toMatchObject({ status: "queued", parentId: null, outcome: null, error: null, attempts: 0, ownerId: ALICE });
        const child = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: root.id, request: request("gold") });
        const grandchild = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: child.id, request: request("logo") });
        const branch = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: root.id, request: request("silver") });

        expect((await storage.turns.listBySession(ALICE, session.id)).map((turn) => turn.id)).toEqual([root.id, child.id, grandchild.id, branch.id]);
        expect((await storage.turns.chain(ALICE, grandchild.id))?.map((turn) => turn.id)).toEqual([root.id, child.id, grandchild.id]);
        expect((await storage.turns.chain(ALICE, branch.id))?.map((turn) => turn.id)).toEqual([root.id, branch.id]);
        expect((await storage.turns.chain(ALICE, root.id))?.map((turn) => turn.id)).toEqual([root.id]);
        const createdAt = (await storage.turns.listBySession(ALICE, session.id)).map((turn) => turn.createdAt);
        expect([...createdAt].sort()).toEqual(createdAt);
        expect(new Set(createdAt).size).toBe(createdAt.length);
      });

      it("keeps the request exactly, references and every setting included", async () => {
        const session = await storage.sessions.create({ ownerId: ALICE, title: "x" });
        const reference = await storage.images.put(fakePng());
        const exact = request("Put the cat on the sofa — «now»", {
          references: [
            { hash: reference.hash, mimeType: "image/png", width: 640, height: 480, role: "character" },
            { hash: reference.hash, mimeType: "image/png", width: null, height: null },
          ],
          settings: { ...settings, aspectRatio: "match-input", thinkingLevel: undefined, imageOnly: true },
        });
        const turn = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: exact });
        expect((await storage.turns.get(ALICE, turn.id))?.request).toEqual(JSON.parse(JSON.stringify(exact)));
      });

      it("refuses a session or parent that is missing or not the owner's, and creates nothing", async () => {
        const { session, turn } = await sessionWithTurn();
        const other = await sessionWithTurn(ALICE, "other session");
        const bobs = await sessionWithTurn(BOB, "bob");
        const attempts = [
          { ownerId: ALICE, sessionId: "no-such-session", parentId: null },
          { ownerId: BOB, sessionId: session.id, parentId: null },
          { ownerId: ALICE, sessionId: session.id, parentId: "no-such-turn" },
          { ownerId: ALICE, sessionId: session.id, parentId: other.turn.id },
          { ownerId: ALICE, sessionId: session.id, parentId: bobs.turn.id },
          { ownerId: BOB, sessionId: bobs.session.id, parentId: turn.id },
        ];
        for (const attempt of attempts) {
          await expect(storage.turns.create({ ...attempt, request: request("nope") })).rejects.toMatchObject({
            name: "StorageError",
            code: "not_found",
          });
        }
        expect(await storage.turns.listBySession(ALICE, session.id)).toHaveLength(1);
        expect(await storage.turns.listBySession(BOB, bobs.session.id)).toHaveLength(1);
        expect((await storage.sessions.get(ALICE, session.id))?.turnCount).toBe(1);
      });

      it("hides other owners' turns everywhere", async () => {
        const { session, turn } = await sessionWithTurn();
        expect(await storage.turns.get(BOB, turn.id)).toBeNull();
        expect(await storage.turns.chain(BOB, turn.id)).toBeNull();
        expect(await storage.turns.listBySession(BOB, session.id)).toEqual([]);
        await expect(storage.turns.update(BOB, turn.id, { status: "running" })).rejects.toMatchObject({ code: "not_found" });
        expect((await storage.turns.get(ALICE, turn.id))?.status).toBe("queued");
      });

      it("answers not found for unknown and malformed ids without throwing", async () => {
        for (const id of ["no-such-id", "../../etc/passwd", "", "x".repeat(500)]) {
          expect(await storage.sessions.get(ALICE, id)).toBeNull();
          expect(await storage.turns.get(ALICE, id)).toBeNull();
          expect(await storage.turns.chain(ALICE, id)).toBeNull();
          expect(await storage.turns.listBySession(ALICE, id)).toEqual([]);
          expect(await storage.modelTurns.get(ALICE, id)).toBeNull();
          expect(await storage.sessions.delete(ALICE, id)).toBe(false);
          await expect(storage.turns.update(ALICE, id, { status: "running" })).rejects.toBeInstanceOf(StorageError);
        }
      });
    });

    describe("status", () => {
      it("moves queued → running → succeeded, and a finished turn can't change any more", async () => {
        const { session, turn } = await sessionWithTurn();
        const running = await storage.turns.update(ALICE, turn.id, { status: "running", attempts: 1 });
        expect(running).toMatchObject({ status: "running", attempts: 1 });
        expect(running.updatedAt > turn.updatedAt).toBe(true);
        const done = await storage.turns.update(ALICE, turn.id, { status: "succeeded" });
        expect(done.status).toBe("succeeded");
        expect((await storage.sessions.get(ALICE, session.id))?.updatedAt).toBe(done.updatedAt);

        for (const status of ["running", "failed", "cancelled", "interrupted", "queued"] as const) {
          await expect(storage.turns.update(ALICE, turn.id, { status })).rejects.toMatchObject({ code: "invalid_transition" });
        }
        await expect(storage.turns.update(ALICE, turn.id, { outcome: null })).rejects.toMatchObject({ code: "invalid_transition" });
        expect((await storage.turns.get(ALICE, turn.id))?.status).toBe("succeeded");
      });

      it("saves a running turn's outcome without moving the session's time, and finishes with the outcome in one write", async () => {
        const { session, turn } = await sessionWithTurn();
        const image = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        const outcome = fullOutcome(image.hash, thought.hash);
        const running = await storage.turns.update(ALICE, turn.id, { status: "running" });
        const partial = await storage.turns.update(ALICE, turn.id, { outcome: { ...outcome, thoughts: [] }, attempts: 1 });
        expect(partial).toMatchObject({ status: "running", attempts: 1, cost: null, error: null });
        expect((await storage.sessions.get(ALICE, session.id))?.updatedAt).toBe(running.updatedAt);
        expect(await storage.imageAccess.canRead(ALICE, image.hash)).toBe(true);
        expect(await storage.imageAccess.canRead(ALICE, thought.hash)).toBe(false);

        const done = await storage.turns.update(ALICE, turn.id, { status: "succeeded", outcome });
        expect(done).toMatchObject({ status: "succeeded", attempts: 1, outcome, error: null });
        expect(done.cost).toMatchObject({ model: settings.model, billedAt: done.updatedAt });
        expect(await storage.sessions.get(ALICE, session.id)).toMatchObject({ updatedAt: done.updatedAt, coverImageHash: image.hash });
        expect(await storage.imageAccess.canRead(ALICE, thought.hash)).toBe(true);
        expect(await storage.turns.get(ALICE, turn.id)).toEqual(done);

        const patches = [{ status: "failed", outcome, error: anError }, { outcome }, { status: "succeeded", outcome }, { attempts: 3 }] as const;
        for (const patch of patches) await expect(storage.turns.update(ALICE, turn.id, patch)).rejects.toMatchObject({ code: "invalid_transition" });
        await expect(storage.turns.update(BOB, turn.id, { status: "failed", outcome, error: anError })).rejects.toMatchObject({ code: "not_found" });
        expect(await storage.turns.get(ALICE, turn.id)).toEqual(done);
      });

      it("refuses a queued turn's outcome as a success, and keeps it queued", async () => {
        const { turn } = await sessionWithTurn();
        await expect(storage.turns.update(ALICE, turn.id, { status: "succeeded", outcome: emptyOutcomeForTest() })).rejects.toMatchObject({ code: "invalid_transition" });
        expect((await storage.turns.get(ALICE, turn.id))?.status).toBe("queued");
      });

      it("refuses skipping running on the way to succeeded, and going back to queued", async () => {
        const { turn } = await sessionWithTurn();
        await expect(storage.turns.update(ALICE, turn.id, { status: "succeeded" })).rejects.toMatchObject({ code: "invalid_transition" });
        await storage.turns.update(ALICE, turn.id, { status: "running" });
        await expect(storage.turns.update(ALICE, turn.id, { status: "queued" })).rejects.toMatchObject({ code: "invalid_transition" });
        // Cancelling straight from the queue is fine.
        const { turn: queued } = await sessionWithTurn();
        expect((await storage.turns.update(ALICE, queued.id, { status: "cancelled" })).status).toBe("cancelled");
      });

      it("round-trips a full outcome, and a failure with its error and partial outcome", async () => {
        const { session, turn } = await sessionWithTurn();
        const image = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        const outcome = fullOutcome(image.hash, thought.hash);
        await storage.turns.update(ALICE, turn.id, { status: "running" });
        // While running, the partial outcome is saved as it grows.
        const partial = { ...outcome, images: [], text: "" };
        expect((await storage.turns.update(ALICE, turn.id, { outcome: partial })).outcome).toEqual(partial);
        await storage.turns.update(ALICE, turn.id, { status: "succeeded", outcome, attempts: 2 });
        expect(await storage.turns.get(ALICE, turn.id)).toMatchObject({ outcome, attempts: 2, error: null, status: "succeeded" });

        const failed = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: turn.id, request: request("gold") });
        await storage.turns.update(ALICE, failed.id, { status: "running" });
        await storage.turns.update(ALICE, failed.id, { status: "failed", error: anError, outcome: partial, attempts: 4 });
        const read = await storage.turns.get(ALICE, failed.id);
        expect(read).toMatchObject({ status: "failed", error: anError, outcome: partial, attempts: 4 });
        // The failed turn keeps its request, so Retry can repeat it exactly.
        expect(read?.request).toEqual(request("gold"));
      });

      it("marks every queued or running turn interrupted on recovery, and nothing else", async () => {
        const { session, turn: running } = await sessionWithTurn();
        await storage.turns.update(ALICE, running.id, { status: "running" });
        const queued = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: request("q") });
        const finished = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: request("f") });
        await succeed(finished);
        const { turn: bobs } = await sessionWithTurn(BOB, "bob");
        await storage.turns.update(BOB, bobs.id, { status: "running" });

        const interruptedError: StudioError = { code: "internal", message: "The studio stopped.", action: "Retry.", retryable: true };
        const changed = await storage.turns.interruptRunning(interruptedError);
        expect(changed.map((turn) => turn.id).sort()).toEqual([running.id, queued.id, bobs.id].sort());
        for (const turn of changed) expect(turn).toMatchObject({ status: "interrupted", error: interruptedError });
        expect((await storage.turns.get(ALICE, finished.id))?.status).toBe("succeeded");
        expect((await storage.turns.get(BOB, bobs.id))?.status).toBe("interrupted");
        expect(await storage.turns.interruptRunning(interruptedError)).toEqual([]);
      });

      it("leaves turns waiting for a batch job out of recovery, lists them, and bills them at half price", async () => {
        const { session } = await sessionWithTurn();
        const batch = { name: "batches/abc123", index: 1, submittedAt: "2026-12-06T10:00:00.000Z" };
        const waiting = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: { ...request("b"), batch } });
        const { turn: bobs } = await sessionWithTurn(BOB, "bob");
        const bobsBatch = await storage.turns.create({ ownerId: BOB, sessionId: bobs.sessionId, parentId: null, request: { ...request("c"), batch } });
        await storage.turns.update(BOB, bobsBatch.id, { status: "running" });
        const direct = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: request("d") });

        const changed = await storage.turns.interruptRunning({ code: "internal", message: "The studio stopped.", action: "Retry.", retryable: true });
        expect(changed.map((turn) => turn.id)).not.toContain(waiting.id);
        expect(changed.map((turn) => turn.id)).not.toContain(bobsBatch.id);
        expect(changed.map((turn) => turn.id)).toContain(direct.id);
        const listed = await storage.turns.listBatchWaiting();
        expect(listed.map((turn) => turn.id).sort()).toEqual([waiting.id, bobsBatch.id].sort());
        expect(listed.find((turn) => turn.id === waiting.id)?.request.batch).toEqual(batch);

        const usage = { promptTokens: 10, outputTokens: 1290, imageTokens: 1290, thoughtsTokens: 0, totalTokens: 1300 };
        const outcome = { ...emptyOutcomeForTest(), usage };
        const landed = await succeed(waiting, outcome);
        const full = await succeed(await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: request("e") }), outcome);
        expect(full.cost?.microUsd).toBeGreaterThan(0);
        expect(landed.cost?.microUsd).toBe(Math.round((full.cost?.microUsd ?? 0) / 2));
        expect((await storage.turns.listBatchWaiting()).map((turn) => turn.id)).toEqual([bobsBatch.id]);
      });
    });

    describe("model turns", () => {
      it("round-trips a model turn byte for byte: 600 KB signature, image parts, unknown fields, part order", async () => {
        const { turn } = await sessionWithTurn();
        const signature = randomBytes(448_212).toString("base64");
        expect(signature.length).toBeGreaterThan(597_000);
        const thoughtImage = fakePng(2_000).toString("base64");
        const finalImage = fakePng(50_000).toString("base64");
        const modelTurn: ModelTurn = {
          parts: [
            { text: "**Thinking** about 🍌", thought: true },
            { inlineData: { mimeType: "image/png", data: thoughtImage }, thought: true },
            { thoughtSignature: signature, inlineData: { data: finalImage, mimeType: "image/png", displayName: "x" } },
            { text: "Here it is.", futureField: { nested: [1, "two", null, { deep: true }] }, thoughtSignature: "c2ln" },
            // Not an image, and not canonical base64: must stay exactly as sent.
            { inlineData: { mimeType: "application/octet-stream", data: Buffer.from("hello").toString("base64") } },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo" } },
            { inlineData: { mimeType: "image/png", data: "" } },
            { text: "" },
          ],
        };
        const sent = JSON.stringify(modelTurn);
        await storage.modelTurns.put(ALICE, turn.id, modelTurn);
        const back = await storage.modelTurns.get(ALICE, turn.id);
        expect(JSON.stringify(back)).toBe(sent);
        // What came back is a copy: changing it changes nothing stored.
        back?.parts.pop();
        expect(JSON.stringify(await storage.modelTurns.get(ALICE, turn.id))).toBe(sent);
        expect(JSON.stringify(modelTurn)).toBe(sent);
      });

      it("reads back the same when the caller names the images it already stored, even a hint that does not fit", async () => {
        const { turn } = await sessionWithTurn();
        const thoughtBytes = fakePng(2_001);
        const finalBytes = fakePng(50_000);
        const urlSafeBytes = fakePng(3_000);
        const thought = await storage.images.put(thoughtBytes);
        const final = await storage.images.put(finalBytes);
        const urlSafe = await storage.images.put(urlSafeBytes);
        // Decodes to the same bytes, but is not the string those bytes encode to.
        const urlSafeData = urlSafeBytes.toString("base64url");
        expect(Buffer.from(urlSafeData, "base64").equals(urlSafeBytes)).toBe(true);
        const modelTurn: ModelTurn = {
          parts: [
            { text: "sketch", thought: true },
            { inlineData: { mimeType: "image/png", data: thoughtBytes.toString("base64") }, thought: true },
            { thoughtSignature: randomBytes(1_000).toString("base64"), inlineData: { data: finalBytes.toString("base64"), mimeType: "image/png" } },
            { inlineData: { mimeType: "image/png", data: urlSafeData } },
            { text: "Here it is." },
          ],
        };
        const sent = JSON.stringify(modelTurn);
        const known = new Map([
          [0, { hash: final.hash, byteLength: final.byteLength }],
          [1, { hash: thought.hash, byteLength: thought.byteLength }],
          [2, { hash: final.hash, byteLength: final.byteLength }],
          [3, { hash: urlSafe.hash, byteLength: urlSafe.byteLength }],
        ]);
        await storage.modelTurns.put(ALICE, turn.id, modelTurn, known);
        expect(JSON.stringify(await storage.modelTurns.get(ALICE, turn.id))).toBe(sent);
        expect(JSON.stringify(modelTurn)).toBe(sent);
      });

      it("is per owner and per turn, replaced by a later put, and refused for a turn that is not the owner's", async () => {
        const { session, turn } = await sessionWithTurn();
        const other = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: null, request: request("b") });
        await storage.modelTurns.put(ALICE, turn.id, { parts: [{ text: "one" }] });
        await storage.modelTurns.put(ALICE, turn.id, { parts: [{ text: "two" }] });
        expect(await storage.modelTurns.get(ALICE, turn.id)).toEqual({ parts: [{ text: "two" }] });
        expect(await storage.modelTurns.get(ALICE, other.id)).toBeNull();
        expect(await storage.modelTurns.get(BOB, turn.id)).toBeNull();
        await expect(storage.modelTurns.put(BOB, turn.id, { parts: [] })).rejects.toMatchObject({ code: "not_found" });
        await expect(storage.modelTurns.put(ALICE, "no-such-turn", { parts: [] })).rejects.toMatchObject({ code: "not_found" });
        await storage.modelTurns.delete(ALICE, turn.id);
        expect(await storage.modelTurns.get(ALICE, turn.id)).toBeNull();
      });
    });

    describe("delete", () => {
      it("removes the session with all its turns and model turns, keeps images, and leaves the rest alone", async () => {
        const { session, turn } = await sessionWithTurn(ALICE, "doomed banana");
        const child = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: turn.id, request: request("gold") });
        const image = await storage.images.put(fakePng());
        await succeed(turn, fullOutcome(image.hash, image.hash));
        await storage.modelTurns.put(ALICE, turn.id, { parts: [{ text: "hi", thoughtSignature: "c2ln" }] });
        const kept = await sessionWithTurn(ALICE, "kept banana");
        await storage.modelTurns.put(ALICE, kept.turn.id, { parts: [{ text: "kept" }] });

        expect(await storage.sessions.delete(BOB, session.id)).toBe(false);
        expect(await storage.sessions.get(ALICE, session.id)).not.toBeNull();

        expect(await storage.sessions.delete(ALICE, session.id)).toBe(true);
        expect(await storage.sessions.get(ALICE, session.id)).toBeNull();
        expect(await storage.turns.get(ALICE, turn.id)).toBeNull();
        expect(await storage.turns.get(ALICE, child.id)).toBeNull();
        expect(await storage.turns.chain(ALICE, child.id)).toBeNull();
        expect(await storage.turns.listBySession(ALICE, session.id)).toEqual([]);
        expect(await storage.modelTurns.get(ALICE, turn.id)).toBeNull();
        expect(await storage.images.get(image.hash)).not.toBeNull();
        expect((await storage.sessions.list(ALICE, { query: "banana" })).map((s) => s.id)).toEqual([kept.session.id]);
        expect(await storage.modelTurns.get(ALICE, kept.turn.id)).toEqual({ parts: [{ text: "kept" }] });
        expect(await storage.sessions.delete(ALICE, session.id)).toBe(false);
      });
    });

    describe("cost ledger", () => {
      const month = { from: "2000-01-01T00:00:00.000Z", to: "2999-01-01T00:00:00.000Z" };

      it("records the cost with the final status, from the usage Google returned", async () => {
        const { turn } = await sessionWithTurn();
        expect(turn.cost).toBeNull();
        const running = await storage.turns.update(ALICE, turn.id, { status: "running" });
        expect(running.cost).toBeNull();
        const image = await storage.images.put(fakePng());
        const done = await storage.turns.update(ALICE, turn.id, { status: "succeeded", outcome: fullOutcome(image.hash, image.hash) });
        // 3.1 Flash: 12 input x $0.50/M = 6; 230 thinking x $3/M = 690; 1120 image x $60/M = 67 200.
        // The grounded answer used one search query, which has no known price.
        expect(done.cost).toEqual({
          model: "gemini-3.1-flash-image",
          status: "priced",
          microUsd: 67_896,
          unpriced: ["search"],
          pricesReadOn: "2026-02-01",
          billedAt: done.updatedAt,
        });
        expect((await storage.turns.get(ALICE, turn.id))?.cost).toEqual(done.cost);
        expect(await storage.ledger.spent({ ...month, ownerId: ALICE })).toBe(67_896);
      });

      it("counts what a failed turn was billed (a blocked image's thinking) and marks missing usage as not reported", async () => {
        const blocked = await sessionWithTurn(ALICE, "blocked");
        await storage.turns.update(ALICE, blocked.turn.id, { status: "running" });
        const failed = await storage.turns.update(ALICE, blocked.turn.id, {
          status: "failed",
          error: anError,
          outcome: { ...emptyOutcomeForTest(), finishReason: "IMAGE_SAFETY", usage: { promptTokens: 10, outputTokens: 0, imageTokens: 0, thoughtsTokens: 100, totalTokens: 110 } },
        });
        // 10 x 0.5 + 100 x 3 = 305 µ$.
        expect(failed.cost).toMatchObject({ status: "priced", microUsd: 305 });

        const cancelled = await sessionWithTurn(ALICE, "cancelled");
        const stopped = await storage.turns.update(ALICE, cancelled.turn.id, { status: "cancelled", error: anError });
        expect(stopped.cost).toMatchObject({ status: "not_reported", microUsd: null });

        const lost = await sessionWithTurn(ALICE, "lost");
        await storage.turns.update(ALICE, lost.turn.id, { status: "running" });
        const [interrupted] = await storage.turns.interruptRunning(anError);
        expect(interrupted?.cost).toMatchObject({ status: "not_reported", microUsd: null });

        const entries = await storage.ledger.entries({ ...month, ownerId: ALICE });
        expect(entries.map((entry) => [entry.turnId, entry.status, entry.cost.microUsd])).toEqual([
          [blocked.turn.id, "failed", 305],
          [cancelled.turn.id, "cancelled", null],
          [lost.turn.id, "interrupted", null],
        ]);
        expect(await storage.ledger.spent({ ...month, ownerId: ALICE })).toBe(305);
      });

      it("filters by owner and by billing time, half-open", async () => {
        const a = await sessionWithTurn(ALICE);
        const b = await sessionWithTurn(BOB);
        const usage = { promptTokens: 0, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1120 };
        const doneA = await succeed(a.turn, { ...emptyOutcomeForTest(), usage });
        await succeed(b.turn, { ...emptyOutcomeForTest(), usage });
        expect((await storage.ledger.entries(month)).map((entry) => entry.ownerId).sort()).toEqual([ALICE, BOB]);
        expect((await storage.ledger.entries({ ...month, ownerId: BOB })).map((entry) => entry.turnId)).toEqual([b.turn.id]);
        const billedAt = doneA.cost?.billedAt ?? "";
        expect(await storage.ledger.spent({ from: billedAt, to: "2999-01-01T00:00:00.000Z", ownerId: ALICE })).toBe(67_200);
        expect(await storage.ledger.spent({ from: "2000-01-01T00:00:00.000Z", to: billedAt, ownerId: ALICE })).toBe(0);
      });

      it("lists the requests an owner has queued or running", async () => {
        const { turn } = await sessionWithTurn(ALICE, "in flight");
        await sessionWithTurn(BOB, "bob's");
        expect((await storage.ledger.activeRequests(ALICE)).map((r) => r.prompt)).toEqual(["in flight"]);
        await succeed(turn);
        expect(await storage.ledger.activeRequests(ALICE)).toEqual([]);
      });

      it("gives a budget check's standing in one call: the override, else the default; the range's spending; the turns in flight", async () => {
        const everything = { from: month.from, to: month.to };
        expect(await storage.budgets.standing(ALICE, everything)).toEqual({ limitMicroUsd: null, source: "default", spentMicroUsd: 0, activeRequests: [] });
        await storage.budgets.setDefault(9_000_000, "admin");
        await sessionWithTurn(ALICE, "in flight");
        const done = await sessionWithTurn(ALICE, "done");
        const usage = { promptTokens: 0, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1120 };
        const billed = await succeed(done.turn, { ...emptyOutcomeForTest(), usage });
        await sessionWithTurn(BOB, "bob's");
        expect(await storage.budgets.standing(ALICE, everything)).toEqual({
          limitMicroUsd: 9_000_000,
          source: "default",
          spentMicroUsd: 67_200,
          activeRequests: [request("in flight")],
        });
        expect((await storage.budgets.standing(ALICE, { from: month.from, to: billed.cost?.billedAt ?? "" })).spentMicroUsd).toBe(0);
        await storage.budgets.setOverride(ALICE, null, "admin");
        expect(await storage.budgets.standing(ALICE, everything)).toMatchObject({ limitMicroUsd: null, source: "override" });
        await storage.budgets.setOverride(ALICE, 5, "admin");
        expect(await storage.budgets.standing(ALICE, everything)).toMatchObject({ limitMicroUsd: 5, source: "override", spentMicroUsd: 67_200 });
        expect(await storage.budgets.standing(BOB, everything)).toEqual({
          limitMicroUsd: 9_000_000,
          source: "default",
          spentMicroUsd: 0,
          activeRequests: [request("bob's")],
        });
      });
    });

    describe("budgets", () => {
      it("has no default limit until one is set, and keeps who set it", async () => {
        expect(await storage.budgets.getDefault()).toEqual({ limitMicroUsd: null, updatedAt: null, updatedBy: null });
        const set = await storage.budgets.setDefault(20_000_000, "admin");
        expect(set).toMatchObject({ limitMicroUsd: 20_000_000, updatedBy: "admin" });
        expect(await storage.budgets.getDefault()).toEqual(set);
        expect((await storage.budgets.setDefault(null, "admin")).limitMicroUsd).toBeNull();
      });

      it("keeps per-user overrides, including 'no limit', and clears them", async () => {
        expect(await storage.budgets.getOverride(ALICE)).toBeNull();
        await storage.budgets.setOverride(ALICE, 5_000_000, "admin");
        await storage.budgets.setOverride(BOB, null, "admin");
        await storage.budgets.setOverride(ALICE, 7_000_000, "admin");
        expect((await storage.budgets.listOverrides()).map((o) => [o.ownerId, o.limitMicroUsd])).toEqual([
          [ALICE, 7_000_000],
          [BOB, null],
        ]);
        expect(await storage.budgets.clearOverride(ALICE)).toBe(true);
        expect(await storage.budgets.clearOverride(ALICE)).toBe(false);
        expect(await storage.budgets.getOverride(ALICE)).toBeNull();
      });

      it("refuses a limit that is not a whole, non-negative number of micro-dollars and changes nothing", async () => {
        await storage.budgets.setDefault(1_000_000, "admin");
        for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(storage.budgets.setDefault(bad, "admin")).rejects.toMatchObject({ code: "invalid_value" });
          await expect(storage.budgets.setOverride(ALICE, bad, "admin")).rejects.toMatchObject({ code: "invalid_value" });
        }
        expect((await storage.budgets.getDefault()).limitMicroUsd).toBe(1_000_000);
        expect(await storage.budgets.getOverride(ALICE)).toBeNull();
      });
    });

    describe("shares", () => {
      it("shares the owner's session, changes the mode, and unshares", async () => {
        const { session } = await sessionWithTurn(ALICE);
        expect(await storage.shares.get(session.id)).toBeNull();
        const share = await storage.shares.set(ALICE, session.id, "view");
        expect(share).toMatchObject({ sessionId: session.id, ownerId: ALICE, mode: "view", sharedBy: ALICE });
        expect(await storage.shares.get(session.id)).toEqual(share);
        expect((await storage.shares.set(ALICE, session.id, "continue")).mode).toBe("continue");
        expect(await storage.shares.remove(BOB, session.id)).toBe(false);
        expect(await storage.shares.remove(ALICE, session.id)).toBe(true);
        expect(await storage.shares.get(session.id)).toBeNull();
        expect(await storage.shares.remove(ALICE, session.id)).toBe(false);
      });

      it("refuses to share someone else's session or an unknown mode", async () => {
        const { session } = await sessionWithTurn(ALICE);
        await expect(storage.shares.set(BOB, session.id, "view")).rejects.toMatchObject({ code: "not_found" });
        await expect(storage.shares.set(ALICE, session.id, "edit" as never)).rejects.toMatchObject({ code: "invalid_value" });
        expect(await storage.shares.get(session.id)).toBeNull();
      });

      it("lists everyone's shared sessions, newest activity first, and forgets deleted ones", async () => {
        const a = await sessionWithTurn(ALICE, "alice");
        const b = await sessionWithTurn(BOB, "bob");
        await sessionWithTurn(ALICE, "private");
        await storage.shares.set(ALICE, a.session.id, "view");
        await storage.shares.set(BOB, b.session.id, "continue");
        expect((await storage.shares.list()).map((entry) => [entry.session.id, entry.share.mode])).toEqual([
          [b.session.id, "continue"],
          [a.session.id, "view"],
        ]);
        const image = await storage.images.put(fakePng());
        await succeed(a.turn, fullOutcome(image.hash, image.hash));
        const listed = await storage.shares.list();
        expect(listed[0]?.session).toMatchObject({ id: a.session.id, ownerId: ALICE, coverImageHash: image.hash });
        expect((await storage.shares.list({ limit: 1, offset: 1 })).map((entry) => entry.session.id)).toEqual([b.session.id]);
        await storage.sessions.delete(ALICE, a.session.id);
        expect(await storage.shares.get(a.session.id)).toBeNull();
        expect((await storage.shares.list()).map((entry) => entry.session.id)).toEqual([b.session.id]);
      });
    });

    describe("copying a chain", () => {
      it("copies a finished chain with model turns into another owner's session, without cost", async () => {
        const { session, turn } = await sessionWithTurn(ALICE, "root");
        const image = await storage.images.put(fakePng());
        const root = await succeed(turn, fullOutcome(image.hash, image.hash));
        await storage.modelTurns.put(ALICE, root.id, { parts: [{ text: "root answer", thoughtSignature: "c2ln" }] });
        const child = await storage.turns.create({ ownerId: ALICE, sessionId: session.id, parentId: root.id, request: request("child") });
        await succeed(child);
        await storage.modelTurns.put(ALICE, child.id, { parts: [{ text: "child answer" }] });
        const target = await storage.sessions.create({ ownerId: BOB, title: "Continued" });

        const copies = await storage.turns.copyChain({ from: { ownerId: ALICE, turnId: child.id }, to: { ownerId: BOB, sessionId: target.id } });
        expect(copies.map((copy) => [copy.request.prompt, copy.status, copy.ownerId, copy.sessionId, copy.cost])).toEqual([
          ["root", "succeeded", BOB, target.id, null],
          ["child", "succeeded", BOB, target.id, null],
        ]);
        expect(copies[0]?.parentId).toBeNull();
        expect(copies[1]?.parentId).toBe(copies[0]?.id);
        expect(copies[0]?.outcome).toEqual(root.outcome);
        expect(await storage.modelTurns.get(BOB, copies[0]?.id ?? "")).toEqual({ parts: [{ text: "root answer", thoughtSignature: "c2ln" }] });
        expect((await storage.turns.chain(BOB, copies[1]?.id ?? ""))?.map((t) => t.id)).toEqual(copies.map((copy) => copy.id));
        expect((await storage.sessions.get(BOB, target.id))?.coverImageHash).toBe(image.hash);
        // The new owner may read the copied chain's images.
        expect(await storage.imageAccess.canRead(BOB, image.hash)).toBe(true);
        // The originals are untouched and the copies are not in the ledger twice.
        expect((await storage.turns.listBySession(ALICE, session.id)).map((t) => t.id)).toEqual([root.id, child.id]);
        expect(await storage.ledger.entries({ from: "2000-01-01T00:00:00.000Z", to: "2999-01-01T00:00:00.000Z", ownerId: BOB })).toEqual([]);
      });

      it("refuses unknown turns, foreign sessions and unfinished chains, copying nothing", async () => {
        const { turn } = await sessionWithTurn(ALICE, "running");
        const target = await storage.sessions.create({ ownerId: BOB, title: "Continued" });
        await expect(storage.turns.copyChain({ from: { ownerId: ALICE, turnId: turn.id }, to: { ownerId: BOB, sessionId: target.id } })).rejects.toMatchObject({ code: "invalid_transition" });
        await expect(storage.turns.copyChain({ from: { ownerId: BOB, turnId: turn.id }, to: { ownerId: BOB, sessionId: target.id } })).rejects.toMatchObject({ code: "not_found" });
        await succeed(turn);
        await expect(storage.turns.copyChain({ from: { ownerId: ALICE, turnId: turn.id }, to: { ownerId: ALICE, sessionId: target.id } })).rejects.toMatchObject({ code: "not_found" });
        expect(await storage.turns.listBySession(BOB, target.id)).toEqual([]);
      });
    });

    describe("garbage collection", () => {
      const HOUR = 3_600_000;
      const later = (ms: number) => Date.now() + ms;

      it("removes uploads no turn used within the grace period, and keeps every image a turn uses", async () => {
        const unused = await storage.images.put(fakePng());
        const reference = await storage.images.put(fakePng());
        const result = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        const session = await storage.sessions.create({ ownerId: ALICE, title: "Banana" });
        const turn = await storage.turns.create({
          ownerId: ALICE,
          sessionId: session.id,
          parentId: null,
          request: request("with a reference", { references: [{ hash: reference.hash, mimeType: "image/png", width: 8, height: 8 }] }),
        });
        await succeed(turn, fullOutcome(result.hash, thought.hash));

        expect(await storage.collectGarbage({ unusedOlderThanMs: 24 * HOUR, now: later(23 * HOUR) })).toEqual({ removed: [], bytes: 0 });
        const report = await storage.collectGarbage({ unusedOlderThanMs: 24 * HOUR, now: later(25 * HOUR) });
        expect(report.removed).toEqual([unused.hash]);
        expect(report.bytes).toBe(unused.byteLength);
        expect(await storage.images.get(unused.hash)).toBeNull();
        for (const kept of [reference, result, thought]) expect(await storage.images.get(kept.hash)).not.toBeNull();
      });

      it("counts an upload of the same bytes again as new", async () => {
        const bytes = fakePng();
        const first = await storage.images.put(bytes);
        await new Promise((resolve) => setTimeout(resolve, 60));
        const cutoff = Date.now();
        await storage.images.put(bytes);
        // Collected as if the grace period ended between the two uploads: the second keeps it. With
        // room for file times, which the kernel takes from a clock a few milliseconds coarse.
        expect((await storage.collectGarbage({ unusedOlderThanMs: 30, now: cutoff + 5 })).removed).toEqual([]);
        expect(await storage.images.get(first.hash)).not.toBeNull();
      });

      it("removes a deleted session's images at once, except those another session still uses", async () => {
        const own = await storage.images.put(fakePng());
        const shared = await storage.images.put(fakePng());
        const { turn } = await sessionWithTurn(ALICE, "doomed");
        await succeed(turn, fullOutcome(own.hash, shared.hash));
        const other = await sessionWithTurn(BOB, "kept");
        await succeed(other.turn, fullOutcome(shared.hash, shared.hash));
        const released = imagesOfTurns(await storage.turns.listBySession(ALICE, turn.sessionId));
        expect(released).toEqual(new Set([own.hash, shared.hash]));

        expect(await storage.sessions.delete(ALICE, turn.sessionId)).toBe(true);
        const report = await storage.collectGarbage({ released });
        expect(report.removed).toEqual([own.hash]);
        expect(await storage.images.get(own.hash)).toBeNull();
        expect(await storage.images.get(shared.hash)).not.toBeNull();
      });
    });

    describe("image access", () => {
      it("lets an owner read the references, results and thought images of their sessions and their uploads, and nobody else", async () => {
        const reference = await storage.images.put(fakePng());
        const result = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        const upload = await storage.images.put(fakePng());
        const session = await storage.sessions.create({ ownerId: ALICE, title: "Banana" });
        const turn = await storage.turns.create({
          ownerId: ALICE,
          sessionId: session.id,
          parentId: null,
          request: request("A banana", { references: [{ hash: reference.hash, mimeType: "image/png", width: 1, height: 1 }] }),
        });
        expect(await storage.imageAccess.canRead(ALICE, reference.hash)).toBe(true);
        expect(await storage.imageAccess.canRead(ALICE, result.hash)).toBe(false);
        await succeed(turn, fullOutcome(result.hash, thought.hash));
        await storage.imageAccess.recordUpload(BOB, upload.hash);
        await storage.imageAccess.recordUpload(BOB, upload.hash);

        for (const hash of [reference.hash, result.hash, thought.hash]) {
          expect(await storage.imageAccess.canRead(ALICE, hash)).toBe(true);
          expect(await storage.imageAccess.canRead(BOB, hash)).toBe(false);
        }
        expect(await storage.imageAccess.canRead(BOB, upload.hash)).toBe(true);
        expect(await storage.imageAccess.canRead(ALICE, upload.hash)).toBe(false);
        expect(await storage.imageAccess.sessionsWith(result.hash)).toEqual([{ sessionId: session.id, ownerId: ALICE }]);
        expect(await storage.imageAccess.sessionsWith(upload.hash)).toEqual([]);

        await storage.sessions.delete(ALICE, session.id);
        expect(await storage.imageAccess.canRead(ALICE, result.hash)).toBe(false);
      });
    });

    describe("library", () => {
      /** A succeeded turn of `ownerId` with one final image; returns the turn and its result. */
      async function result(ownerId = ALICE, prompt = "A banana") {
        const { session, turn } = await sessionWithTurn(ownerId, prompt);
        const image = await storage.images.put(fakePng());
        const thought = await storage.images.put(fakePng());
        await succeed(turn, fullOutcome(image.hash, thought.hash));
        return { session, turn, ref: { turnId: turn.id, hash: image.hash }, thoughtHash: thought.hash };
      }

      it("lists the owner's final images across sessions, newest first, with their request", async () => {
        const older = await result(ALICE, "older banana");
        const newer = await result(ALICE, "newer banana");
        const { turn: failed } = await sessionWithTurn(ALICE, "failed banana");
        await storage.turns.update(ALICE, failed.id, { status: "failed", error: anError });
        await result(BOB, "bob's banana");

        const items = await storage.library.list(ALICE);
        expect(items.map((item) => item.prompt)).toEqual(["newer banana", "older banana"]);
        expect(items[0]).toMatchObject({
          ...newer.ref,
          sessionId: newer.session.id,
          sessionTitle: "Banana",
          index: 0,
          mimeType: "image/png",
          width: 1376,
          height: 768,
          model: settings.model,
          imageSize: "1K",
          aspectRatio: "16:9",
          favourite: false,
          boardIds: [],
        });
        expect(items.some((item) => item.hash === older.thoughtHash)).toBe(false);
        expect(await storage.library.list(ALICE, { limit: 1 })).toHaveLength(1);
      });

      it("stars and unstars a result, idempotently, and only the owner's final images", async () => {
        const { ref, turn, thoughtHash } = await result();
        await storage.library.setFavourite(ALICE, ref, true);
        await storage.library.setFavourite(ALICE, ref, true);
        expect((await storage.library.list(ALICE))[0]?.favourite).toBe(true);
        await storage.library.setFavourite(ALICE, ref, false);
        expect((await storage.library.list(ALICE))[0]?.favourite).toBe(false);

        await expect(storage.library.setFavourite(BOB, ref, true)).rejects.toMatchObject({ code: "not_found" });
        await expect(storage.library.setFavourite(ALICE, { turnId: turn.id, hash: thoughtHash }, true)).rejects.toMatchObject({ code: "not_found" });
        await expect(storage.library.setFavourite(ALICE, { turnId: "no-such-turn", hash: ref.hash }, true)).rejects.toBeInstanceOf(StorageError);
        const { turn: running } = await sessionWithTurn();
        await expect(storage.library.setFavourite(ALICE, { turnId: running.id, hash: ref.hash }, true)).rejects.toMatchObject({ code: "not_found" });
      });

      it("reads one result's favourite and boards by its key, as the library lists them", async () => {
        const { ref } = await result();
        expect(await storage.library.stateOf(ALICE, ref)).toEqual({ favourite: false, boardIds: [] });
        const first = await storage.boards.create(ALICE, "First");
        const second = await storage.boards.create(ALICE, "Second");
        await storage.boards.addItem(ALICE, first.id, ref);
        await storage.boards.addItem(ALICE, second.id, ref);
        await storage.library.setFavourite(ALICE, ref, true);
        const state = await storage.library.stateOf(ALICE, ref);
        expect(state).toEqual({ favourite: true, boardIds: [first.id, second.id].sort() });
        const listed = (await storage.library.list(ALICE)).find((item) => item.turnId === ref.turnId && item.hash === ref.hash);
        expect([...(listed?.boardIds ?? [])].sort()).toEqual(state.boardIds);
        // Another person sees nothing of it.
        expect(await storage.library.stateOf(BOB, ref)).toEqual({ favourite: false, boardIds: [] });
        await storage.boards.removeItem(ALICE, first.id, ref);
        expect(await storage.library.stateOf(ALICE, ref)).toEqual({ favourite: true, boardIds: [second.id] });
      });

      it("keeps named boards per owner: create, rename, list, add, remove, delete", async () => {
        const { ref } = await result();
        const board = await storage.boards.create(ALICE, "  Mood  ");
        expect(board).toMatchObject({ ownerId: ALICE, name: "Mood", itemCount: 0 });
        await storage.boards.create(ALICE, "apples");
        expect((await storage.boards.list(ALICE)).map((b) => b.name)).toEqual(["apples", "Mood"]);
        expect(await storage.boards.list(BOB)).toEqual([]);

        await storage.boards.addItem(ALICE, board.id, ref);
        await storage.boards.addItem(ALICE, board.id, ref);
        expect((await storage.boards.get(ALICE, board.id))?.itemCount).toBe(1);
        expect((await storage.library.list(ALICE))[0]?.boardIds).toEqual([board.id]);

        expect(await storage.boards.rename(ALICE, board.id, "Moodier")).toMatchObject({ name: "Moodier", itemCount: 1 });
        await expect(storage.boards.rename(ALICE, board.id, "   ")).rejects.toMatchObject({ code: "invalid_value" });
        await expect(storage.boards.create(ALICE, "x".repeat(81))).rejects.toMatchObject({ code: "invalid_value" });

        // Another person's board is not found, whatever they try.
        expect(await storage.boards.get(BOB, board.id)).toBeNull();
        expect(await storage.boards.rename(BOB, board.id, "Mine")).toBeNull();
        expect(await storage.boards.removeItem(BOB, board.id, ref)).toBe(false);
        expect(await storage.boards.delete(BOB, board.id)).toBe(false);
        await expect(storage.boards.addItem(BOB, board.id, ref)).rejects.toMatchObject({ code: "not_found" });
        const bobs = await storage.boards.create(BOB, "Bob's");
        await expect(storage.boards.addItem(BOB, bobs.id, ref)).rejects.toMatchObject({ code: "not_found" });

        expect(await storage.boards.removeItem(ALICE, board.id, ref)).toBe(true);
        expect(await storage.boards.removeItem(ALICE, board.id, ref)).toBe(false);
        await storage.boards.addItem(ALICE, board.id, ref);
        expect(await storage.boards.delete(ALICE, board.id)).toBe(true);
        expect(await storage.boards.get(ALICE, board.id)).toBeNull();
        expect((await storage.library.list(ALICE))[0]?.boardIds).toEqual([]);
      });

      it("deleting a session takes its results off boards and out of favourites, and keeps the boards", async () => {
        const gone = await result(ALICE, "gone");
        const kept = await result(ALICE, "kept");
        const board = await storage.boards.create(ALICE, "Keep");
        for (const { ref } of [gone, kept]) {
          await storage.library.setFavourite(ALICE, ref, true);
          await storage.boards.addItem(ALICE, board.id, ref);
        }
        expect(await storage.sessions.delete(ALICE, gone.session.id)).toBe(true);
        const items = await storage.library.list(ALICE);
        expect(items.map((item) => [item.prompt, item.favourite, item.boardIds])).toEqual([["kept", true, [board.id]]]);
        expect((await storage.boards.get(ALICE, board.id))?.itemCount).toBe(1);
      });

      it("saves prompts per owner with normalised tags, newest first, and deletes them", async () => {
        const first = await storage.prompts.create(ALICE, { name: " Studio shot ", text: "A [subject] on white", tags: ["Product", "product", " light "] });
        expect(first).toMatchObject({ ownerId: ALICE, name: "Studio shot", text: "A [subject] on white", tags: ["light", "product"] });
        const second = await storage.prompts.create(ALICE, { name: "Second", text: "Another", tags: [] });
        expect((await storage.prompts.list(ALICE)).map((prompt) => prompt.id)).toEqual([second.id, first.id]);
        expect(await storage.prompts.list(BOB)).toEqual([]);
        await expect(storage.prompts.create(ALICE, { name: "", text: "x", tags: [] })).rejects.toMatchObject({ code: "invalid_value" });
        await expect(storage.prompts.create(ALICE, { name: "x", text: "  ", tags: [] })).rejects.toMatchObject({ code: "invalid_value" });
        await expect(storage.prompts.create(ALICE, { name: "x", text: "y", tags: ["t".repeat(33)] })).rejects.toMatchObject({ code: "invalid_value" });
        expect(await storage.prompts.delete(BOB, first.id)).toBe(false);
        expect(await storage.prompts.delete(ALICE, first.id)).toBe(true);
        expect(await storage.prompts.delete(ALICE, first.id)).toBe(false);
        expect((await storage.prompts.list(ALICE)).map((prompt) => prompt.id)).toEqual([second.id]);
      });
    });

    describe("reassignOwner", () => {
      it("moves sessions, turns, model replies and uploads to the new owner and leaves others alone", async () => {
        const { session, turn } = await sessionWithTurn("local", "old banana");
        const image = await storage.images.put(fakePng());
        const upload = await storage.images.put(fakePng());
        await succeed(turn, fullOutcome(image.hash, image.hash));
        await storage.modelTurns.put("local", turn.id, { parts: [{ text: "old" }] });
        await storage.imageAccess.recordUpload("local", upload.hash);
        await storage.shares.set("local", session.id, "view");
        await storage.budgets.setOverride("local", 1_000_000, "local");
        const bobs = await sessionWithTurn(BOB, "bob's banana");

        expect(await storage.reassignOwner("local", ALICE)).toBe(1);
        expect(await storage.sessions.get("local", session.id)).toBeNull();
        expect((await storage.sessions.get(ALICE, session.id))?.turnCount).toBe(1);
        expect((await storage.turns.get(ALICE, turn.id))?.ownerId).toBe(ALICE);
        expect(await storage.modelTurns.get(ALICE, turn.id)).toEqual({ parts: [{ text: "old" }] });
        expect(await storage.imageAccess.canRead(ALICE, image.hash)).toBe(true);
        expect(await storage.imageAccess.canRead(ALICE, upload.hash)).toBe(true);
        expect(await storage.imageAccess.canRead("local", upload.hash)).toBe(false);
        expect(await storage.sessions.get(BOB, bobs.session.id)).not.toBeNull();
        // Their share and budget go with them.
        expect(await storage.shares.get(session.id)).toMatchObject({ ownerId: ALICE, sharedBy: ALICE, mode: "view" });
        expect(await storage.budgets.getOverride(ALICE)).toMatchObject({ limitMicroUsd: 1_000_000 });
        expect(await storage.budgets.getOverride("local")).toBeNull();
        // A second start finds nothing left to move.
        expect(await storage.reassignOwner("local", ALICE)).toBe(0);
      });
    });
  });
}

function emptyOutcomeForTest(): TurnOutcome {
  return { images: [], thoughts: [], text: "", grounding: null, usage: null, finishReason: null, blockReason: null, modelVersion: null, responseId: null, warnings: [] };
}
