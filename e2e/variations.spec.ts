import { expect, test, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E_AUTH } from "./support/auth";
import { currentMonth, readLedger, seededAdminId, sumMicroUsd } from "./support/ledger-data";
import { E2E } from "./support/ports";
import { readDataDir } from "./support/studio-data";
import { gotoHydrated } from "./support/hydrated";

/**
 * Variations ("×N") and "Compare models…": N sibling turns started at once, shown as a grid that
 * the URL keeps, each cell with its own progress, cost and time, and "Continue from this one".
 */

const dataDir = E2E.dataDir;

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

function gridIds(page: Page): string[] {
  return (new URL(page.url()).searchParams.get("variations") ?? "").split(",").filter(Boolean);
}

async function setDefaultBudget(page: Page, text: string) {
  await gotoHydrated(page, "/usage");
  await page.getByTestId("default-budget").fill(text);
  await page.getByTestId("save-default-budget").click();
  await expect(page.getByTestId("default-budget-feedback")).toHaveText("Saved.");
}

test("×3 runs one request three times in parallel as a grid the URL keeps; one is continued from, the others stay siblings", async ({ page, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await studio.size("1K").check({ force: true });

  // A radio group: one tab stop, the arrow keys move the choice.
  await page.getByTestId("variations-1").focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("variations-3")).toBeChecked();
  await expect(page.getByRole("radiogroup", { name: "Variations" })).toBeVisible();
  await expect(studio.generateButton).toContainText("×3");

  await studio.prompt.fill("A teapot shaped like a snail, studio photo");
  await studio.generateButton.click();
  await expect(page).toHaveURL(/\/s\/[\w-]+\?variations=[\w-]+,[\w-]+,[\w-]+$/);
  const ids = gridIds(page);
  expect(new Set(ids).size).toBe(3);

  const grid = page.getByTestId("turn-set");
  await expect(grid).toHaveAttribute("data-kind", "variations");
  const cells = page.getByTestId("turn-set-cell");
  await expect(cells).toHaveCount(3);
  for (const [index, cell] of (await cells.all()).entries()) {
    await expect(cell).toHaveAttribute("data-turn-id", ids[index] ?? "");
    await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
    await expect(cell).toHaveAccessibleName(`Variation ${index + 1} of 3`);
    await expect(cell.getByTestId("cell-image")).toBeVisible();
    await expect(cell.getByTestId("cell-cost")).toHaveText(/^\$0\.\d+\+?$/);
    await expect(cell.getByTestId("cell-time")).toHaveText(/^\d+ s$/);
  }
  await expect(page.getByTestId("turn-set-progress")).toHaveText("3 of 3 finished");

  // Three requests, all the same.
  const calls = await emulatorControl(request).generations();
  expect(calls).toHaveLength(3);
  for (const call of calls) {
    expect(call.model).toBe("gemini-3.1-flash-image");
    expect(call.body?.generationConfig).toMatchObject({ imageConfig: { imageSize: "1K" } });
    expect(call.body?.contents).toHaveLength(1);
  }

  // Three turns, all stored.
  const stored = readDataDir(dataDir).turns.filter((turn) => ids.includes(turn.id));
  expect(stored.map((turn) => turn.status)).toEqual(["succeeded", "succeeded", "succeeded"]);

  // The URL keeps the grid.
  await page.reload();
  await expect(page.getByTestId("studio")).toHaveAttribute("data-hydrated", "true");
  await expect(cells).toHaveCount(3);
  expect(await cells.evaluateAll((elements) => elements.map((element) => element.getAttribute("data-turn-id")))).toEqual(ids);

  // Continue from the second: the conversation goes on from it, the prompt keeps the focus.
  const second = cells.nth(1);
  const number = ((await second.getByTestId("cell-turn-number").textContent()) ?? "").replace("Turn ", "").trim();
  await second.getByTestId("continue-from-this").click();
  await expect(page).toHaveURL(new RegExp(`\\?turn=${ids[1]}$`));
  await expect(studio.turnView).toHaveAttribute("data-turn-id", ids[1] ?? "");
  await expect(studio.prompt).toBeFocused();
  await expect(page.getByTestId("continue-from")).toContainText(`Continues from turn ${number}`);

  await page.getByTestId("variations-1").check({ force: true });
  await studio.generate("Now make the snail shell striped");
  await studio.waitForStatus("succeeded");
  const followUp = (await emulatorControl(request).generations()).at(-1);
  // The follow-up carries the chosen variation's exchange: user, model, then the new prompt.
  expect(followUp?.body?.contents).toHaveLength(3);
  const replayed = JSON.stringify(followUp?.body?.contents?.[0]);
  expect(replayed).toContain("A teapot shaped like a snail");

  // The other two stay as siblings in the timeline's tree: four turns in the session.
  await expect(studio.timelineTurns.filter({ hasText: "teapot" }).first()).toBeVisible();
  expect(readDataDir(dataDir).turns.filter((turn) => ids.includes(turn.id))).toHaveLength(3);
});

