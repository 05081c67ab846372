import path from "node:path";
import Database from "better-sqlite3";
import { expect, test, type Page } from "@playwright/test";
import { costOfTurn } from "../lib/storage/turn-cost";
import type { TurnOutcome, TurnRequest } from "../lib/storage/types";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

/**
 * "Cheaper, slower": ×N sent as one Gemini Batch API job. The turns wait at Google (not in the
 * studio's queue), land as ordinary turns at half price, survive a restart of the studio, and a
 * failed job ends them with the error and Retry.
 */

interface BilledTurn {
  id: string;
  status: string;
  request: TurnRequest;
  outcome: TurnOutcome | null;
  costMicroUsd: number | null;
  billedAt: string | null;
}

function billedTurns(dataDir: string, ids: readonly string[]): BilledTurn[] {
  const database = new Database(path.join(dataDir, "studio.db"), { readonly: true, fileMustExist: true });
  try {
    const rows = database.prepare("SELECT id, status, request_json, outcome_json, cost_micro_usd, billed_at FROM turns ORDER BY seq").all() as Array<{
      id: string;
      status: string;
      request_json: string;
      outcome_json: string | null;
      cost_micro_usd: number | null;
      billed_at: string | null;
    }>;
    return rows
      .filter((row) => ids.includes(row.id))
      .map((row) => ({
        id: row.id,
        status: row.status,
        request: JSON.parse(row.request_json) as TurnRequest,
        outcome: row.outcome_json ? (JSON.parse(row.outcome_json) as TurnOutcome) : null,
        costMicroUsd: row.cost_micro_usd,
        billedAt: row.billed_at,
      }));
  } finally {
    database.close();
  }
}

function gridIds(page: Page): string[] {
  return (new URL(page.url()).searchParams.get("variations") ?? "").split(",").filter(Boolean);
}

async function generateBatchOfTwo(studio: StudioPage, prompt: string) {
  await studio.model.selectOption("gemini-3.1-flash-image");
  await studio.size("1K").check({ force: true });
  await studio.page.getByTestId("variations-2").check({ force: true });
  await studio.page.getByTestId("batch-mode").check();
  await studio.prompt.fill(prompt);
  await studio.generateButton.click();
  await expect(studio.page).toHaveURL(/\/s\/[\w-]+\?variations=[\w-]+,[\w-]+$/);
  // The session's page keeps both choices the designer made on the home page.
  await expect(studio.page.getByTestId("variations-2")).toBeChecked();
  await expect(studio.page.getByTestId("batch-mode")).toBeChecked();
}

