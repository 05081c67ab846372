import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BILLED_SETTINGS, BILLED_USAGE, billingGateway } from "@/test/support/billing-gateway";
import type { GeminiGateway } from "@/lib/gemini/client";
import type { GenerationRequest } from "@/lib/gemini/types";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import type { Storage } from "@/lib/storage/types";
import { budgetStatus, checkBudget, estimateMicroUsd, monthOf, parseMonth, refuseOverBudget, type BudgetStatus } from "./budgets";
import { createJobRunner, type JobRunner } from "./jobs/runner";
import { createStudioSessions, type StudioSessions } from "./sessions";

const OWNER = "alice";
const settings = BILLED_SETTINGS;
const USAGE = BILLED_USAGE;
const NOW = new Date("2026-12-15T12:00:00.000Z");

let storage: Storage;
let jobs: JobRunner;
let studio: StudioSessions;
let requests: GenerationRequest[];

beforeEach(() => {
  storage = createMemoryStorage({ now: () => NOW });
  let gateway: GeminiGateway;
  ({ gateway, requests } = billingGateway(USAGE));
  jobs = createJobRunner({ storage, gateway: () => gateway });
  studio = createStudioSessions({ storage, jobs, now: () => NOW });
});

afterEach(async () => {
  await jobs.shutdown();
});

async function generateOnce(sessionId: string) {
  const started = await studio.startTurn(OWNER, { sessionId, parentId: null, prompt: "a banana", references: [], settings });
  await jobs.idle();
  return started;
}

describe("months", () => {
  it("are UTC calendar months", () => {
    expect(monthOf(new Date("2026-12-31T23:59:59.999Z"))).toEqual({ from: "2026-12-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" });
    expect(parseMonth("2026-02")).toEqual({ from: "2026-02-01T00:00:00.000Z", to: "2026-03-01T00:00:00.000Z" });
    expect(parseMonth("2026-13")).toBeNull();
    expect(parseMonth("26-01")).toBeNull();
  });
});