test("each cell runs on its own: one slow variation shows its progress and is cancelled alone while the other finishes", async ({ page, request }) => {
  // One request of the two is answered slowly; which one depends on which reaches the emulator first.
  await emulatorControl(request).queueFaults([{ kind: "slow", delayMs: 20_000 }]);
  const studio = new StudioPage(page);
  await studio.goto();
  await page.getByTestId("variations-2").check({ force: true });
  await studio.prompt.fill("A brass diving helmet on a pier, two takes");
  await studio.generateButton.click();
  await expect(page).toHaveURL(/\?variations=[\w-]+,[\w-]+$/);
  const cells = page.getByTestId("turn-set-cell");
  await expect(cells).toHaveCount(2);
  await expect(page.locator('[data-testid="turn-set-cell"][data-status="succeeded"]')).toHaveCount(1, { timeout: 15_000 });
  const slow = page.locator('[data-testid="turn-set-cell"][data-status="running"]');
  await expect(slow).toHaveCount(1);
  await expect(slow.getByTestId("cell-progress")).toBeVisible();
  await expect(slow.getByTestId("continue-from-this")).toBeDisabled();
  await expect(page.getByTestId("turn-set-progress")).toHaveText("1 of 2 finished");
  await slow.getByTestId("cancel-cell").click();
  await expect(page.locator('[data-testid="turn-set-cell"][data-status="cancelled"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="turn-set-cell"][data-status="succeeded"]')).toHaveCount(1);
  await expect(page.getByTestId("turn-set-progress")).toHaveText("2 of 2 finished");
});

test("the budget refuses the whole set by its sum before anything is stored or sent", async ({ page, request }) => {
  const month = currentMonth();
  const adminId = seededAdminId(dataDir, E2E_AUTH.adminEmail);
  const spent = sumMicroUsd(readLedger(dataDir, month).filter((row) => row.ownerId === adminId));
  // 15 cents more than spent: two 1K images ($0.067 each) fit, three don't.
  const budgetText = ((Math.ceil(spent / 10_000) + 15) / 100).toFixed(2);
  await setDefaultBudget(page, budgetText);
  try {
    const studio = new StudioPage(page);
    await studio.goto("/");
    await studio.model.selectOption("gemini-3.1-flash-image");
    await studio.size("1K").check({ force: true });
    await page.getByTestId("variations-3").check({ force: true });
    const before = readDataDir(dataDir);
    const callsBefore = (await emulatorControl(request).generations()).length;

    await studio.prompt.fill("Three bananas we can't afford");
    await studio.generateButton.click();
    const notice = page.getByTestId("notice");
    await expect(notice).toContainText("These 3 images (about $0.20 together) would go over your monthly budget");
    await expect(notice).toContainText("Ask for fewer images");
    expect(new URL(page.url()).pathname).toBe("/");

    // In an existing session the server refuses it the same way.
    const existing = before.sessionIds.at(-1);
    if (existing) {
      await studio.goto(`/s/${existing}`);
      await page.getByTestId("variations-3").check({ force: true });
      await studio.prompt.fill("Three more bananas we can't afford");
      await studio.generateButton.click();
      await expect(page.getByTestId("notice")).toContainText("These 3 images");
    }

    const after = readDataDir(dataDir);
    expect(after.sessionIds).toEqual(before.sessionIds);
    expect(after.turns.map((turn) => turn.id)).toEqual(before.turns.map((turn) => turn.id));
    expect((await emulatorControl(request).generations()).length).toBe(callsBefore);
  } finally {
    await setDefaultBudget(page, "");
  }
});

