import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GenerationSettings, ModelTurn } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { openPostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import { createS3ImageStore, type S3ImageStore } from "@/lib/storage/s3/s3-image-store";
import { openSqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { emptyOutcome, type Storage } from "@/lib/storage/types";
import { skipPostgres, withPostgres } from "@/test/support/postgres";
import { withS3 } from "@/test/support/s3";
import { createStudioAuth, migrateAuthDatabase } from "@/lib/server/auth/auth";
import { openPostgresAuthDatabase, openSqliteAuthDatabase, sharedAuthSecret, type AuthDatabase } from "@/lib/server/auth/database";
import { resolveAuthSecret } from "@/lib/server/auth/secret";
import { migrateData } from "./migrate-data";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

describe.skipIf(skipPostgres)("npm run migrate-data -- --to postgres", () => {
  const cluster = withPostgres();
  const s3 = withS3();
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-migrate-"));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function bucketStore(): Promise<S3ImageStore> {
    const { endpoint, region, accessKeyId, secretAccessKey } = s3();
    return createS3ImageStore({ bucket: await s3().createBucket(), endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: true });
  }

  /**
   * An embedded studio with two owners, a branched conversation, a failed turn, a model turn with
   * an image part, priced and unpriced ledger lines, a share, a default budget and an override.
   */
  async function embeddedStudio() {
    const studio = openSqliteStorage({ dataDir });
    const image = fakePng(20_000);
    const stored = await studio.images.put(image);
    const reference = await studio.images.put(fakePng(500));
    const session = await studio.sessions.create({ ownerId: "local", title: "Crème brûlée" });
    const root = await studio.turns.create({
      ownerId: "local",
      sessionId: session.id,
      parentId: null,
      request: { prompt: "A dessert", references: [{ hash: reference.hash, mimeType: "image/png", width: 1, height: 1 }], settings },
    });
    await studio.turns.update("local", root.id, { status: "running" });
    await studio.turns.update("local", root.id, {
      status: "succeeded",
      attempts: 1,
      outcome: {
        ...emptyOutcome(),
        images: [{ hash: stored.hash, mimeType: "image/png", width: 8, height: 8, fileName: "gen-a.png", requested: null, sizeMismatch: false }],
        usage: { promptTokens: 12, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 230, totalTokens: 1362 },
      },
    });
    const modelTurn: ModelTurn = { parts: [{ thoughtSignature: randomBytes(30_000).toString("base64"), inlineData: { mimeType: "image/png", data: image.toString("base64") } }] };
    await studio.modelTurns.put("local", root.id, modelTurn);
    const child = await studio.turns.create({ ownerId: "local", sessionId: session.id, parentId: root.id, request: { prompt: "Gold leaf", references: [], settings } });
    await studio.turns.update("local", child.id, { status: "failed", error: { code: "internal", message: "x", action: "y", retryable: true } });
    await studio.turns.create({ ownerId: "local", sessionId: session.id, parentId: root.id, request: { prompt: "Silver", references: [], settings } });
    const other = await studio.sessions.create({ ownerId: "someone", title: "Theirs" });
    await studio.turns.create({ ownerId: "someone", sessionId: other.id, parentId: null, request: { prompt: "x", references: [], settings } });
    await studio.shares.set("local", session.id, "continue");
    await studio.budgets.setDefault(20_000_000, "admin");
    await studio.budgets.setOverride("someone", null, "admin");
    await studio.budgets.setOverride("local", Number.MAX_SAFE_INTEGER, "admin");
    const rootResult = { turnId: root.id, hash: stored.hash };
    await studio.library.setFavourite("local", rootResult, true);
    const board = await studio.boards.create("local", "Desserts");
    await studio.boards.addItem("local", board.id, rootResult);
    await studio.boards.create("local", "Empty");
    await studio.prompts.create("local", { name: "Plated", text: "A [dish] on slate", tags: ["food"] });
    return { studio, session, root, modelTurn, hashes: [stored.hash, reference.hash] };
  }

  async function snapshot(storage: Storage, sessionId: string, turnId: string) {
    return {
      sessions: [...(await storage.sessions.list("local")), ...(await storage.sessions.list("someone"))],
      turns: await storage.turns.listBySession("local", sessionId),
      modelTurn: await storage.modelTurns.get("local", turnId),
      search: (await storage.sessions.list("local", { query: "gold" })).map((s) => s.id),
      ledger: await storage.ledger.entries({ from: "2000-01-01T00:00:00.000Z", to: "2999-01-01T00:00:00.000Z" }),
      spent: await storage.ledger.spent({ from: "2000-01-01T00:00:00.000Z", to: "2999-01-01T00:00:00.000Z", ownerId: "local" }),
      shares: await storage.shares.list(),
      budgets: { default: await storage.budgets.getDefault(), overrides: await storage.budgets.listOverrides() },
      library: await storage.library.list("local"),
      boards: await storage.boards.list("local"),
      prompts: await storage.prompts.list("local"),
    };
  }

  it("copies everything into PostgreSQL + S3, reads back identically, and a second run copies nothing", async () => {
    const { studio, session, root, modelTurn, hashes } = await embeddedStudio();
    const before = await snapshot(studio, session.id, root.id);
    // The copy is only a check if there is something to compare: 67 896 µ$ for the root (3.1 Flash).
    expect(before.ledger.map((entry) => [entry.status, entry.cost.microUsd])).toEqual([
      ["succeeded", 67_896],
      ["failed", null],
    ]);
    expect(before.spent).toBe(67_896);
    expect(before.shares.map((entry) => [entry.session.id, entry.share.mode])).toEqual([[session.id, "continue"]]);
    expect(before.budgets.overrides.map((o) => o.limitMicroUsd)).toEqual([Number.MAX_SAFE_INTEGER, null]);
    expect(before.library.map((item) => [item.favourite, item.boardIds.length])).toEqual([[true, 1]]);
    expect(before.boards.map((board) => [board.name, board.itemCount])).toEqual([["Desserts", 1], ["Empty", 0]]);
    await studio.close();
    const url = await cluster().createDatabase();
    const images = await bucketStore();

    const first = await migrateData({ dataDir, connectionString: url, images });
    expect(first).toEqual({
      sessions: { copied: 2, present: 0 },
      turns: { copied: 4, present: 0 },
      modelTurns: { copied: 1, present: 0 },
      shares: { copied: 1, present: 0 },
      settings: { copied: 1, present: 0 },
      budgetOverrides: { copied: 2, present: 0 },
      imageAccess: { copied: 2, present: 0 },
      favourites: { copied: 1, present: 0 },
      boards: { copied: 2, present: 0 },
      boardItems: { copied: 1, present: 0 },
      savedPrompts: { copied: 1, present: 0 },
      accounts: { copied: 0, present: 0 },
      images: { copied: 2, present: 0, verified: 2 },
      mismatches: [],
    });

    const team = await openPostgresStorage({ connectionString: url, images });
    try {
      const after = await snapshot(team, session.id, root.id);
      expect(after).toEqual(before);
      expect(JSON.stringify(after.modelTurn)).toBe(JSON.stringify(modelTurn));
      for (const hash of hashes) expect(await images.storedHash(hash)).toBe(hash);
      // Their owner may still read them; nobody else may.
      for (const hash of hashes) {
        expect(await team.imageAccess.canRead("local", hash)).toBe(true);
        expect(await team.imageAccess.canRead("someone", hash)).toBe(false);
      }
    } finally {
      await team.close();
    }

    const second = await migrateData({ dataDir, connectionString: url, images });
    expect(second).toEqual({
      sessions: { copied: 0, present: 2 },
      turns: { copied: 0, present: 4 },
      modelTurns: { copied: 0, present: 1 },
      shares: { copied: 0, present: 1 },
      settings: { copied: 0, present: 1 },
      budgetOverrides: { copied: 0, present: 2 },
      imageAccess: { copied: 0, present: 2 },
      favourites: { copied: 0, present: 1 },
      boards: { copied: 0, present: 2 },
      boardItems: { copied: 0, present: 1 },
      savedPrompts: { copied: 0, present: 1 },
      accounts: { copied: 0, present: 0 },
      images: { copied: 0, present: 2, verified: 2 },
      mismatches: [],
    });
  });

  it("reports an image file whose bytes do not hash to its name, and does not copy it", async () => {
    const { studio, hashes } = await embeddedStudio();
    await studio.close();
    const [damaged] = hashes as [string];
    await fs.writeFile(path.join(dataDir, "objects", damaged.slice(0, 2), damaged), fakePng(10));
    const images = await bucketStore();
    const counts = await migrateData({ dataDir, connectionString: await cluster().createDatabase(), images });
    expect(counts.mismatches).toEqual([expect.stringContaining(`${damaged}: the file's bytes do not hash to its name`)]);
    expect(counts.images).toEqual({ copied: 1, present: 0, verified: 1 });
    expect(await images.get(damaged)).toBeNull();
  });

  it("copies the accounts: the same people sign in with the same passwords, and their sessions stay valid", async () => {
    const authEnv = { secret: undefined, publicUrl: "http://studio.test", oidc: undefined, maxSignInFailures: 5, e2eSessionToken: undefined };
    const start = async (database: AuthDatabase, secret: string) => {
      const created = createStudioAuth({ database, secret, env: authEnv });
      await migrateAuthDatabase(created.options, database);
      return created.auth;
    };
    const { studio } = await embeddedStudio();
    const embedded = openSqliteAuthDatabase(dataDir);
    let cookie = "";
    try {
      const auth = await start(embedded, resolveAuthSecret(undefined, dataDir));
      await auth.api.createUser({ body: { email: "ann@example.com", password: "a long enough password", name: "Ann", role: "admin" } });
      await auth.api.createUser({ body: { email: "bob@example.com", password: "another long password", name: "Bob", role: "user" } });
      const signedIn = await auth.api.signInEmail({ body: { email: "ann@example.com", password: "a long enough password" }, asResponse: true });
      cookie = signedIn.headers.get("set-cookie")?.split(";")[0] ?? "";
      expect(cookie).toMatch(/session_token=/);
    } finally {
      await embedded.close();
      await studio.close();
    }

    const url = await cluster().createDatabase();
    const counts = await migrateData({ dataDir, connectionString: url, images: await bucketStore() });
    // Two people, their two password accounts, Ann's session, and the audit lines of the sign-in.
    expect(counts.accounts.copied).toBeGreaterThanOrEqual(5);
    expect(counts.accounts.present).toBe(0);

    const team = openPostgresAuthDatabase(url);
    try {
      const auth = await start(team, await sharedAuthSecret(team.kysely));
      expect((await auth.api.getSession({ headers: new Headers({ cookie }) }))?.user).toMatchObject({ email: "ann@example.com", role: "admin" });
      const bob = await auth.api.signInEmail({ body: { email: "bob@example.com", password: "another long password" }, asResponse: true });
      expect(bob.status).toBe(200);
      const wrong = await auth.api.signInEmail({ body: { email: "bob@example.com", password: "a long enough password" }, asResponse: true });
      expect(wrong.status).toBe(401);
    } finally {
      await team.close();
    }
    const again = await migrateData({ dataDir, connectionString: url, images: await bucketStore() });
    expect(again.accounts).toEqual({ copied: 0, present: counts.accounts.copied });
  }, 60_000);
});
