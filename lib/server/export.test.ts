import { createHash, randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { readZip, readZipFiles } from "@/test/support/unzip";
import type { GenerationSettings, Grounding, StudioError } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage, StoredImageRef, StoredReference, Turn, TurnOutcome } from "@/lib/storage/types";
import {
  SESSION_EXPORT_SCHEMA_VERSION,
  asciiSessionSlug,
  attachmentContentDisposition,
  buildSessionExport,
  sessionSlug,
  type SessionExport,
  type SessionExportManifest,
} from "./export";
import { buildSearchWidgetDocument } from "@/lib/studio/search-widget";
import { createZipStream, type ZipEntry } from "./zip";

const OWNER = "local";
const NOW = new Date(2026, 10, 22, 10, 15, 0);

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

const widget = '<style>.container{display:flex}</style><div class="container"><a class="chip" href="https://www.google.com/search?q=paris">Paris weather</a></div>';

const grounding: Grounding = {
  webQueries: ["paris weather weekend"],
  imageQueries: ["eiffel tower"],
  sources: [
    { index: 0, kind: "web", uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/abc", title: "meteo.fr", domain: null },
    { index: 2, kind: "image", uri: "https://example.org/page", title: "Tower", domain: "example.org", imageUri: "https://example.org/tower.jpg" },
  ],
  supports: [{ startByte: 0, endByte: 10, text: "Voilà — it", sourceIndices: [2, 0] }],
  searchEntryPointHtml: widget,
};

function fakeJpeg(size = 64): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size)]);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

let storage: Storage;

beforeEach(() => {
  storage = createMemoryStorage();
});

async function putImage(bytes: Buffer, fileName: string | null): Promise<StoredImageRef> {
  const stored = await storage.images.put(bytes);
  return { hash: stored.hash, mimeType: stored.mimeType, width: 1376, height: 768, fileName, requested: { width: 1376, height: 768 }, sizeMismatch: false };
}

function outcome(extra: Partial<TurnOutcome>): TurnOutcome {
  return {
    images: [],
    thoughts: [],
    text: "",
    grounding: null,
    usage: { promptTokens: 12, outputTokens: 1300, imageTokens: 1290, thoughtsTokens: 210, totalTokens: 1522 },
    finishReason: "STOP",
    blockReason: null,
    modelVersion: "gemini-3.1-flash-image-001",
    responseId: "resp-1",
    warnings: [],
    ...extra,
  };
}

async function addTurn(
  sessionId: string,
  parentId: string | null,
  prompt: string,
  end: { status: "succeeded"; outcome: TurnOutcome } | { status: "failed"; error: StudioError; outcome?: TurnOutcome } | { status: "running" },
  references: StoredReference[] = [],
  owner = OWNER,
): Promise<Turn> {
  const turn = await storage.turns.create({ ownerId: owner, sessionId, parentId, request: { prompt, references, settings } });
  await storage.turns.update(owner, turn.id, { status: "running", attempts: 1 });
  if (end.status === "running") return (await storage.turns.get(owner, turn.id))!;
  if (end.status === "succeeded") return storage.turns.update(owner, turn.id, { status: "succeeded", outcome: end.outcome });
  return storage.turns.update(owner, turn.id, { status: "failed", error: end.error, outcome: end.outcome ?? null });
}

async function collect(exported: SessionExport): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for await (const entry of exported.entries()) entries.push(entry);
  return entries;
}

async function zipOf(exported: SessionExport): Promise<Map<string, Buffer>> {
  const bytes = new Uint8Array(await new Response(createZipStream(exported.entries())).arrayBuffer());
  return await readZipFiles(bytes);
}

function manifestOf(files: Map<string, Buffer>): SessionExportManifest {
  const json = files.get("session.json");
  if (!json) throw new Error("session.json is missing");
  return JSON.parse(json.toString("utf8")) as SessionExportManifest;
}

async function exportOf(sessionId: string): Promise<SessionExport> {
  const result = await buildSessionExport(storage, OWNER, sessionId, { now: () => NOW });
  if (!result.ok) throw new Error(result.error.message);
  return result.data;
}

