import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { withDataFromBytes } from "@/lib/gemini/base64";
import { findModel } from "@/lib/gemini/catalog";
import { buildUserParts, planGeneration, replayModelTurn } from "@/lib/gemini/request";
import type { GenerationSettings, HistoryTurn, ModelTurn, ReferenceImage } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryImageStore, createMemoryStorage } from "@/lib/storage/memory-storage";
import { emptyOutcome, type Storage, type Turn, type TurnOutcome } from "@/lib/storage/types";
import { MB, REQUEST_OVERHEAD_BYTES } from "@/lib/studio/request-size";
import {
  base64Length,
  createRequestSizeEstimator,
  modelContentBytes,
  replayBytesOf,
  sizedReferences,
  userContentBytes,
} from "./request-size";
import { JOB_TEST_SETTINGS } from "@/test/support/settings";

const OWNER = "local";

const settings: GenerationSettings = { ...JOB_TEST_SETTINGS, webSearch: true, imageSearch: true };

/** A model answer shaped like a real one: a thought, an image with its (large) signature, a signed empty tail. */
function modelAnswer(image: Buffer): ModelTurn {
  return {
    parts: [
      { text: "**Planning** the \"light\" — warmer\n", thought: true },
      { inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: randomBytes(45_000).toString("base64") },
      { text: "", thoughtSignature: randomBytes(300).toString("base64") },
    ],
  };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

describe("what a turn adds to a request", () => {
  it("counts the user content exactly: prompt, role labels and references as base64", () => {
    const references: ReferenceImage[] = [
      { mimeType: "image/png", data: fakePng(1_000), role: "object" },
      { mimeType: "image/jpeg", data: fakePng(2_001) },
    ];
    const prompt = "Put the \"cup\" from image 1 on the table of image 2 — ünïcode too";
    const actual = jsonBytes({ role: "user", parts: buildUserParts(prompt, references) }) + 1;
    expect(userContentBytes(prompt, sizedReferences(references))).toBe(actual);
    expect(userContentBytes("", [])).toBe(jsonBytes({ role: "user", parts: [] }) + 1);
  });

  it("counts the model content exactly, also when its image data is encoded on read", () => {
    const image = fakePng(30_000);
    const turn = modelAnswer(image);
    const actual = jsonBytes(replayModelTurn(turn)) + 1;
    expect(modelContentBytes(turn)).toBe(actual);
    const lazy: ModelTurn = {
      parts: turn.parts.map((part) => (part.inlineData ? { ...part, inlineData: withDataFromBytes(part.inlineData, image) } : part)),
    };
    expect(modelContentBytes(lazy)).toBe(actual);
  });

  it("adds nothing for an answer without parts: the request leaves that exchange out", () => {
    expect(replayBytesOf({ prompt: "A cat", references: [], modelTurn: { parts: [] } })).toBe(0);
  });

  it("base64 length is 4 characters per started 3 bytes", () => {
    expect([0, 1, 2, 3, 4, 1_500_000].map(base64Length)).toEqual([0, 4, 4, 4, 8, 2_000_000]);
  });

  it("sums to the request the studio sends, within the overhead it allows for", () => {
    const profile = findModel(settings.model);
    if (!profile) throw new Error("catalog lost the model");
    const history: HistoryTurn[] = [
      { prompt: "A ceramic cup", references: [{ mimeType: "image/png", data: fakePng(40_000), role: "object" }], modelTurn: modelAnswer(fakePng(60_000)) },
      { prompt: "Warmer light", references: [], modelTurn: modelAnswer(fakePng(60_000)) },
      { prompt: "Blocked", references: [], modelTurn: { parts: [] } },
    ];
    const next = { prompt: "Remove the cup", references: [{ mimeType: "image/webp", data: fakePng(5_000) }] };
    const { call } = planGeneration({ history, ...next, settings }, profile);
    // The SDK's body: contents, the generation config and the tools.
    const { tools, ...generationConfig } = call.config;
    const actual = jsonBytes({ contents: call.contents, generationConfig, tools });
    const estimate =
      REQUEST_OVERHEAD_BYTES +
      history.reduce((sum, turn) => sum + replayBytesOf({ prompt: turn.prompt, references: sizedReferences(turn.references), modelTurn: turn.modelTurn }), 0) +
      userContentBytes(next.prompt, sizedReferences(next.references));
    expect(estimate).toBeGreaterThanOrEqual(actual);
    expect(estimate - actual).toBeLessThan(REQUEST_OVERHEAD_BYTES);
  });
});

describe("the estimate for a chain", () => {
  let storage: Storage;
  let turnNumber = 0;

  beforeEach(() => {
    storage = createMemoryStorage({ images: createMemoryImageStore() });
    turnNumber = 0;
  });

  async function addTurn(
    sessionId: string,
    parentId: string | null,
    options: { status?: "succeeded" | "failed"; replayBytes?: number; referenceHash?: string; modelTurn?: ModelTurn | null } = {},
  ): Promise<Turn> {
    turnNumber += 1;
    const references = options.referenceHash ? [{ hash: options.referenceHash, mimeType: "image/png", width: null, height: null }] : [];
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request: { prompt: `Turn ${turnNumber}`, references, settings } });
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    if (options.modelTurn !== null) await storage.modelTurns.put(OWNER, turn.id, options.modelTurn ?? modelAnswer(fakePng(10_000)));
    const outcome: TurnOutcome = { ...emptyOutcome(), ...(options.replayBytes === undefined ? {} : { replayBytes: options.replayBytes }) };
    return storage.turns.update(OWNER, turn.id, { status: options.status ?? "succeeded", outcome });
  }

  it("sums what succeeded turns recorded without reading a model turn or an image", async () => {
    const { id } = await storage.sessions.create({ ownerId: OWNER, title: "Long" });
    const first = await addTurn(id, null, { replayBytes: 30 * MB });
    const failed = await addTurn(id, first.id, { status: "failed", replayBytes: 500 * MB });
    const second = await addTurn(id, first.id, { replayBytes: 25 * MB });
    const readModel = vi.spyOn(storage.modelTurns, "get");
    const readImage = vi.spyOn(storage.images, "get");
    const estimator = createRequestSizeEstimator(storage);

    const chain = [first, second];
    expect(await estimator.estimate(OWNER, chain)).toEqual({ bytes: 55 * MB + REQUEST_OVERHEAD_BYTES, replayedTurns: 2, level: "warn" });
    // The failed sibling is never replayed, whatever it weighs.
    expect(await estimator.estimate(OWNER, [first, failed])).toMatchObject({ bytes: 30 * MB + REQUEST_OVERHEAD_BYTES, replayedTurns: 1, level: "ok" });
    const next = { prompt: "More", references: [{ mimeType: "image/png", byteLength: 45 * MB }] };
    const withNext = await estimator.estimate(OWNER, chain, next);
    expect(withNext.bytes).toBe(55 * MB + REQUEST_OVERHEAD_BYTES + userContentBytes(next.prompt, next.references));
    expect(withNext.level).toBe("refuse");
    expect(readModel).not.toHaveBeenCalled();
    expect(readImage).not.toHaveBeenCalled();
  });

  it("measures a turn saved before the field once from storage, the same as the runner would have", async () => {
    const { id } = await storage.sessions.create({ ownerId: OWNER, title: "Old" });
    const reference = await storage.images.put(fakePng(20_000));
    const answer = modelAnswer(fakePng(30_000));
    const old = await addTurn(id, null, { referenceHash: reference.hash, modelTurn: answer });
    expect(old.outcome?.replayBytes).toBeUndefined();
    const readModel = vi.spyOn(storage.modelTurns, "get");
    const estimator = createRequestSizeEstimator(storage);

    const expected = replayBytesOf({ prompt: "Turn 1", references: [{ mimeType: "image/png", byteLength: reference.byteLength }], modelTurn: answer });
    expect(expected).toBeGreaterThan(base64Length(20_000) + base64Length(30_000));
    expect((await estimator.estimate(OWNER, [old])).bytes).toBe(REQUEST_OVERHEAD_BYTES + expected);
    expect((await estimator.estimate(OWNER, [old])).bytes).toBe(REQUEST_OVERHEAD_BYTES + expected);
    expect(readModel).toHaveBeenCalledTimes(1);
  });

  it("counts only the prompt and references of a turn whose answer is missing", async () => {
    const { id } = await storage.sessions.create({ ownerId: OWNER, title: "Broken" });
    const orphan = await addTurn(id, null, { modelTurn: null });
    const estimate = await createRequestSizeEstimator(storage).estimate(OWNER, [orphan]);
    expect(estimate.bytes).toBe(REQUEST_OVERHEAD_BYTES + userContentBytes("Turn 1", []));
  });

  it("starts from the overhead alone for a new conversation", async () => {
    expect(await createRequestSizeEstimator(storage).estimate(OWNER, [])).toEqual({ bytes: REQUEST_OVERHEAD_BYTES, replayedTurns: 0, level: "ok" });
  });
});
