import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BILLED_SETTINGS, BILLED_USAGE, billingGateway } from "@/test/support/billing-gateway";
import type { GeminiGateway } from "@/lib/gemini/client";
import type { GenerationRequest } from "@/lib/gemini/types";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage } from "@/lib/storage/types";
import { estimateMicroUsd } from "./budgets";
import { formatUsd } from "@/lib/gemini/prices";
import { createJobRunner, type JobRunner } from "./jobs/runner";
import { startTurnSet, type TurnSetDeps } from "./turn-sets";

const OWNER = "alice";
const settings = BILLED_SETTINGS;
const USAGE = BILLED_USAGE;
const NOW = new Date("2026-12-15T12:00:00.000Z");

let storage: Storage;
let jobs: JobRunner;
let deps: TurnSetDeps;
let requests: GenerationRequest[];

beforeEach(() => {
  storage = createMemoryStorage({ now: () => NOW });
  let gateway: GeminiGateway;
  ({ gateway, requests } = billingGateway(USAGE));
  jobs = createJobRunner({ storage, gateway: () => gateway });
  deps = { storage, jobs, now: () => NOW };
});

afterEach(async () => {
  await jobs.shutdown();
});

describe("startTurnSet", () => {
  it("starts N variations as sibling turns of one parent, each its own job", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const started = await startTurnSet(deps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 3, settings });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.data.turns).toHaveLength(3);
    expect(started.data.refused).toEqual([]);
    await jobs.idle();
    const turns = await storage.turns.listBySession(OWNER, session.id);
    expect(turns.map((turn) => turn.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(new Set(turns.map((turn) => turn.parentId))).toEqual(new Set([null]));
    expect(requests).toHaveLength(3);
  });

  it("sends a comparison to each model and size, continuing from the same parent", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const first = await startTurnSet(deps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 1, settings });
    if (!first.ok) throw new Error(first.error.message);
    await jobs.idle();
    const parentId = first.data.turns[0]?.id ?? null;
    const pro = { ...settings, model: "gemini-3-pro-image", imageSize: "2K" as const, thinkingLevel: undefined };
    const started = await startTurnSet(deps, OWNER, { kind: "compare", sessionId: session.id, parentId, prompt: "now in blue", runs: [settings, pro] });
    if (!started.ok) throw new Error(started.error.message);
    await jobs.idle();
    expect(started.data.turns.map((turn) => [turn.parentId, turn.request.settings.model, turn.request.settings.imageSize])).toEqual([
      [parentId, "gemini-3.1-flash-image", "1K"],
      [parentId, "gemini-3-pro-image", "2K"],
    ]);
    expect(requests.map((request) => request.settings.model)).toEqual(["gemini-3.1-flash-image", "gemini-3.1-flash-image", "gemini-3-pro-image"]);
  });

  it("refuses the whole set over budget by its sum, before anything is stored or sent", async () => {
    await storage.budgets.setDefault(150_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const refused = await startTurnSet(deps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 3, settings });
    expect(refused).toMatchObject({ ok: false, error: { code: "budget_exceeded", budget: { leftMicroUsd: 150_000 } } });
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(0);
    expect(requests).toHaveLength(0);
    const fits = await startTurnSet(deps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 2, settings });
    expect(fits.ok).toBe(true);
  });

  it("counts a batch at what the ledger bills (half), in the check and in the refusal's figures", async () => {
    const full = estimateMicroUsd(settings);
    const half = estimateMicroUsd(settings, { batch: true });
    expect(half).toBe(Math.round(full / 2));
    // The billing gateway has no Batch API: the runner's start is stood in for, the check is real.
    const startBatch = vi.fn<JobRunner["startBatch"]>(async () => ({ ok: true, data: [] }));
    const batchDeps = { ...deps, jobs: { ...jobs, startBatch } };
    // Two images fit at half price, not at full.
    await storage.budgets.setDefault(2 * half + 1_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const direct = await startTurnSet(batchDeps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 2, settings });
    expect(direct).toMatchObject({ ok: false, error: { code: "budget_exceeded" } });
    const batched = await startTurnSet(batchDeps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 2, settings, batch: true });
    expect(batched.ok).toBe(true);
    expect(startBatch).toHaveBeenCalledTimes(1);
    // Four do not fit even at half, and the refusal names the half-price sum.
    const over = await startTurnSet(batchDeps, OWNER, { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 4, settings, batch: true });
    expect(over).toMatchObject({ ok: false, error: { code: "budget_exceeded" } });
    expect(!over.ok && over.error.message).toContain(`These 4 images (about ${formatUsd(4 * half)} together)`);
    expect(startBatch).toHaveBeenCalledTimes(1);
    expect(requests).toHaveLength(0);
  });

  it("refuses a run its model can't do, and another person's session, without starting any", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const bad = await startTurnSet(deps, OWNER, {
      kind: "compare",
      sessionId: session.id,
      parentId: null,
      prompt: "a banana",
      runs: [settings, { ...settings, model: "gemini-2.5-flash-image", imageSize: "4K" }],
    });
    expect(bad).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    const foreign = await startTurnSet(deps, "mallory", { kind: "variations", sessionId: session.id, parentId: null, prompt: "a banana", count: 2, settings });
    expect(foreign).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(0);
    expect(requests).toHaveLength(0);
  });
});