describe("buildSessionExport", () => {
  it("exports final images, references, search suggestions and every turn in tree order — never thought images", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Paris posters" });
    const thoughtBytes = fakePng(500);
    const thought = await storage.images.put(thoughtBytes);
    const firstBytes = fakeJpeg(800);
    const first = await putImage(firstBytes, "gen-paris-poster-20261122-101500.jpg");
    const referenceBytes = fakePng(300);
    const referenceImage = await storage.images.put(referenceBytes);
    const reference: StoredReference = { hash: referenceImage.hash, mimeType: "image/png", width: 64, height: 64, role: "style" };

    const root = await addTurn(session.id, null, "A Paris poster", {
      status: "succeeded",
      outcome: outcome({
        images: [first],
        thoughts: [
          { kind: "text", text: "Planning the layout", at: 100 },
          { kind: "image", hash: thought.hash, mimeType: "image/png", width: 64, height: 64, at: 200 },
        ],
        text: "Here is your poster.",
      }),
    });
    const grounded = await addTurn(
      session.id,
      root.id,
      "Use this weekend's weather",
      { status: "succeeded", outcome: outcome({ images: [await putImage(fakeJpeg(900), "search-use-this-weekend-20261122-101600.jpg")], grounding, text: "Voilà — it rains." }) },
      [reference],
    );
    // A branch from the root, created after the grounded turn but before the grounded turn's child.
    const failedError: StudioError = { code: "safety_block", message: "Blocked.", action: "Rephrase.", retryable: false, blockReason: "SAFETY" };
    const branch = await addTurn(session.id, root.id, "Something blocked", { status: "failed", error: failedError }, [reference]);
    const leaf = await addTurn(session.id, grounded.id, "Make it night", {
      status: "succeeded",
      outcome: outcome({ images: [await putImage(fakeJpeg(700), "edit-make-it-night-20261122-101700.jpg")] }),
    });

    const exported = await exportOf(session.id);
    expect(exported.fileName).toBe("paris-posters-20261122-101500.zip");
    const files = await zipOf(exported);

    expect([...files.keys()].sort()).toEqual(
      [
        "README.txt",
        "images/edit-make-it-night-20261122-101700.jpg",
        "images/gen-paris-poster-20261122-101500.jpg",
        "images/search-use-this-weekend-20261122-101600.jpg",
        `references/01-${reference.hash.slice(0, 8)}.png`,
        `search-suggestions/${grounded.id}.html`,
        "session.json",
      ].sort(),
    );
    expect(files.get("images/gen-paris-poster-20261122-101500.jpg")?.equals(firstBytes)).toBe(true);
    expect(files.get(`references/01-${reference.hash.slice(0, 8)}.png`)?.equals(referenceBytes)).toBe(true);
    expect(files.get(`search-suggestions/${grounded.id}.html`)?.toString("utf8")).toBe(buildSearchWidgetDocument(widget));
    for (const bytes of files.values()) expect(sha256(bytes)).not.toBe(thought.hash);

    const manifest = manifestOf(files);
    expect(JSON.stringify(manifest)).not.toContain(thought.hash);
    expect(manifest.schemaVersion).toBe(SESSION_EXPORT_SCHEMA_VERSION);
    expect(manifest.session).toMatchObject({ id: session.id, title: "Paris posters", turnCount: 4 });
    expect(manifest.turns.map((turn) => [turn.id, turn.parentId, turn.depth])).toEqual([
      [root.id, null, 0],
      [grounded.id, root.id, 1],
      [leaf.id, grounded.id, 2],
      [branch.id, root.id, 1],
    ]);

    const [rootTurn, groundedTurn, , branchTurn] = manifest.turns;
    expect(rootTurn).toMatchObject({
      prompt: "A Paris poster",
      status: "succeeded",
      model: "gemini-3.1-flash-image",
      modelVersion: "gemini-3.1-flash-image-001",
      settings,
      text: "Here is your poster.",
      usage: { totalTokens: 1522 },
      finishReason: "STOP",
      error: null,
      outputs: [
        {
          file: "images/gen-paris-poster-20261122-101500.jpg",
          fileName: "gen-paris-poster-20261122-101500.jpg",
          mimeType: "image/jpeg",
          width: 1376,
          height: 768,
          byteLength: firstBytes.byteLength,
        },
      ],
    });
    expect(groundedTurn?.references).toEqual([
      {
        file: `references/01-${reference.hash.slice(0, 8)}.png`,
        hash: reference.hash,
        mimeType: "image/png",
        width: 64,
        height: 64,
        byteLength: referenceBytes.byteLength,
        role: "style",
      },
    ]);
    expect(groundedTurn?.grounding).toEqual({
      webQueries: ["paris weather weekend"],
      imageQueries: ["eiffel tower"],
      sources: [
        { number: 1, index: 0, kind: "web", uri: grounding.sources[0]!.uri, title: "meteo.fr", domain: "meteo.fr", imageUri: null },
        { number: 2, index: 2, kind: "image", uri: "https://example.org/page", title: "Tower", domain: "example.org", imageUri: "https://example.org/tower.jpg" },
      ],
      supports: [{ startByte: 0, endByte: 10, text: "Voilà — it", sourceIndices: [2, 0], sourceNumbers: [2, 1] }],
      searchSuggestions: `search-suggestions/${grounded.id}.html`,
    });
    // The same reference used twice is one file.
    expect(branchTurn?.references[0]?.file).toBe(`references/01-${reference.hash.slice(0, 8)}.png`);
    expect(branchTurn).toMatchObject({ status: "failed", outputs: [], error: failedError });

    const readme = files.get("README.txt")?.toString("utf8") ?? "";
    expect(readme).toContain("session.json");
    expect(readme).toContain("search-suggestions/");
    expect(readme).toMatch(/[Tt]hought images .* not included/);
  });

  it("keeps images and JSON compressed appropriately and dated by their turn", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Dates" });
    const turn = await addTurn(session.id, null, "A cat", { status: "succeeded", outcome: outcome({ images: [await putImage(fakeJpeg(4_000), "gen-a-cat-20261122-101500.jpg")] }) });
    const bytes = new Uint8Array(await new Response(createZipStream((await exportOf(session.id)).entries())).arrayBuffer());
    const entries = new Map((await readZip(bytes)).map((entry) => [entry.name, entry]));
    expect(entries.get("images/gen-a-cat-20261122-101500.jpg")?.method).toBe(0);
    expect(entries.get("session.json")?.method).toBe(8);
    expect(entries.get("images/gen-a-cat-20261122-101500.jpg")?.modifiedAt?.getTime()).toBe(Math.floor(Date.parse(turn.updatedAt) / 1000) * 1000);
  });

  it("dedupes clashing names: other bytes get a suffix, the same bytes share one file", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Clashes" });
    const shared = await putImage(fakeJpeg(), "gen-same-20261122-101500.jpg");
    const other = await putImage(fakeJpeg(), "gen-same-20261122-101500.jpg");
    const upper = await putImage(fakeJpeg(), "GEN-SAME-20261122-101500.jpg");
    const a = await addTurn(session.id, null, "one", { status: "succeeded", outcome: outcome({ images: [shared] }) });
    const b = await addTurn(session.id, a.id, "two", { status: "succeeded", outcome: outcome({ images: [shared, other] }) });
    await addTurn(session.id, b.id, "three", { status: "succeeded", outcome: outcome({ images: [upper] }) });

    const files = await zipOf(await exportOf(session.id));
    const images = [...files.keys()].filter((name) => name.startsWith("images/")).sort();
    // Case-insensitively both "gen-same…" names are taken, so the upper-case one becomes -3.
    expect(images).toEqual(["images/GEN-SAME-20261122-101500-3.jpg", "images/gen-same-20261122-101500-2.jpg", "images/gen-same-20261122-101500.jpg"].sort());
    const manifest = manifestOf(files);
    expect(manifest.turns[1]?.outputs.map((output) => output.file)).toEqual([
      "images/gen-same-20261122-101500.jpg",
      "images/gen-same-20261122-101500-2.jpg",
    ]);
    expect(manifest.turns[0]?.outputs[0]?.file).toBe("images/gen-same-20261122-101500.jpg");
  });

  it("keeps a hand-edited name inside images/", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Paths" });
    await addTurn(session.id, null, "x", { status: "succeeded", outcome: outcome({ images: [await putImage(fakeJpeg(), "../../etc/evil.jpg")] }) });
    const names = (await collect(await exportOf(session.id))).map((entry) => entry.name);
    expect(names).toContain("images/evil.jpg");
  });

  it("lists images it could not include, saying why", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Gaps" });
    const missing = { ...(await putImage(fakeJpeg(), "gen-gone-20261122-101500.jpg")), hash: "f".repeat(64) };
    await addTurn(session.id, null, "gone", { status: "succeeded", outcome: outcome({ images: [missing] }) });
    await addTurn(session.id, null, "still running", { status: "running" });
    const partial = await putImage(fakeJpeg(), null);
    await addTurn(session.id, null, "broke midway", {
      status: "failed",
      error: { code: "network", message: "Lost.", action: "Retry.", retryable: true },
      outcome: outcome({ images: [partial] }),
    });

    const files = await zipOf(await exportOf(session.id));
    expect([...files.keys()].filter((name) => name.startsWith("images/"))).toEqual([]);
    const manifest = manifestOf(files);
    expect(manifest.turns.map((turn) => turn.status)).toEqual(["succeeded", "running", "failed"]);
    expect(manifest.turns[0]?.outputs[0]).toMatchObject({ file: null, omitted: "missing_from_storage", fileName: "gen-gone-20261122-101500.jpg" });
    expect(manifest.turns[2]?.outputs[0]).toMatchObject({ file: null, omitted: "unfinished", hash: partial.hash });
    expect(manifest.turns[2]?.error?.code).toBe("network");
  });

  it("exports an empty session as README and session.json", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Untitled session" });
    const names = (await collect(await exportOf(session.id))).map((entry) => entry.name);
    expect(names).toEqual(["README.txt", "session.json"]);
  });

  it("treats another owner's session, an unknown id and a malformed id as not found", async () => {
    const theirs = await storage.sessions.create({ ownerId: "someone-else", title: "Private" });
    for (const id of [theirs.id, "unknown-session", "../../etc", ""]) {
      const result = await buildSessionExport(storage, OWNER, id);
      expect(result).toEqual({ ok: false, error: { code: "not_found", message: expect.any(String) } });
    }
  });
});

