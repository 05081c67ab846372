import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import type { GenerationSettings } from "@/lib/gemini/types";

// The signed-in person comes from the session cookie in the app; here, from this variable.
const auth = vi.hoisted(() => ({ viewer: { userId: "local", email: "local@studio.test", name: "Local", role: "admin" as const } as object | null }));
vi.mock("@/lib/server/auth/route-guard", () => ({
  viewerOrUnauthorized: async () => auth.viewer ?? Response.json({ error: { code: "unauthenticated", message: "Sign in." } }, { status: 401 }),
}));


// The route as the app wires it: env → storage → job runner → real gateway → emulator.

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

let emulator: RunningEmulator;
let dataDir: string;
let route: typeof import("./route");
let sessions: typeof import("@/lib/server/sessions");

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyMs: 20 });
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-route-"));
  vi.stubEnv("STUDIO_DATA_DIR", dataDir);
  vi.stubEnv("GEMINI_API_KEY", "test");
  vi.stubEnv("GEMINI_BASE_URL", emulator.url);
  vi.resetModules();
  route = await import("./route");
  sessions = await import("@/lib/server/sessions");
});

afterAll(async () => {
  await sessions.shutdownJobs();
  const { getStorage } = await import("@/lib/storage");
  await (await getStorage()).close();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("nano-banana-studio.storage")];
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("nano-banana-studio.job-runner")];
  vi.unstubAllEnvs();
  await emulator.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

function get(turnId: string, init: RequestInit = {}) {
  const request = new Request(`http://studio.test/api/turns/${turnId}/events`, init);
  return route.GET(request, { params: Promise.resolve({ id: turnId }) });
}

async function startTurn(prompt: string) {
  const session = await sessions.createSession("local", {});
  if (!session.ok) throw new Error(session.error.message);
  const turn = await sessions.startTurn("local", { sessionId: session.data.id, parentId: null, prompt, settings });
  if (!turn.ok) throw new Error(turn.error.message);
  return turn.data;
}

function eventNames(text: string): string[] {
  return [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1] ?? "");
}

describe("GET /api/turns/[id]/events", () => {
  it("streams a running turn to the end with SSE headers, then serves its stored state", async () => {
    const turn = await startTurn("A banana");
    const response = await get(turn.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const text = await response.text();
    const names = eventNames(text);
    expect(names[0]).toBe("started");
    expect(names).toEqual(expect.arrayContaining(["attempt", "phase", "thought", "image"]));
    expect(names.at(-1)).toBe("done");

    const again = await (await get(turn.id)).text();
    expect(eventNames(again)).toEqual(["done"]);
    expect(again).toContain('"status":"succeeded"');

    const resumed = await (await get(turn.id, { headers: { "last-event-id": "3" } })).text();
    expect(eventNames(resumed)).toEqual(["done"]);
  });

  it("answers 404 for an unknown turn", async () => {
    const response = await get("no-such-turn");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "No such turn." } });
  });

  it("lets the client go away while the job finishes and persists", async () => {
    const turn = await startTurn("A banana that outlives its tab");
    const client = new AbortController();
    const response = await get(turn.id, { signal: client.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    client.abort();
    while (!(await reader.read()).done) {
      // Drain what was queued before the abort.
    }
    const runner = await sessions.getJobRunner();
    await runner.idle();
    const view = await sessions.getSessionView("local", { sessionId: turn.sessionId });
    expect(view.ok && view.data.turns[0]?.status).toBe("succeeded");
  });
});
