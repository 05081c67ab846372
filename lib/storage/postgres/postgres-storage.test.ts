import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GenerationSettings } from "@/lib/gemini/types";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { describeStorageContract, fakePng } from "../contract";
import { createFileImageStore } from "../image-store";
import { openPostgresStorage, type PostgresStorage } from "./postgres-storage";
import { POSTGRES_MIGRATIONS } from "./schema";

// Each test gets its own database in one cluster per file, and its own image directory.

async function openFresh(connectionString: string) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-pg-images-"));
  const storage = await openPostgresStorage({ connectionString, images: createFileImageStore(dataDir) });
  return { storage, dataDir };
}

describe.skipIf(skipPostgres)("postgres", () => {
  const cluster = withPostgres();

  describeStorageContract("postgres", async () => {
    const { storage, dataDir } = await openFresh(await cluster().createDatabase());
    return { storage, dispose: () => fs.rm(dataDir, { recursive: true, force: true }) };
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
  const request = (prompt: string) => ({ prompt, references: [], settings });

  describe("postgres storage", () => {
    let url: string;
    let storage: PostgresStorage;
    let dataDir: string;

    beforeEach(async () => {
      url = await cluster().createDatabase();
      ({ storage, dataDir } = await openFresh(url));
    });

    afterEach(async () => {
      await storage.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("records each migration once; a second instance opening the same database runs none and sees the data", async () => {
      const session = await storage.sessions.create({ ownerId: "local", title: "Kept" });
      const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a banana") });
      await storage.modelTurns.put("local", turn.id, { parts: [{ text: "hi", thoughtSignature: "c2ln" }] });

      const [second, third] = await Promise.all([openPostgresStorage({ connectionString: url, images: storage.images }), openPostgresStorage({ connectionString: url, images: storage.images })]);
      try {
        const { rows } = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(second.db);
        expect(rows.map((row) => row.name)).toEqual(Object.keys(POSTGRES_MIGRATIONS));
        expect(await second.sessions.get("local", session.id)).toMatchObject({ title: "Kept", turnCount: 1 });
        expect(await third.modelTurns.get("local", turn.id)).toEqual({ parts: [{ text: "hi", thoughtSignature: "c2ln" }] });
        expect((await second.sessions.list("local", { query: "BANANA" })).map((s) => s.id)).toEqual([session.id]);
      } finally {
        await Promise.all([second.close(), third.close()]);
      }
    });

    it("refuses a database migrated by a newer studio", async () => {
      await sql`INSERT INTO schema_migrations (name, timestamp) VALUES ('9999_future', now()::text)`.execute(storage.db);
      await expect(openPostgresStorage({ connectionString: url, images: storage.images })).rejects.toMatchObject({
        name: "StorageError",
        code: "storage_failed",
        message: expect.stringMatching(/newer version of the studio\. Update the studio/),
      });
    });

    it("serialises two instances moving the same turn: exactly one wins", async () => {
      const other = await openPostgresStorage({ connectionString: url, images: storage.images });
      try {
        const session = await storage.sessions.create({ ownerId: "local", title: "x" });
        const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a") });
        await storage.turns.update("local", turn.id, { status: "running" });
        const results = await Promise.allSettled([
          storage.turns.update("local", turn.id, { status: "succeeded" }),
          other.turns.update("local", turn.id, { status: "cancelled" }),
        ]);
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        expect(results.find((result) => result.status === "rejected")).toMatchObject({ reason: { code: "invalid_transition" } });
      } finally {
        await other.close();
      }
    });

    it("serialises two instances finishing the same turn with their outcomes (one statement each): exactly one wins", async () => {
      const other = await openPostgresStorage({ connectionString: url, images: storage.images });
      try {
        const session = await storage.sessions.create({ ownerId: "local", title: "x" });
        const outcome = { images: [], thoughts: [], text: "", grounding: null, usage: null, finishReason: "STOP", finishMessage: null, blockReason: null, modelVersion: null, responseId: null, warnings: [] };
        for (let round = 0; round < 5; round += 1) {
          const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request(`race ${round}`) });
          await storage.turns.update("local", turn.id, { status: "running" });
          const results = await Promise.allSettled([
            storage.turns.update("local", turn.id, { status: "succeeded", outcome: { ...outcome, text: "first" } }),
            other.turns.update("local", turn.id, { status: "failed", outcome: { ...outcome, text: "second" }, error: null }),
          ]);
          const won = results.filter((result) => result.status === "fulfilled");
          expect(won).toHaveLength(1);
          expect(results.find((result) => result.status === "rejected")).toMatchObject({ reason: { code: "invalid_transition" } });
          const stored = await storage.turns.get("local", turn.id);
          expect(won[0]?.status === "fulfilled" && won[0].value).toEqual(stored);
          expect(stored?.cost?.billedAt).toBe(stored?.updatedAt);
        }
      } finally {
        await other.close();
      }
    });

    it("records many turns started at once in one session, from two instances, without a deadlock", async () => {
      const other = await openPostgresStorage({ connectionString: url, images: storage.images });
      try {
        const session = await storage.sessions.create({ ownerId: "local", title: "Busy" });
        const results = await Promise.allSettled(
          Array.from({ length: 24 }, (_, index) =>
            (index % 2 === 0 ? storage : other).turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request(`turn ${index}`) }),
          ),
        );
        expect(results.filter((result) => result.status === "rejected")).toEqual([]);
        expect((await storage.sessions.get("local", session.id))?.turnCount).toBe(24);
      } finally {
        await other.close();
      }
    });

    it("keeps model turns with their image bytes stored once, and a 600 KB signature in the row", async () => {
      const session = await storage.sessions.create({ ownerId: "local", title: "x" });
      const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("a") });
      const image = fakePng(300_000);
      await storage.modelTurns.put("local", turn.id, {
        parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: "s".repeat(600_000) }],
      });
      const { rows } = await sql<{ size: number }>`SELECT octet_length(body) AS size FROM model_turns`.execute(storage.db);
      expect(rows[0]?.size).toBeGreaterThan(600_000);
      expect(rows[0]?.size).toBeLessThan(610_000);
      expect(await storage.images.get((await storage.images.put(image)).hash)).not.toBeNull();
    });

    it("stores a prompt and title with U+0000 (which PostgreSQL text can't hold), keeping the exact prompt in the request", async () => {
      const session = await storage.sessions.create({ ownerId: "local", title: "a\u0000b" });
      const turn = await storage.turns.create({ ownerId: "local", sessionId: session.id, parentId: null, request: request("nul\u0000here") });
      expect((await storage.turns.get("local", turn.id))?.request.prompt).toBe("nul\u0000here");
      expect((await storage.sessions.list("local", { query: "nul\u0000he" })).map((s) => s.id)).toEqual([session.id]);
    });

    it("enforces owner and session consistency in the schema itself", async () => {
      const at = new Date().toISOString();
      await storage.db.insertInto("sessions").values([
        { id: "s1", owner_id: "alice", title: "t", created_at: at, updated_at: at },
        { id: "s2", owner_id: "alice", title: "t", created_at: at, updated_at: at },
      ]).execute();
      const insert = (id: string, sessionId: string, ownerId: string, parentId: string | null, status = "queued") =>
        storage.db.insertInto("turns").values({ id, session_id: sessionId, owner_id: ownerId, parent_id: parentId, created_at: at, updated_at: at, status, prompt: "p", request_json: "{}" }).execute();
      await insert("t1", "s1", "alice", null);
      await expect(insert("t2", "s1", "bob", null)).rejects.toThrow(/foreign key/);
      await expect(insert("t3", "s2", "alice", "t1")).rejects.toThrow(/foreign key/);
      await expect(insert("t4", "s1", "alice", null, "done")).rejects.toThrow(/check constraint/);
    });

    it("reports an unreachable server as a clear StorageError", async () => {
      await expect(openPostgresStorage({ connectionString: "postgres://postgres@127.0.0.1:1/nothing", images: storage.images })).rejects.toMatchObject({
        name: "StorageError",
        code: "storage_failed",
        message: expect.stringContaining("PostgreSQL can't be reached"),
      });
    });
  });
});
