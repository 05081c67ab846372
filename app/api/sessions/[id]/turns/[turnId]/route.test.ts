import { describe, expect, it, vi } from "vitest";
import { appStorageForTests } from "@/test/support/app-storage";
import type { GenerationSettings } from "@/lib/gemini/types";
import type { Turn, TurnOutcome } from "@/lib/storage/types";

// The signed-in person comes from the session cookie in the app; here, from this variable.
const LOCAL = { userId: "local", email: "local@studio.test", name: "Local", role: "admin" as const };
const auth = vi.hoisted(() => ({ viewer: null as object | null }));
vi.mock("@/lib/server/auth/route-guard", () => ({
  viewerOrUnauthorized: async () => auth.viewer ?? Response.json({ error: { code: "unauthenticated", message: "Sign in." } }, { status: 401 }),
}));

// The route as the app wires it: env -> the app's SQLite storage -> JSON.

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

const outcome: TurnOutcome = {
  images: [{ hash: "a".repeat(64), mimeType: "image/png", width: 64, height: 64, fileName: null, requested: null, sizeMismatch: false }],
  thoughts: [{ kind: "text", text: "**Composing** the harbour", at: 400 }],
  text: "Here is your harbour.",
  grounding: null,
  usage: { promptTokens: 262, outputTokens: 1290, imageTokens: 1120, thoughtsTokens: 180, totalTokens: 1732 },
  finishReason: "STOP",
  blockReason: null,
  modelVersion: "gemini-3.1-flash-image",
  responseId: "response-1",
  warnings: [],
};

const app = appStorageForTests("nb-turn-route-", () => import("./route"));

function get(sessionId: string, turnId: string, viewer: object | null) {
  auth.viewer = viewer;
  return app.route.GET(new Request(`http://studio.test/api/sessions/${encodeURIComponent(sessionId)}/turns/${encodeURIComponent(turnId)}`), {
    params: Promise.resolve({ id: sessionId, turnId }),
  });
}

async function finishedTurn(ownerId: string, title: string): Promise<{ sessionId: string; turn: Turn }> {
  const session = await app.storage.sessions.create({ ownerId, title });
  const created = await app.storage.turns.create({ ownerId, sessionId: session.id, parentId: null, request: { prompt: "A quiet harbour", references: [], settings } });
  await app.storage.turns.update(ownerId, created.id, { status: "running" });
  const turn = await app.storage.turns.update(ownerId, created.id, { status: "succeeded", outcome, attempts: 1 });
  return { sessionId: session.id, turn };
}

describe("GET /api/sessions/[id]/turns/[turnId]", () => {
  it("answers the owner with the whole turn: thoughts, text, usage and cost", async () => {
    const { sessionId, turn } = await finishedTurn("local", "Harbour");
    const response = await get(sessionId, turn.id, LOCAL);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { turn: Turn };
    expect(body.turn).toEqual(JSON.parse(JSON.stringify(turn)));
    expect(body.turn.outcome?.thoughts).toHaveLength(1);
    expect(body.turn.cost).toMatchObject({ model: "gemini-3.1-flash-image" });
  });

  it("refuses without a signed-in person (401) and tells nothing about the turn", async () => {
    const { sessionId, turn } = await finishedTurn("local", "Harbour");
    const response = await get(sessionId, turn.id, null);
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    expect(text).not.toContain("harbour");
  });

  it("answers 404 with nothing of the turn to someone the session is not shared with, an admin included", async () => {
    const { sessionId, turn } = await finishedTurn("someone-else", "Private harbour");
    for (const viewer of [LOCAL, { ...LOCAL, userId: "member-b", role: "member" }]) {
      const response = await get(sessionId, turn.id, viewer);
      expect(response.status).toBe(404);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: { code: "not_found", message: "No such turn." } });
      expect(text).not.toMatch(/harbour|Composing/i);
    }
  });

  it("answers 404 for a turn asked through another session, even one the person owns", async () => {
    const mine = await finishedTurn("local", "Mine");
    const other = await app.storage.sessions.create({ ownerId: "local", title: "Other" });
    expect((await get(other.id, mine.turn.id, LOCAL)).status).toBe(404);
  });

  it.each([
    ["an unknown turn", (sessionId: string) => [sessionId, "no-such-turn"]],
    ["a malformed turn id", (sessionId: string) => [sessionId, "../../etc/passwd"]],
    ["a malformed session id", () => ["../../etc/passwd", "no-such-turn"]],
  ])("answers 404 for %s", async (_label, ids) => {
    const { sessionId } = await finishedTurn("local", "Harbour");
    const [session, turnId] = ids(sessionId) as [string, string];
    const response = await get(session, turnId, LOCAL);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "No such turn." } });
  });

  it("answers a member of the team once the session is shared, without the owner's bill, and stops when it is not", async () => {
    const { sessionId, turn } = await finishedTurn("someone-else", "Shared harbour");
    const member = { ...LOCAL, userId: "member-b", role: "member" };
    await app.storage.shares.set("someone-else", sessionId, "view");
    const response = await get(sessionId, turn.id, member);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { turn: Turn };
    expect(body.turn.outcome?.thoughts).toHaveLength(1);
    expect(body.turn.cost).toBeNull();
    await app.storage.shares.remove("someone-else", sessionId);
    expect((await get(sessionId, turn.id, member)).status).toBe(404);
  });
});
