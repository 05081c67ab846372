import { execFileSync, spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { appStorageForTests } from "@/test/support/app-storage";
import { readZipFiles } from "@/test/support/unzip";
import type { GenerationSettings } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";

// The signed-in person comes from the session cookie in the app; here, from this variable.
const auth = vi.hoisted(() => ({ viewer: { userId: "local", email: "local@studio.test", name: "Local", role: "admin" as const } as object | null }));
vi.mock("@/lib/server/auth/route-guard", () => ({
  viewerOrUnauthorized: async () => auth.viewer ?? Response.json({ error: { code: "unauthenticated", message: "Sign in." } }, { status: 401 }),
}));


// The route as the app wires it: env -> the app's SQLite storage and image files -> zip stream.

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

const app = appStorageForTests("nb-export-route-", () => import("./route"));

function get(id: string) {
  return app.route.GET(new Request(`http://studio.test/api/sessions/${encodeURIComponent(id)}/export`), { params: Promise.resolve({ id }) });
}

describe("GET /api/sessions/[id]/export", () => {
  it("streams the session as a zip download", async () => {
    const session = await app.storage.sessions.create({ ownerId: "local", title: "Crème brûlée shots" });
    const png = fakePng(200);
    const image = await app.storage.images.put(png);
    const fileName = path.basename(await app.storage.images.exportAs(image.hash, "gen-creme-brulee-20261122-101500.png"));
    const turn = await app.storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: { prompt: "Crème brûlée", references: [], settings } });
    await app.storage.turns.update("local", turn.id, { status: "running" });
    await app.storage.turns.update("local", turn.id, {
      status: "succeeded",
      outcome: {
        images: [{ hash: image.hash, mimeType: image.mimeType, width: 64, height: 64, fileName, requested: null, sizeMismatch: false }],
        thoughts: [],
        text: "",
        grounding: null,
        usage: null,
        finishReason: "STOP",
        blockReason: null,
        modelVersion: null,
        responseId: null,
        warnings: [],
      },
    });

    const response = await get(session.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="creme-brulee-shots-\d{8}-\d{6}\.zip"; filename\*=UTF-8''cr%C3%A8me-br%C3%BBl%C3%A9e-shots-\d{8}-\d{6}\.zip$/,
    );

    const bytes = new Uint8Array(await response.arrayBuffer());
    const files = await readZipFiles(bytes);
    expect(files.get(`images/${fileName}`)?.equals(png)).toBe(true);
    const manifest = JSON.parse(files.get("session.json")!.toString("utf8")) as { turns: Array<{ prompt: string }> };
    expect(manifest.turns.map((entry) => entry.prompt)).toEqual(["Crème brûlée"]);

    if (spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0) {
      const file = path.join(app.dataDir, "export.zip");
      await fs.writeFile(file, bytes);
      expect(execFileSync("unzip", ["-t", file], { encoding: "utf8" })).toContain("No errors detected");
    }
  });

  it.each([
    ["an unknown id", "no-such-session"],
    ["a malformed id", "../../etc/passwd"],
  ])("answers 404 JSON for %s", async (_label, id) => {
    const response = await get(id);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });

  it("answers 401 without a signed-in person, before looking anything up", async () => {
    const session = await app.storage.sessions.create({ ownerId: "local", title: "Mine" });
    auth.viewer = null;
    try {
      const response = await get(session.id);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    } finally {
      auth.viewer = { userId: "local", email: "local@studio.test", name: "Local", role: "admin" };
    }
  });

  it("answers 404 for another owner's session", async () => {
    const theirs = await app.storage.sessions.create({ ownerId: "someone-else", title: "Private" });
    expect((await get(theirs.id)).status).toBe(404);
  });
});
