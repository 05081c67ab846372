import { describe, expect, it, vi } from "vitest";
import type { GenerationSettings, ModelTurn } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage, Turn, TurnRequest } from "@/lib/storage/types";
import { JobFailure, createHistoryBuilder } from "./history";
import { createHistoryCache } from "./history-cache";
import { JOB_TEST_SETTINGS } from "@/test/support/settings";

const OWNER = "local";
const settings: GenerationSettings = JOB_TEST_SETTINGS;

/** A model turn as Gemini sends it: a thought, text with a signature, a signed image, an unknown field. */
function answer(label: string): ModelTurn {
  return {
    parts: [
      { text: `thinking about ${label}`, thought: true },
      { text: `Here is ${label}.`, thoughtSignature: Buffer.from(`text-sig-${label}`).toString("base64") },
      { inlineData: { mimeType: "image/png", data: fakePng(32).toString("base64") }, thoughtSignature: Buffer.from(`image-sig-${label}`).toString("base64"), futureField: { kept: true } },
    ],
  };
}

/** A chain root → … of finished turns, each with its stored model turn; `references` go on the first. */
async function seedChain(storage: Storage, prompts: string[], references: TurnRequest["references"] = []): Promise<Turn[]> {
  const session = await storage.sessions.create({ ownerId: OWNER, title: "Chain" });
  let parentId: string | null = null;
  for (const [index, prompt] of prompts.entries()) {
    const turn = await storage.turns.create({
      ownerId: OWNER,
      sessionId: session.id,
      parentId,
      request: { prompt, references: index === 0 ? references : [], settings },
    });
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    await storage.turns.update(OWNER, turn.id, { status: "succeeded", attempts: 1 });
    await storage.modelTurns.put(OWNER, turn.id, answer(prompt));
    parentId = turn.id;
  }
  return (await storage.turns.chain(OWNER, parentId ?? "")) ?? [];
}

async function failureOf(work: Promise<unknown>): Promise<JobFailure> {
  const error = await work.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof JobFailure)) throw new Error(`expected a JobFailure, got ${String(error)}`);
  return error;
}

describe("history builder", () => {
  it("replays the chain in order: prompts, reference bytes and each model turn exactly as stored", async () => {
    const storage = createMemoryStorage();
    const reference = fakePng();
    const stored = await storage.images.put(reference);
    const chain = await seedChain(storage, ["A banana", "Make it gold", "Add a logo"], [{ hash: stored.hash, mimeType: "image/png", width: 640, height: 480, role: "style" }]);
    const { buildHistory } = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    const history = await buildHistory(OWNER, chain);
    expect(history.map((turn) => turn.prompt)).toEqual(["A banana", "Make it gold", "Add a logo"]);
    expect(history[0]?.references).toEqual([{ mimeType: "image/png", data: reference, role: "style", width: 640, height: 480 }]);
    for (const [index, turn] of chain.entries()) {
      expect(JSON.stringify(history[index]?.modelTurn)).toBe(JSON.stringify(await storage.modelTurns.get(OWNER, turn.id)));
    }
  });

  it("reads storage once per turn and image, then replays from the cache with the same bytes", async () => {
    const storage = createMemoryStorage();
    const stored = await storage.images.put(fakePng());
    const chain = await seedChain(storage, ["one", "two", "three"], [{ hash: stored.hash, mimeType: "image/png", width: null, height: null }]);
    const readTurn = vi.spyOn(storage.modelTurns, "get");
    const readImage = vi.spyOn(storage.images, "get");
    const { buildHistory } = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    const cold = await buildHistory(OWNER, chain);
    expect(readTurn).toHaveBeenCalledTimes(3);
    expect(readImage).toHaveBeenCalledTimes(1);
    const warm = await buildHistory(OWNER, chain);
    expect(readTurn).toHaveBeenCalledTimes(3);
    expect(readImage).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warm.map((turn) => turn.modelTurn))).toBe(JSON.stringify(cold.map((turn) => turn.modelTurn)));
    expect(warm[0]?.references[0]?.data).toBe(cold[0]?.references[0]?.data);
    // Without a cache, the same history from storage every time.
    const uncached = createHistoryBuilder(storage);
    expect(JSON.stringify(await uncached.buildHistory(OWNER, chain))).toBe(JSON.stringify(cold));
    expect(readTurn).toHaveBeenCalledTimes(6);
  });

  it("leaves out turns that did not succeed", async () => {
    const storage = createMemoryStorage();
    const [first, second] = await seedChain(storage, ["one", "two"]);
    const failed = { ...second!, status: "failed" } as Turn;
    const { buildHistory } = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    expect((await buildHistory(OWNER, [first!, failed])).map((turn) => turn.prompt)).toEqual(["one"]);
  });

  it("fails clearly, with or without the cache, when a model turn is missing, and finds it once it is there", async () => {
    const storage = createMemoryStorage();
    const chain = await seedChain(storage, ["one", "two"]);
    const missing = chain[1]!;
    await storage.modelTurns.delete(OWNER, missing.id);
    for (const builder of [createHistoryBuilder(storage), createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }))]) {
      const failure = await failureOf(builder.buildHistory(OWNER, chain));
      expect(failure.error).toMatchObject({
        code: "invalid_request",
        message: expect.stringContaining("earlier answer in this conversation is missing"),
        detail: `Missing model turn ${missing.id}`,
      });
    }
    const cached = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    await failureOf(cached.buildHistory(OWNER, chain));
    await storage.modelTurns.put(OWNER, missing.id, answer("two"));
    expect((await cached.buildHistory(OWNER, chain)).map((turn) => turn.prompt)).toEqual(["one", "two"]);
  });

  it("fails clearly when a reference image is missing", async () => {
    const storage = createMemoryStorage();
    const hash = "f".repeat(64);
    const chain = await seedChain(storage, ["one"], [{ hash, mimeType: "image/png", width: null, height: null }]);
    const { buildHistory, loadReferences } = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    expect((await failureOf(buildHistory(OWNER, chain))).error).toMatchObject({ code: "invalid_request", detail: `Missing image ${hash}` });
    expect((await failureOf(loadReferences(chain[0]!.request.references))).error.detail).toBe(`Missing image ${hash}`);
  });

  it("keeps one owner's cached turns from another with the same turn id", async () => {
    const storage = createMemoryStorage();
    const chain = await seedChain(storage, ["mine"]);
    const { buildHistory } = createHistoryBuilder(storage, createHistoryCache({ maxBytes: 10_000_000 }));
    await buildHistory(OWNER, chain);
    // "bob" holds no model turn under this id: the cached one of OWNER must not answer for him.
    expect((await failureOf(buildHistory("bob", chain))).error.detail).toBe(`Missing model turn ${chain[0]!.id}`);
  });
});
