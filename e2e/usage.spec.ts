import { expect, test, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E_AUTH } from "./support/auth";
import { currentMonth, readLedger, seededAdminId, sumMicroUsd, usd } from "./support/ledger-data";
import { E2E } from "./support/ports";
import { readDataDir, turnIdFromUrl } from "./support/studio-data";
import { gotoHydrated } from "./support/hydrated";

/**
 * The cost ledger, the usage page and budgets, as the seeded e2e admin sees them.
 * Every figure on the page is checked against the costs the turns recorded in studio.db. The
 * studio is shared with the other specs, so figures are compared with the database at that
 * moment, never with constants, and the budget is set back to "no limit" whatever happens.
 */

const dataDir = E2E.dataDir;

async function setDefaultBudget(page: Page, text: string) {
  await gotoHydrated(page, "/usage");
  await page.getByTestId("default-budget").fill(text);
  await page.getByTestId("save-default-budget").click();
  await expect(page.getByTestId("default-budget-feedback")).toHaveText("Saved.");
}

test.describe("usage and budgets", () => {
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("the usage page and the CSV export add up to the turns' recorded costs, and a blocked turn says what it was billed", async ({ page, request }) => {
    const studio = new StudioPage(page);
    await studio.goto("/");
    await page.getByTestId("show-thoughts").uncheck();
    await studio.generate("A ledger of bananas");
    await studio.waitForStatus("succeeded");
    const paidId = turnIdFromUrl(page.url());

    await emulatorControl(request).queueFaults([{ kind: "image_safety" }]);
    await studio.goto("/");
    await page.getByTestId("show-thoughts").uncheck();
    await studio.generate("A banana the filters block");
    await studio.waitForStatus("failed");
    const blockedId = turnIdFromUrl(page.url());

    const month = currentMonth();
    const rows = readLedger(dataDir, month);
    const paid = rows.find((row) => row.id === paidId);
    const blocked = rows.find((row) => row.id === blockedId);
    // 1K on 3.1 Flash: at least the 1120 image tokens at $60/M.
    expect(paid?.costMicroUsd).toBeGreaterThanOrEqual(67_200);
    expect(blocked?.status).toBe("failed");
    expect(blocked?.costMicroUsd).not.toBeNull();

    await page.goto(`/usage?month=${month}`);
    const total = sumMicroUsd(rows);
    await expect(page.getByTestId("own-spend")).toHaveAttribute("data-micro-usd", String(total));
    await expect(page.getByTestId("own-spend")).toHaveText(usd(total));
    await expect(page.getByTestId("team-spend")).toHaveText(usd(total));
    const sumOf = async (testId: string) =>
      (await page.getByTestId(testId).getByTestId("row-spend").allTextContents()).reduce((sum, text) => sum + Math.round(Number(text.replace(/[$,]/g, "")) * 100), 0);
    // Rows are rounded one by one, so their sum may differ from the total by a cent per row at most.
    const rowsOf = async (testId: string) => page.getByTestId(testId).locator("tbody tr").count();
    for (const table of ["usage-by-model", "usage-by-day"]) {
      expect(Math.abs((await sumOf(table)) - Math.round(total / 10_000))).toBeLessThanOrEqual(await rowsOf(table));
    }

    const blockedLine = page.getByTestId("ledger-row").and(page.locator(`[data-turn-id="${blockedId}"]`)).first();
    await expect(blockedLine).toHaveAttribute("data-micro-usd", String(blocked?.costMicroUsd));
    await expect(blockedLine.getByTestId("ledger-bill")).toHaveText(blocked?.costMicroUsd === 0 ? "failed: nothing billed" : /^failed, still billed \$0\.\d+$/);

    const downloading = page.waitForEvent("download");
    await page.getByTestId("usage-export").click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`studio-usage-${month}.csv`);
    const csv = await (await request.get(`/api/usage/export?month=${month}`)).text();
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("billed_at,user,session_id,turn_id,status,model,cost_usd,cost_micro_usd,cost_status,unpriced,prices_read_on");
    const header = lines[0]!.split(",");
    const records = lines.slice(1).map((line) => line.split(","));
    const csvNow = readLedger(dataDir, month);
    expect(records.map((record) => record[header.indexOf("turn_id")])).toEqual(csvNow.map((row) => row.id));
    const csvSum = records.reduce((sum, record) => sum + Number(record[header.indexOf("cost_micro_usd")] || 0), 0);
    expect(csvSum).toBe(sumMicroUsd(csvNow));
    expect(records.find((record) => record[header.indexOf("turn_id")] === paidId)?.[header.indexOf("cost_micro_usd")]).toBe(String(paid?.costMicroUsd));

    expect((await request.get("/api/usage/export?month=2026-13")).status()).toBe(400);
  });

  test("a start over budget is refused with what is left and the reset date, and nothing is stored or sent", async ({ page, request }) => {
    const month = currentMonth();
    const adminId = seededAdminId(dataDir, E2E_AUTH.adminEmail);
    const spent = sumMicroUsd(readLedger(dataDir, month).filter((row) => row.ownerId === adminId));
    // Three cents more than spent: less than one 1K image ($0.067).
    const budgetCents = Math.ceil(spent / 10_000) + 3;
    const budgetText = (budgetCents / 100).toFixed(2);
    const left = usd(budgetCents * 10_000 - spent);
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

    await setDefaultBudget(page, budgetText);
    try {
      await expect(page.getByTestId("own-budget")).toContainText(`${left} left this month`);
      await expect(page.getByTestId("own-budget")).toContainText(`Resets on ${reset} (UTC)`);

      const studio = new StudioPage(page);
      await studio.goto("/");
      const before = readDataDir(dataDir);
      const sidebarBefore = await page.getByTestId("session-item").count();
      const callsBefore = (await emulatorControl(request).generations()).length;

      await studio.prompt.fill("A banana we can't afford");
      await studio.generateButton.click();
      const notice = page.getByTestId("notice");
      await expect(notice).toContainText(`${left} is left`);
      await expect(notice).toContainText(`resets on ${reset} (UTC)`);
      await expect(notice).toContainText("ask an admin to raise your budget");
      expect(new URL(page.url()).pathname).toBe("/");

      // In an existing session too: the start is refused before any row or request.
      const existing = before.sessionIds.at(-1);
      if (existing) {
        await studio.goto(`/s/${existing}`);
        await studio.prompt.fill("Another banana we can't afford");
        await studio.generateButton.click();
        await expect(page.getByTestId("notice")).toContainText(`${left} is left`);
      }

      const after = readDataDir(dataDir);
      expect(after.sessionIds).toEqual(before.sessionIds);
      expect(after.turns.map((turn) => turn.id)).toEqual(before.turns.map((turn) => turn.id));
      expect(after.objects).toEqual(before.objects);
      expect((await emulatorControl(request).generations()).length).toBe(callsBefore);
      await page.goto("/");
      await expect(page.getByTestId("session-item")).toHaveCount(sidebarBefore);
    } finally {
      await setDefaultBudget(page, "");
    }
    await expect(page.getByTestId("own-budget")).toHaveText("No monthly budget is set for you.");
  });

  test("budget inputs are validated and change nothing when refused", async ({ page }) => {
    await gotoHydrated(page, "/usage");
    await page.getByTestId("default-budget").fill("-5");
    await page.getByTestId("save-default-budget").click();
    await expect(page.getByTestId("default-budget-feedback")).toHaveAttribute("role", "alert");
    await page.reload();
    await expect(page.getByTestId("default-budget")).toHaveValue("");
    await expect(page.getByTestId("own-budget")).toHaveText("No monthly budget is set for you.");
  });
});