describe("export file names", () => {
  it("slugs titles in any script, with an ASCII fallback", () => {
    expect(sessionSlug("Paris Posters — Weekend!")).toBe("paris-posters-weekend");
    expect(sessionSlug("Café crème")).toBe("café-crème");
    expect(asciiSessionSlug("Café crème")).toBe("cafe-creme");
    expect(sessionSlug("東京の夜")).toBe("東京の夜");
    expect(asciiSessionSlug("東京の夜")).toBe("session");
    expect(sessionSlug("  !!  ")).toBe("session");
    expect(Array.from(sessionSlug("🍌".repeat(100) + "a".repeat(100))).length).toBeLessThanOrEqual(60);
  });

  it("builds an RFC 6266 content-disposition, adding filename* only when needed", () => {
    expect(attachmentContentDisposition("paris-20261122-101500.zip", "paris-20261122-101500.zip")).toBe(
      'attachment; filename="paris-20261122-101500.zip"',
    );
    expect(attachmentContentDisposition("café-20261122-101500.zip", "cafe-20261122-101500.zip")).toBe(
      "attachment; filename=\"cafe-20261122-101500.zip\"; filename*=UTF-8''caf%C3%A9-20261122-101500.zip",
    );
    expect(attachmentContentDisposition("it's (1).zip", 'it"s.zip')).toBe(
      "attachment; filename=\"it_s.zip\"; filename*=UTF-8''it%27s%20%281%29.zip",
    );
  });
});
