import { expect, test, type Locator, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";

// Issue 17, tablet and phone: the result and the prompt on one screen, a header that stays one line.

const VIEWPORTS = [
  { name: "tablet", width: 820, height: 1180 },
  { name: "phone", width: 390, height: 844 },
] as const;

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

/** Fully on screen, without scrolling the page. */
async function expectOnScreen(page: Page, locator: Locator, minHeight = 1) {
  const box = await locator.boundingBox();
  const viewport = page.viewportSize();
  expect(box, "has a box").not.toBeNull();
  if (!box || !viewport) return;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height + 0.5);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box.height).toBeGreaterThanOrEqual(minHeight);
}

async function expectNoSideways(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()?.width ?? 0);
  const header = page.getByTestId("app-header");
  expect(await header.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  // One line: the header keeps its 56 px.
  expect((await header.boundingBox())?.height).toBe(56);
}

for (const viewport of VIEWPORTS) {
  test.describe(`at ${viewport.width}×${viewport.height} (${viewport.name})`, () => {
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test("the prompt is on the first screen, and after a Generate the image and the prompt are on screen together", async ({ page }) => {
      const studio = new StudioPage(page);
      await studio.goto();
      await expectNoSideways(page);
      await expectOnScreen(page, studio.prompt, 60);
      await expectOnScreen(page, studio.generateButton);

      await studio.generate("A long title for a session about a lighthouse on a rocky northern coast at dusk");
      await studio.waitForStatus("succeeded");
      await expect(page.getByTestId("session-title")).toBeAttached();
      await expectNoSideways(page);
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      // The image is drawn at a useful size, not a strip above a tall composer, and nothing covers it:
      // it lies within the result area as first shown, above the composer.
      const stage = page.getByTestId("image-stage");
      await expectOnScreen(page, stage, viewport.name === "phone" ? 200 : 300);
      const main = page.getByRole("main");
      expect(await main.evaluate((element) => element.scrollTop)).toBe(0);
      const [stageBox, mainBox, composerBox] = await Promise.all([
        stage.boundingBox(),
        main.boundingBox(),
        page.getByRole("complementary", { name: "Composer" }).boundingBox(),
      ]);
      expect(stageBox && mainBox && composerBox).toBeTruthy();
      if (stageBox && mainBox && composerBox) {
        expect(stageBox.y).toBeGreaterThanOrEqual(mainBox.y);
        expect(stageBox.y + stageBox.height).toBeLessThanOrEqual(mainBox.y + mainBox.height + 0.5);
        expect(stageBox.y + stageBox.height).toBeLessThanOrEqual(composerBox.y + 0.5);
      }
      await expectOnScreen(page, studio.prompt, 60);
      await expectOnScreen(page, studio.generateButton);

      if (viewport.name === "phone") {
        // The header's links and account corner are one menu on a phone, reachable by keyboard.
        await expect(page.getByRole("navigation", { name: "Team" })).toBeHidden();
        await page.getByTestId("compact-menu").focus();
        await page.keyboard.press("Enter");
        for (const name of ["Library", "Gallery", "Usage", "Admin", "Sign out"]) await expect(page.getByRole("menuitem", { name })).toBeVisible();
        await page.keyboard.press("Escape");
        await expect(page.getByRole("menuitem", { name: "Library" })).toHaveCount(0);
        await expect(page.getByTestId("compact-menu")).toBeFocused();
      } else {
        await expect(page.getByTestId("compact-menu")).toBeHidden();
      }
    });

    test("references and model options fold under one button that names the current settings", async ({ page }) => {
      const studio = new StudioPage(page);
      await studio.goto();
      const toggle = page.getByTestId("options-toggle");
      await expect(toggle).toHaveAttribute("aria-expanded", "false");
      await expect(page.getByTestId("options-summary")).toContainText("1K");
      await expect(studio.model).toBeHidden();
      await toggle.focus();
      await page.keyboard.press("Enter");
      await expect(toggle).toHaveAttribute("aria-expanded", "true");
      await expect(studio.model).toBeVisible();
      await studio.model.selectOption("gemini-3-pro-image");
      await expect(page.getByTestId("options-summary")).toContainText("Gemini 3 Pro Image");
      await toggle.click();
      await expect(studio.model).toBeHidden();
    });
  });
}

test.describe("at 390×844 (phone)", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("sessions and the timeline fold behind one button above the result", async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.goto();
    await studio.generate("A paper crane on a desk");
    await studio.waitForStatus("succeeded");
    const toggle = page.getByTestId("sidebar-toggle");
    await expect(toggle).toContainText("A paper crane");
    await expect(page.getByTestId("session-list")).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await expect(page.getByTestId("session-list")).toBeVisible();
    await expect(studio.timelineTurns).toHaveCount(1);
    await toggle.click();
    await expect(page.getByTestId("session-list")).toBeHidden();
  });
});

test.describe("at 1440×900 (desktop)", () => {
  test("no fold: the options and the sidebar are always shown", async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.goto();
    await expect(page.getByTestId("options-toggle")).toBeHidden();
    await expect(page.getByTestId("sidebar-toggle")).toBeHidden();
    await expect(studio.model).toBeVisible();
    await expect(page.getByTestId("session-list")).toBeVisible();
  });
});

// Screenshots of each layout in both themes, to look at (test-results/layout/).
for (const viewport of [...VIEWPORTS, { name: "desktop", width: 1440, height: 900 }]) {
  test(`screenshots at ${viewport.width}×${viewport.height} in both themes`, async ({ page, context }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    const studio = new StudioPage(page);
    await studio.goto();
    await studio.generate("A lighthouse on a rocky northern coast at dusk, warm window light");
    await studio.waitForStatus("succeeded");
    const url = page.url();
    for (const theme of ["light", "dark"] as const) {
      await context.addCookies([{ name: "nb-theme", value: theme, url: E2E.appUrl }]);
      await studio.goto(url);
      await expect(studio.resultImages.first()).toBeVisible();
      await page.screenshot({ path: `test-results/layout/${viewport.name}-${theme}.png` });
    }
  });
}