test.describe("batch mode", () => {
  let server: StudioProcess | undefined;

  test.beforeEach(async ({ request }) => {
    await emulatorControl(request).reset();
  });

  test.afterEach(() => server?.crash());

  test("×2 as one batch job: waits at Google with Cancel, then lands as two turns at half price", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    await emulator.batchSettings({ delayMs: null });
    const studio = new StudioPage(page);
    await studio.goto();
    await generateBatchOfTwo(studio, "A paper boat on a puddle, batch");
    const ids = gridIds(page);

    const cells = page.getByTestId("turn-set-cell");
    await expect(cells).toHaveCount(2);
    for (const cell of await cells.all()) {
      await expect(cell).toHaveAttribute("data-status", "queued");
      await expect(cell.getByTestId("cell-progress")).toHaveText("Queued at Google (batch) · submitted less than a minute ago");
      await expect(cell.getByTestId("cancel-cell")).toBeVisible();
      await expect(cell.getByTestId("cell-cost")).toContainText("(batch)");
    }
    await page.screenshot({ path: "test-results/batch-waiting-grid.png" });

    // One batch job of two requests; nothing sent as a direct request.
    const batches = await emulator.batches();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ requestCount: 2, model: "gemini-3.1-flash-image" });
    expect(await emulator.generations()).toHaveLength(0);

    // The turn itself says where it waits, and offers Cancel.
    await cells.first().getByTestId("open-cell").click();
    await expect(page.getByTestId("batch-waiting")).toContainText("Queued at Google (batch) · submitted less than a minute ago");
    await expect(studio.cancelButton).toBeVisible();
    await page.screenshot({ path: "test-results/batch-waiting-turn.png" });

    expect(await emulator.finishBatches()).toBe(1);
    await studio.waitForStatus("succeeded", 45_000);
    await expect(studio.resultImages).toHaveCount(1);

    const stored = billedTurns(E2E.dataDir, ids);
    expect(stored.map((turn) => turn.status)).toEqual(["succeeded", "succeeded"]);
    for (const turn of stored) {
      expect(turn.request.batch?.name).toBe(batches[0]?.name);
      const { batch: _batch, ...direct } = turn.request;
      const full = costOfTurn(direct, turn.outcome, turn.billedAt ?? "").microUsd ?? 0;
      expect(full).toBeGreaterThan(0);
      expect(turn.costMicroUsd).toBe(Math.round(full / 2));
    }
  });

  test("a restart of the studio while the batch waits still lands the results", async ({ page, request }) => {
    test.setTimeout(180_000);
    const emulator = emulatorControl(request);
    await emulator.batchSettings({ delayMs: null });
    const dataDir = ".e2e-data/batch";
    server = startStudio({ port: STUDIO_PORTS.batch, dataDir });
    await server.waitUntilHealthy();
    const studio = new StudioPage(page);
    await studio.goto(server.baseUrl);
    await generateBatchOfTwo(studio, "A lantern in the fog, batch restart");
    const url = page.url();
    const ids = gridIds(page);
    await expect(page.getByTestId("cell-progress")).toHaveCount(2);

    // No page left open to reconnect: the restarted server must pick the job up by itself.
    await page.goto("about:blank");
    server.crash();
    server = startStudio({ port: STUDIO_PORTS.batch, dataDir, keepData: true });
    await server.waitUntilHealthy();
    // Not interrupted by the restart: the job is still Google's.
    expect(billedTurns(dataDir, ids).map((turn) => turn.status)).toEqual(["queued", "queued"]);

    expect(await emulator.finishBatches()).toBe(1);
    // Landed by the restarted server on its own, before any page asks about them.
    await expect.poll(() => billedTurns(dataDir, ids).map((turn) => turn.status), { timeout: 30_000 }).toEqual(["succeeded", "succeeded"]);
    await page.goto(url);
    const cells = page.getByTestId("turn-set-cell");
    for (const cell of await cells.all()) {
      await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 });
      await expect(cell.getByTestId("cell-image")).toBeVisible();
    }
    expect(billedTurns(dataDir, ids).every((turn) => (turn.costMicroUsd ?? 0) > 0)).toBe(true);
  });

  test("a failed batch ends both turns with the error and Retry, and Retry sends it again", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    await emulator.batchSettings({ delayMs: 0, ending: "failed" });
    const studio = new StudioPage(page);
    await studio.goto();
    await generateBatchOfTwo(studio, "A glass bird, batch failure");

    const cells = page.getByTestId("turn-set-cell");
    for (const cell of await cells.all()) {
      await expect(cell).toHaveAttribute("data-status", "failed", { timeout: 30_000 });
      await expect(cell.getByTestId("cell-error")).toHaveText("Google's batch job failed, so these images were not made.");
      await expect(cell.getByTestId("retry-cell")).toBeVisible();
    }
    await page.screenshot({ path: "test-results/batch-failed-grid.png" });

    await emulator.batchSettings({ ending: "succeeded" });
    await cells.first().getByTestId("retry-cell").click();
    await studio.waitForStatus("succeeded", 45_000);
    await expect(studio.resultImages).toHaveCount(1);
    const batches = await emulator.batches();
    expect(batches.map((batch) => [batch.state, batch.requestCount])).toEqual([
      ["BATCH_STATE_FAILED", 2],
      ["BATCH_STATE_SUCCEEDED", 1],
    ]);
  });
});
