import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GenerationSettings } from "@/lib/gemini/types";
import { describeStorageContract, fakePng } from "../contract";
import { StorageError, type TurnRequest } from "../types";
import Database from "better-sqlite3";
import { MIGRATIONS, runMigrations } from "./migrations";
import { openSqliteStorage, type SqliteStorage } from "./sqlite-storage";

const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-sqlite-"));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describeStorageContract("sqlite", async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-sqlite-contract-"));
  return {
    storage: openSqliteStorage({ dataDir }),
    dispose: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
});

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
const request = (prompt: string): TurnRequest => ({ prompt, references: [], settings });

describe("sqlite storage", () => {
  let dataDir: string;
  let storage: SqliteStorage;

  beforeEach(async () => {
    dataDir = await tempDir();
    storage = openSqliteStorage({ dataDir });
  });

  afterEach(async () => {
    await storage.close();
  });

  function count(table: string): number {
    return (storage.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  it("opens in WAL mode with foreign keys and a busy timeout", () => {
    expect(storage.database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(storage.database.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(storage.database.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(storage.databaseFile).toBe(path.join(dataDir, "studio.db"));
  });

  it("records each migration once; reopening runs none and keeps the data", async () => {
    const versions = () =>
      storage.database.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as Array<{ version: number }>;
    expect(versions().map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));

    const session = await storage.sessions.create({ ownerId: "local", title: "Kept" });
    const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a banana") });
    await storage.turns.update("local", turn.id, { status: "running" });
    await storage.modelTurns.put("local", turn.id, { parts: [{ text: "hi", thoughtSignature: "c2ln" }] });
    await storage.close();

    storage = openSqliteStorage({ dataDir });
    expect(versions()).toHaveLength(MIGRATIONS.length);
    expect(await storage.sessions.get("local", session.id)).toMatchObject({ title: "Kept", turnCount: 1 });
    expect(await storage.turns.get("local", turn.id)).toMatchObject({ status: "running", request: request("a banana") });
    expect(await storage.modelTurns.get("local", turn.id)).toEqual({ parts: [{ text: "hi", thoughtSignature: "c2ln" }] });
    expect((await storage.sessions.list("local", { query: "banana" })).map((s) => s.id)).toEqual([session.id]);
  });

  it("refuses a database written by a newer version of the studio", async () => {
    storage.database.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    await storage.close();
    expect(() => (storage = openSqliteStorage({ dataDir }))).toThrow(/schema version 999.*Update the studio/);
    storage = openSqliteStorage({ dataDir: await tempDir() });
  });

  it("keeps model turns out of the database, as files with their image bytes stored once", async () => {
    const session = await storage.sessions.create({ ownerId: "local", title: "x" });
    const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a") });
    const image = fakePng(300_000);
    const signature = "s".repeat(600_000);
    await storage.modelTurns.put("local", turn.id, {
      parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: signature }],
    });
    const file = path.join(dataDir, "model-turns", "local", `${turn.id}.json`);
    const size = (await fs.stat(file)).size;
    expect(size).toBeGreaterThan(600_000);
    expect(size).toBeLessThan(610_000);
    expect(await storage.images.get((await storage.images.put(image)).hash)).not.toBeNull();
    expect(await fs.readdir(path.join(dataDir, "tmp"))).toEqual([]);
    await storage.database.pragma("wal_checkpoint(TRUNCATE)");
    expect((await fs.stat(storage.databaseFile)).size).toBeLessThan(200_000);
  });

  it("reports an unwritable data directory clearly", async () => {
    const parent = await tempDir();
    // Root ignores permission bits, so block the directory with a file instead.
    const blocked = path.join(parent, "not-a-dir");
    await fs.writeFile(blocked, "");
    const opening = () => openSqliteStorage({ dataDir: path.join(blocked, "data") });
    expect(opening).toThrow(StorageError);
    expect(opening).toThrow(/Could not open the studio database: .*not-a-dir.* is not a usable directory/);

    const databaseIsADirectory = await tempDir();
    await fs.mkdir(path.join(databaseIsADirectory, "studio.db"));
    expect(() => openSqliteStorage({ dataDir: databaseIsADirectory })).toThrow(/studio\.db can't be opened/);
  });

  it("reports a read-only database clearly and changes nothing", async () => {
    const session = await storage.sessions.create({ ownerId: "local", title: "x" });
    await storage.close();
    storage = openSqliteStorage({ dataDir });
    storage.database.pragma("query_only = ON");
    await expect(storage.sessions.rename("local", session.id, "y")).rejects.toMatchObject({
      code: "storage_failed",
      message: expect.stringMatching(/Could not rename the session/),
    });
    storage.database.pragma("query_only = OFF");
    expect((await storage.sessions.get("local", session.id))?.title).toBe("x");
  });

  it("turns a full disk into a clear error and leaves no half-written turn", async () => {
    const session = await storage.sessions.create({ ownerId: "local", title: "x" });
    const before = await storage.sessions.get("local", session.id);
    // Cap the file at its current size: the next page the database needs is "disk full".
    const pages = storage.database.pragma("page_count", { simple: true }) as number;
    storage.database.pragma(`max_page_count = ${pages}`);
    const big = request("x".repeat(200_000));
    await expect(storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: big })).rejects.toMatchObject({
      code: "storage_failed",
      message: expect.stringContaining("is full"),
    });
    storage.database.pragma("max_page_count = 1073741823");
    expect(count("turns")).toBe(0);
    expect(await storage.sessions.get("local", session.id)).toEqual(before);
    // The database is still usable afterwards.
    await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("ok") });
    expect(count("turns")).toBe(1);
  });

  it("rolls back the whole write when a later statement in it fails", async () => {
    const session = await storage.sessions.create({ ownerId: "local", title: "x" });
    // Fail the second statement of turn creation (touching the session) after the insert succeeded.
    storage.database.exec(`
      CREATE TEMP TRIGGER fail_touch BEFORE UPDATE OF updated_at ON sessions
      BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;`);
    await expect(
      storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("half") }),
    ).rejects.toMatchObject({ code: "storage_failed", message: expect.stringContaining("simulated failure") });
    expect(count("turns")).toBe(0);
    expect((await storage.sessions.list("local", { query: "half" })).length).toBe(0);
    storage.database.exec("DROP TRIGGER fail_touch");
  });

  it("leaves a turn as it was when its update fails", async () => {
    const session = await storage.sessions.create({ ownerId: "local", title: "x" });
    const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a") });
    await storage.turns.update("local", turn.id, { status: "running" });
    storage.database.exec(`
      CREATE TEMP TRIGGER fail_touch BEFORE UPDATE OF updated_at ON sessions
      BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;`);
    const image = await storage.images.put(fakePng());
    await expect(
      storage.turns.update("local", turn.id, {
        status: "succeeded",
        outcome: {
          images: [{ hash: image.hash, mimeType: "image/png", width: 1, height: 1, fileName: null, requested: null, sizeMismatch: false }],
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
      }),
    ).rejects.toMatchObject({ code: "storage_failed" });
    expect(await storage.turns.get("local", turn.id)).toMatchObject({ status: "running", outcome: null });
    storage.database.exec("DROP TRIGGER fail_touch");
  });

  it("enforces owner and session consistency in the schema itself", () => {
    const db = storage.database;
    db.prepare("INSERT INTO sessions (id, owner_id, title, created_at, updated_at) VALUES ('s1', 'alice', 't', 'x', 'x')").run();
    db.prepare("INSERT INTO sessions (id, owner_id, title, created_at, updated_at) VALUES ('s2', 'alice', 't', 'x', 'x')").run();
    const insert = db.prepare(
      "INSERT INTO turns (id, session_id, owner_id, parent_id, created_at, updated_at, status, prompt, request_json) VALUES (?, ?, ?, ?, 'x', 'x', 'queued', 'p', '{}')",
    );
    insert.run("t1", "s1", "alice", null);
    expect(() => insert.run("t2", "s1", "bob", null)).toThrow(/FOREIGN KEY/);
    expect(() => insert.run("t3", "s2", "alice", "t1")).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("UPDATE turns SET status = 'done' WHERE id = 't1'").run()).toThrow(/CHECK/);
  });
});