describe("budgets", () => {
  it("never limit until an admin sets one", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    expect((await generateOnce(session.id)).ok).toBe(true);
    expect(await budgetStatus(storage, OWNER, NOW)).toMatchObject({ limitMicroUsd: null, leftMicroUsd: null, spentMicroUsd: 67_200 });
  });

  it("refuse a start that would pass the limit, before anything is stored or sent, with what is left and the reset", async () => {
    await storage.budgets.setDefault(100_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    expect((await generateOnce(session.id)).ok).toBe(true);
    // $0.10 - $0.0672 = $0.0328 left; the next image is estimated at $0.067.
    const refused = await generateOnce(session.id);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: "budget_exceeded", budget: { leftMicroUsd: 32_800, resetsAt: "2027-01-01T00:00:00.000Z" } },
    });
    if (!refused.ok) expect(refused.error.message).toContain("$0.03 is left");
    if (!refused.ok) expect(refused.error.message).toContain("1 January 2027");
    expect(requests).toHaveLength(1);
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(1);
  });

  it("refuse a retry the same way", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const first = await generateOnce(session.id);
    if (!first.ok) throw new Error("start failed");
    await storage.budgets.setOverride(OWNER, 67_200, "admin");
    const retried = await studio.retryTurn(OWNER, { turnId: first.data.id });
    expect(retried).toMatchObject({ ok: false, error: { code: "budget_exceeded", budget: { leftMicroUsd: 0 } } });
    expect(await storage.turns.listBySession(OWNER, session.id)).toHaveLength(1);
  });

  it("let a user's override win over the default, 'no limit' included", async () => {
    await storage.budgets.setDefault(0, "admin");
    expect(await checkBudget(storage, OWNER, { settings }, NOW)).toMatchObject({ code: "budget_exceeded", leftMicroUsd: 0 });
    await storage.budgets.setOverride(OWNER, null, "admin");
    expect(await checkBudget(storage, OWNER, { settings }, NOW)).toBeNull();
    expect(await checkBudget(storage, "bob", { settings }, NOW)).not.toBeNull();
  });

  it("count turns still in flight at their estimate", async () => {
    await storage.budgets.setDefault(100_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    await storage.turns.create({ ownerId: OWNER, sessionId: session.id, parentId: null, request: { prompt: "queued", references: [], settings } });
    const status = await budgetStatus(storage, OWNER, NOW);
    expect(status).toMatchObject({ spentMicroUsd: 0, committedMicroUsd: 67_000, leftMicroUsd: 33_000 });
    expect(await checkBudget(storage, OWNER, { settings }, NOW)).not.toBeNull();
  });

  it("count a turn waiting for a batch at half its estimate, as the ledger will bill it", async () => {
    await storage.budgets.setDefault(110_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    const batch = { name: "batches/b1", index: 0, submittedAt: NOW.toISOString() };
    await storage.turns.create({ ownerId: OWNER, sessionId: session.id, parentId: null, request: { prompt: "waiting", references: [], settings, batch } });
    expect(await budgetStatus(storage, OWNER, NOW)).toMatchObject({ committedMicroUsd: 33_500, leftMicroUsd: 76_500 });
    expect(await checkBudget(storage, OWNER, { settings }, NOW)).toBeNull();
    expect(await checkBudget(storage, OWNER, [{ settings, batch: true }, { settings, batch: true }, { settings, batch: true }], NOW)).not.toBeNull();
  });

  it("start over in a new month", async () => {
    await storage.budgets.setDefault(70_000, "admin");
    const session = await storage.sessions.create({ ownerId: OWNER, title: "t" });
    await generateOnce(session.id);
    expect(await checkBudget(storage, OWNER, { settings }, NOW)).not.toBeNull();
    expect(await checkBudget(storage, OWNER, { settings }, new Date("2027-01-01T00:00:00.000Z"))).toBeNull();
  });

  it("estimate from the per-image price of the size", () => {
    expect(estimateMicroUsd({ model: "gemini-3-pro-image", imageSize: "4K" })).toBe(240_000);
    expect(estimateMicroUsd({ model: "no-such-model", imageSize: "1K" })).toBe(0);
  });
});

describe("the sum of a set", () => {
  const status = (left: number | null, limit: number | null = 200_000): BudgetStatus => ({
    limitMicroUsd: limit,
    source: "default",
    spentMicroUsd: 0,
    committedMicroUsd: 0,
    leftMicroUsd: left,
    resetsAt: "2027-01-01T00:00:00.000Z",
  });

  it("refuses the whole set when the sum passes what is left, though each run alone would fit", () => {
    const refusal = refuseOverBudget(status(150_000), [67_000, 67_000, 67_000]);
    expect(refusal).toMatchObject({ code: "budget_exceeded", leftMicroUsd: 150_000 });
    expect(refusal?.message).toContain("These 3 images (about $0.20 together)");
    expect(refusal?.action).toContain("fewer images");
    expect(refuseOverBudget(status(150_000), [67_000])).toBeNull();
  });

  it("lets a set through when the sum fits exactly, and without a limit", () => {
    expect(refuseOverBudget(status(134_000), [67_000, 67_000])).toBeNull();
    expect(refuseOverBudget(status(null, null), [240_000, 240_000, 240_000, 240_000])).toBeNull();
  });

  it("refuses unpriced runs once nothing is left", () => {
    expect(refuseOverBudget(status(0), [0, 0])).not.toBeNull();
    expect(refuseOverBudget(status(1), [0, 0])).toBeNull();
  });

  it("checks a list of requests against storage as one sum", async () => {
    await storage.budgets.setDefault(150_000, "admin");
    expect(await checkBudget(storage, OWNER, [{ settings }, { settings }], NOW)).toBeNull();
    expect(await checkBudget(storage, OWNER, [{ settings }, { settings }, { settings }], NOW)).toMatchObject({ code: "budget_exceeded" });
  });
});