test("Compare models… sends one prompt to 2–4 model/size pairs, offers only each model's sizes, and continues from the winner", async ({ page, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await studio.prompt.fill("A paper crane on a walnut desk");

  // Keyboard: the dialog opens with focus inside; Esc closes it and focus goes back to its button.
  const opener = page.getByTestId("compare-models");
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Compare models" });
  await expect(dialog).toBeVisible();
  await expect.poll(() => dialog.evaluate((element) => element.contains(document.activeElement))).toBe(true);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  await opener.click();
  await expect(dialog.getByTestId("compare-models-prompt")).toHaveText("A paper crane on a walnut desk");
  await expect(dialog.getByTestId("compare-row")).toHaveCount(2);
  // Each select is named by its label.
  await expect(dialog.getByRole("combobox", { name: /^Model 1/ })).toBeVisible();
  await expect(dialog.getByRole("combobox", { name: /^Size 2/ })).toBeVisible();
  await dialog.getByTestId("compare-model-1").selectOption("gemini-3.1-flash-image");
  await dialog.getByTestId("compare-size-1").selectOption("2K");
  // A model that draws 1K only offers 1K only.
  await dialog.getByTestId("compare-model-2").selectOption("gemini-2.5-flash-image");
  await expect(dialog.getByTestId("compare-size-2").locator("option")).toHaveText(["1K"]);
  await dialog.getByTestId("compare-model-2").selectOption("gemini-3-pro-image");
  await expect(dialog.getByTestId("compare-size-2").locator("option")).toHaveText(["1K", "2K", "4K"]);
  await dialog.getByTestId("compare-size-2").selectOption("2K");
  await dialog.getByTestId("compare-add").click();
  await dialog.getByTestId("compare-model-3").selectOption("gemini-nano-banana-2.1");
  await dialog.getByTestId("compare-size-3").selectOption("1K");
  // The same pair twice can't be sent.
  await dialog.getByTestId("compare-model-3").selectOption("gemini-3-pro-image");
  await dialog.getByTestId("compare-size-3").selectOption("2K");
  await expect(dialog.getByText("Same model and size as an earlier row.")).toBeVisible();
  await expect(dialog.getByTestId("compare-send")).toBeDisabled();
  await dialog.getByTestId("compare-model-3").selectOption("gemini-nano-banana-2.1");
  await dialog.getByTestId("compare-size-3").selectOption("1K");
  await expect(dialog.getByTestId("compare-total")).toHaveText(/^About \$\d+\.\d{3} in all$|^Some prices are not published$/);
  await dialog.getByTestId("compare-send").click();

  await expect(page).toHaveURL(/\/s\/[\w-]+\?variations=[\w-]+,[\w-]+,[\w-]+$/);
  const ids = gridIds(page);
  await expect(page.getByTestId("turn-set")).toHaveAttribute("data-kind", "compare");
  const cells = page.getByTestId("turn-set-cell");
  await expect(cells).toHaveCount(3);
  const names = ["Nano Banana 2 at 2K", "Nano Banana Pro at 2K", "Nano Banana 2.1 at 1K"];
  for (const [index, cell] of (await cells.all()).entries()) {
    await expect(cell).toHaveAccessibleName(names[index] ?? "");
    await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
    await expect(cell.getByTestId("cell-cost")).toHaveText(/^\$\d+\.\d+\+?$|^not reported by Google$/);
    await expect(cell.getByTestId("cell-time")).toHaveText(/^\d+ s$/);
  }

  const calls = await emulatorControl(request).generations();
  expect(calls.map((call) => [call.model, (call.body?.generationConfig?.imageConfig as { imageSize?: string } | undefined)?.imageSize]).sort()).toEqual(
    [
      ["gemini-3-pro-image", "2K"],
      ["gemini-3.1-flash-image", "2K"],
      ["gemini-nano-banana-2.1", "1K"],
    ].sort(),
  );

  // Screenshots of the grid to look at (test-results/caps/), in both themes.
  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 390, height: 844 },
  ]) {
    await page.setViewportSize(viewport);
    for (const theme of ["light", "dark"] as const) {
      await page.context().addCookies([{ name: "nb-theme", value: theme, url: E2E.appUrl }]);
      await page.reload();
      await expect(cells.nth(2).getByTestId("cell-image")).toBeVisible();
      await expect.poll(() => cells.nth(2).getByTestId("cell-image").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      await page.screenshot({ path: `test-results/caps/grid-${viewport.width}x${viewport.height}-${theme}.png` });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });

  // Continue from the winner: Pro.
  await cells.nth(1).getByRole("button", { name: "Continue from this one: Nano Banana Pro at 2K" }).click();
  await expect(page).toHaveURL(new RegExp(`\\?turn=${ids[1]}$`));
  await expect(studio.turnView).toHaveAttribute("data-turn-id", ids[1] ?? "");
  await expect(studio.prompt).toBeFocused();
});