describe("sqlite migration 3 (cost ledger, budgets, shares)", () => {
  it("upgrades a database with finished turns: they keep no cost, and turns finished afterwards get one", async () => {
    const dataDir = await tempDir();
    const old = new Database(path.join(dataDir, "studio.db"));
    runMigrations(old, MIGRATIONS.filter((migration) => migration.version < 3));
    old.prepare("INSERT INTO sessions (id, owner_id, title, created_at, updated_at) VALUES ('s1', 'alice', 'Before', 'a', 'a')").run();
    old
      .prepare("INSERT INTO turns (id, session_id, owner_id, created_at, updated_at, status, prompt, request_json) VALUES ('t1', 's1', 'alice', 'a', 'a', 'failed', 'old', ?)")
      .run(JSON.stringify(request("old")));
    old.close();

    const upgraded = openSqliteStorage({ dataDir });
    try {
      expect((await upgraded.turns.get("alice", "t1"))?.cost).toBeNull();
      const everything = { from: "2000-01-01T00:00:00.000Z", to: "2999-01-01T00:00:00.000Z" };
      expect(await upgraded.ledger.entries(everything)).toEqual([]);
      const after = await upgraded.turns.create({ ownerId: "alice", sessionId: "s1", parentId: null, request: request("new") });
      await upgraded.turns.update("alice", after.id, { status: "cancelled" });
      expect((await upgraded.ledger.entries(everything)).map((entry) => [entry.turnId, entry.cost.status])).toEqual([[after.id, "not_reported"]]);
      expect((await upgraded.budgets.getDefault()).limitMicroUsd).toBeNull();
      const db = upgraded.database;
      expect(() => db.prepare("INSERT INTO budget_overrides (owner_id, limit_micro_usd, updated_at, updated_by) VALUES ('a', -1, 'x', 'y')").run()).toThrow(/CHECK/);
      expect(() => db.prepare("INSERT INTO session_shares (session_id, owner_id, mode, shared_by, shared_at) VALUES ('s1', 'bob', 'view', 'bob', 'x')").run()).toThrow(/FOREIGN KEY/);
    } finally {
      await upgraded.close();
    }
  });
});
