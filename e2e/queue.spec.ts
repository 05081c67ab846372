import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { readDataDir } from "./support/studio-data";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

/**
 * More generations at once than the studio sends to Gemini: a studio of its own that runs two at
 * a time (STUDIO_MAX_CONCURRENT_JOBS=2), six designers' tabs starting one each against a slow
 * emulator. Every start is accepted; the extra ones wait in line, in order, and finish later.
 */

const COUNT = 6;
const LIMIT = 2;

test.describe("a studio with more generations started than it runs at once", () => {
  const dataDir = ".e2e-data/queue";
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({ port: STUDIO_PORTS.queue, dataDir, env: { STUDIO_MAX_CONCURRENT_JOBS: String(LIMIT), STUDIO_RATE_LIMIT_PER_MINUTE: "10000" } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());
  test.afterEach(async ({ request }) => emulatorControl(request).reset());

  test("queues the extra ones first in, first out, lets one be cancelled while it waits, and finishes all the others", async ({ page, request }, testInfo) => {
    test.setTimeout(180_000);
    const emulator = emulatorControl(request);
    // Two chunks per answer without thoughts: about 10 s each, so the line is still there while the
    // six tabs start one after another. At 6 s a loaded machine (each start taking 2-3 s) let the
    // first ones finish before the last started, and nothing waited.
    await emulator.configure({ latencyMs: 5_000 });
    const tabs = [page, ...(await Promise.all(Array.from({ length: COUNT - 1 }, () => page.context().newPage())))];
    const studios = tabs.map((tab) => new StudioPage(tab));
    for (const studio of studios) {
      await studio.goto(server.baseUrl);
      await studio.page.getByTestId("show-thoughts").uncheck();
    }
    const prompts = studios.map((_, index) => `Banana number ${index + 1} waiting its turn`);

    for (const [index, studio] of studios.entries()) await studio.generate(prompts[index]!);
    for (const studio of studios) await expect(studio.page.getByTestId("notice")).toHaveCount(0);

    // The first two run; the last ones wait, saying so, with Cancel at hand.
    const last = studios[COUNT - 1]!;
    await last.waitForStatus("queued");
    await expect(last.page.getByTestId("queued")).toContainText(/Waiting for a free slot — (\d+ ahead|next in line)/);
    await expect(last.page.getByTestId("progress")).toHaveCount(0);
    await expect(last.cancelButton).toBeVisible();
    const lastBadge = last.page.getByTestId("timeline-turn").getByTestId("turn-status");
    await expect(lastBadge).toHaveAttribute("data-status", "queued");
    await last.page.screenshot({ path: testInfo.outputPath("queued.png") });

    // One still waiting is cancelled: it ends at once and never reaches Gemini.
    const cancelled = studios[COUNT - 2]!;
    await cancelled.waitForStatus("queued");
    await cancelled.cancelButton.click();
    await cancelled.waitForStatus("cancelled");
    await expect(cancelled.page.getByTestId("turn-error")).toContainText("You cancelled this generation.");

    // When its slot frees, the timeline follows the turn from queued to running, not only at its end.
    await expect(lastBadge).toHaveAttribute("data-status", "running", { timeout: 60_000 });

    for (const [index, studio] of studios.entries()) {
      if (studio !== cancelled) await studio.waitForStatus("succeeded", 90_000);
      if (studio !== cancelled) await expect(studio.resultImages, prompts[index]).toHaveCount(1);
    }

    // Gemini saw them in the order they were started, without the cancelled one.
    const calls = await emulator.generations();
    const order = calls.map((call) => prompts.findIndex((prompt) => JSON.stringify(call.body).includes(prompt)));
    expect(order).toEqual([0, 1, 2, 3, 5]);
    const stored = readDataDir(dataDir).turns;
    expect(stored.filter((turn) => turn.status === "succeeded")).toHaveLength(COUNT - 1);
    expect(stored.filter((turn) => turn.status === "cancelled").map((turn) => turn.request.prompt)).toEqual([prompts[COUNT - 2]]);
  });
});
