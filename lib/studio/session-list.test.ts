import { describe, expect, it } from "vitest";
import type { GenerationSettings } from "@/lib/gemini/types";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage, TurnOutcome } from "@/lib/storage/types";
import { appendSessionPage, applySessionActivity, type SessionListItem, toSessionListItem, toSessionListPage } from "./session-list";

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

function outcome(hash: string): TurnOutcome {
  return {
    images: [{ hash, mimeType: "image/png", width: 1024, height: 1024, fileName: null, requested: null, sizeMismatch: false }],
    thoughts: [],
    text: "",
    grounding: null,
    usage: null,
    finishReason: "STOP",
    blockReason: null,
    modelVersion: null,
    responseId: null,
    warnings: [],
  };
}

/** The browser's copy after each change must be exactly what storage lists after it. */
async function listed(storage: Storage): Promise<SessionListItem[]> {
  return (await storage.sessions.list(OWNER)).map(toSessionListItem);
}

async function expectSameAsStorage(storage: Storage, before: SessionListItem[], sessionId: string) {
  const turns = await storage.turns.listBySession(OWNER, sessionId);
  const local = applySessionActivity(before, sessionId, turns);
  expect(local).toEqual(await listed(storage));
  return local;
}

describe("applySessionActivity", () => {
  it("keeps the sidebar's list equal to storage's through a turn's life, a retry and a branch", async () => {
    let minute = 0;
    const storage = createMemoryStorage({ now: () => new Date(Date.UTC(2026, 10, 22, 10, minute++)) });
    const first = await storage.sessions.create({ ownerId: OWNER, title: "First" });
    await storage.sessions.create({ ownerId: OWNER, title: "Second" });
    await storage.sessions.create({ ownerId: OWNER, title: "Third" });
    let list = await listed(storage);
    expect(list.map((session) => session.title)).toEqual(["Third", "Second", "First"]);

    const a = await storage.turns.create({ ownerId: OWNER, sessionId: first.id, parentId: null, request: { prompt: "a red kite", references: [], settings } });
    list = await expectSameAsStorage(storage, list, first.id);
    expect(list[0]).toMatchObject({ title: "First", turnCount: 1 });

    await storage.turns.update(OWNER, a.id, { status: "running" });
    list = await expectSameAsStorage(storage, list, first.id);
    await storage.turns.update(OWNER, a.id, { status: "succeeded", outcome: outcome("hash-a") });
    list = await expectSameAsStorage(storage, list, first.id);

    // A newer turn that fails still counts and moves the session.
    const b = await storage.turns.create({ ownerId: OWNER, sessionId: first.id, parentId: a.id, request: { prompt: "warmer light", references: [], settings } });
    await storage.turns.update(OWNER, b.id, { status: "running" });
    await storage.turns.update(OWNER, b.id, { status: "failed", error: { code: "service_unavailable", message: "busy", action: "wait", retryable: true } });
    list = await expectSameAsStorage(storage, list, first.id);
    expect(list[0]).toMatchObject({ turnCount: 2 });

    // A branch from the first turn, in a list where the session had dropped down.
    await storage.sessions.rename(OWNER, (await storage.sessions.list(OWNER))[1]!.id, "Third, renamed");
    list = await listed(storage);
    expect(list[0]?.title).toBe("Third, renamed");
    const c = await storage.turns.create({ ownerId: OWNER, sessionId: first.id, parentId: a.id, request: { prompt: "at night", references: [], settings } });
    await storage.turns.update(OWNER, c.id, { status: "running" });
    await storage.turns.update(OWNER, c.id, { status: "succeeded", outcome: outcome("hash-c") });
    list = await expectSameAsStorage(storage, list, first.id);
    expect(list.map((session) => session.title)).toEqual(["First", "Third, renamed", "Second"]);
    expect(list[0]).toMatchObject({ turnCount: 3 });
  });

  it("leaves the list as it is when it already agrees, or does not hold the session", async () => {
    let minute = 0;
    const storage = createMemoryStorage({ now: () => new Date(Date.UTC(2026, 10, 22, 10, minute++)) });
    const old = await storage.sessions.create({ ownerId: OWNER, title: "Old" });
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId: old.id, parentId: null, request: { prompt: "a kite", references: [], settings } });
    await storage.sessions.create({ ownerId: OWNER, title: "Newer" });
    const list = await listed(storage);
    // Opening the older session changes nothing: it keeps its place below the newer one.
    expect(applySessionActivity(list, old.id, [turn])).toBe(list);
    expect(applySessionActivity([], old.id, [turn])).toEqual([]);
  });
});

describe("the sidebar's pages", () => {
  it("shows a page and says whether older sessions follow, from one more than it shows", async () => {
    const storage = createMemoryStorage();
    for (let index = 0; index < 5; index += 1) await storage.sessions.create({ ownerId: OWNER, title: `Session ${index}` });
    const page = toSessionListPage(await storage.sessions.list(OWNER, { limit: 4 }), 3);
    expect(page.items.map((item) => item.title)).toEqual(["Session 4", "Session 3", "Session 2"]);
    expect(page.hasMore).toBe(true);
    const last = toSessionListPage(await storage.sessions.list(OWNER, { limit: 4, offset: 3 }), 3);
    expect(last.items.map((item) => item.title)).toEqual(["Session 1", "Session 0"]);
    expect(last.hasMore).toBe(false);
    expect(Object.keys(last.items[0]!).sort()).toEqual(["id", "title", "turnCount", "updatedAt"]);
  });

  it("adds an older page below the list without repeating a session already listed", () => {
    const item = (id: string): SessionListItem => ({ id, title: id, updatedAt: "2026-12-01T00:00:00.000Z", turnCount: 0 });
    // "b" moved up into the first page while the older page was fetched: it appears once.
    expect(appendSessionPage([item("a"), item("b")], [item("b"), item("c")]).map((session) => session.id)).toEqual(["a", "b", "c"]);
    expect(appendSessionPage([], [item("c")]).map((session) => session.id)).toEqual(["c"]);
  });
});
