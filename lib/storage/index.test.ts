import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openSqliteStorage } from "./sqlite/sqlite-storage";
import type { Storage } from "./types";

// getStorage() reads the environment once per module instance, so each case resets the modules
// and imports it afresh with STUDIO_DATA_DIR pointing at its own directory.

const STORAGE_KEY = Symbol.for("nano-banana-studio.storage");
type StorageGlobal = typeof globalThis & { [STORAGE_KEY]?: Promise<Storage> };

let root: string;
const savedDataDir = process.env.STUDIO_DATA_DIR;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "nb-app-storage-"));
  vi.resetModules();
});

afterEach(async () => {
  const holder = globalThis as StorageGlobal;
  const open = await holder[STORAGE_KEY]?.catch(() => undefined);
  await open?.close();
  delete holder[STORAGE_KEY];
  if (savedDataDir === undefined) delete process.env.STUDIO_DATA_DIR;
  else process.env.STUDIO_DATA_DIR = savedDataDir;
  await fs.rm(root, { recursive: true, force: true });
});

async function importFresh(dataDir: string) {
  process.env.STUDIO_DATA_DIR = dataDir;
  vi.resetModules();
  return import("./index");
}

describe("getStorage", () => {
  it("opens the data directory once, recovering what the last run left behind", async () => {
    const dataDir = path.join(root, "data");
    // The previous run: a turn still running, and a temp file from a write it never finished.
    const previous = openSqliteStorage({ dataDir });
    const session = await previous.sessions.create({ ownerId: "local", title: "x" });
    const turn = await previous.turns.create({
      ownerId: "local",
      sessionId: session.id,
      parentId: null,
      request: {
        prompt: "A banana",
        references: [],
        settings: { model: "m", imageSize: "1K", aspectRatio: "1:1", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false },
      },
    });
    await previous.turns.update("local", turn.id, { status: "running" });
    await previous.close();
    await fs.mkdir(path.join(dataDir, "tmp"), { recursive: true });
    await fs.writeFile(path.join(dataDir, "tmp", "dead.part"), "half an image");

    const { getStorage } = await importFresh(dataDir);
    const [storage, again] = await Promise.all([getStorage(), getStorage()]);
    expect(again).toBe(storage);
    expect(await storage.turns.get("local", turn.id)).toMatchObject({ status: "interrupted", error: { retryable: true } });
    expect(await fs.readdir(path.join(dataDir, "tmp"))).toEqual([]);
    await expect(fs.access(path.join(dataDir, "studio.db"))).resolves.toBeUndefined();
  });

  it("rejects with a clear error for an unusable data directory, and tries again on the next call", async () => {
    const blocker = path.join(root, "file");
    await fs.writeFile(blocker, "");
    const first = await importFresh(path.join(blocker, "data"));
    await expect(first.getStorage()).rejects.toMatchObject({ name: "StorageError", code: "storage_failed", message: expect.stringContaining("not a usable directory") });
    expect((globalThis as StorageGlobal)[STORAGE_KEY]).toBeUndefined();

    const second = await importFresh(path.join(root, "fixed"));
    await expect(second.getStorage()).resolves.toBeDefined();
  });
});
