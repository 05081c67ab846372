import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { RegionEditPage } from "./pages/region-edit-page";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { gotoHydrated } from "./support/hydrated";

type AxeResults = Awaited<ReturnType<AxeBuilder["analyze"]>>;

// WCAG 2.0, 2.1 and 2.2 at levels A and AA: every axe rule tagged with one of these.
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
const BLOCKING = new Set(["serious", "critical"]);

/** One line per failing element: the rule, where it is, and for contrast the colours and ratio axe measured. */
function describeViolations(where: string, results: AxeResults): string[] {
  return results.violations
    .filter((violation) => BLOCKING.has(violation.impact ?? ""))
    .flatMap((violation) =>
      violation.nodes.map((node) => {
        const contrast = [...node.any, ...node.all, ...node.none]
          .map((check) => check.data as { fgColor?: string; bgColor?: string; contrastRatio?: number; expectedContrastRatio?: string } | null)
          .find((data) => data?.contrastRatio !== undefined);
        const figures = contrast
          ? ` — ${contrast.fgColor} on ${contrast.bgColor}, ${contrast.contrastRatio}:1 (needs ${contrast.expectedContrastRatio})`
          : ` — ${node.failureSummary?.replace(/\s+/g, " ").trim()}`;
        return `[${where}] ${violation.impact} ${violation.id}: ${node.target.join(" ")}${figures}`;
      }),
    );
}

async function scan(page: Page, where: string): Promise<string[]> {
  // Colours are measured as painted: let hover/focus transitions and entry animations finish first.
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))));
  const results = await new AxeBuilder({ page })
    .withTags(WCAG_TAGS)
    // The search-suggestions widget is Google's own markup, shown unchanged as Google's terms
    // require; the studio cannot restyle it, so its frame is the one thing left out of the check.
    .exclude('[data-testid="search-suggestions"]')
    .analyze();
  return describeViolations(where, results);
}

function expectNoBlockingViolations(found: string[]) {
  expect(found, `serious or critical axe violations:\n${found.join("\n")}\n`).toEqual([]);
}

for (const theme of ["light", "dark"] as const) {
  test.describe(`${theme} theme`, () => {
    // The studio follows the system theme until the designer picks one (globals.css).
    test.use({ colorScheme: theme });

    test.beforeEach(async ({ request }) => {
      await emulatorControl(request).reset();
    });

    test("home, a session with results, and the comparison have no serious or critical axe violations", async ({ page }, testInfo) => {
      const studio = new StudioPage(page);
      await studio.goto();
      await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
      const found = await scan(page, `${theme} home`);
      await page.screenshot({ path: testInfo.outputPath(`${theme}-home.png`) });

      await studio.generate("A quiet harbour at dawn");
      await studio.waitForStatus("succeeded");
      await studio.generate("Add fishing boats");
      await studio.waitForStatus("succeeded");
      await studio.resultSize();
      found.push(...(await scan(page, `${theme} session`)));
      await page.screenshot({ path: testInfo.outputPath(`${theme}-session.png`) });

      await studio.compareWith("Turn 1 · A quiet harbour at dawn");
      const view = page.getByTestId("compare-view");
      await expect(view.getByTestId("compare-left")).toBeVisible();
      found.push(...(await scan(page, `${theme} compare side by side`)));
      await view.getByTestId("compare-mode-slider").click();
      await expect(view.getByTestId("compare-slider")).toBeVisible();
      found.push(...(await scan(page, `${theme} compare slider`)));

      expectNoBlockingViolations(found);
    });

    test("an open menu has no serious or critical axe violations", async ({ page }) => {
      const studio = new StudioPage(page);
      await studio.goto();
      await studio.generate("A quiet harbour at dawn");
      await studio.waitForStatus("succeeded");
      await studio.generate("Add fishing boats");
      await studio.waitForStatus("succeeded");
      await page.getByTestId("compare-with").click();
      await expect(page.getByRole("menu", { name: "Compare with" })).toBeVisible();
      // The studio's menus are non-modal (components/ui/menu.tsx): a modal Radix menu hid the page
      // with aria-hidden while leaving it focusable, which axe reports as aria-hidden-focus.
      expectNoBlockingViolations(await scan(page, `${theme} compare menu`));
    });

    test("the region edit dialog, empty, with its errors shown, and marked, has no serious or critical axe violations", async ({ page }) => {
      const studio = new StudioPage(page);
      await studio.goto();
      await studio.generate("A red bicycle leaning on a yellow wall");
      await studio.waitForStatus("succeeded");
      await studio.resultSize();
      const region = new RegionEditPage(page);
      await region.open();
      const found = await scan(page, `${theme} region edit`);
      // The errors' red text and the invalid fields' borders are what a designer meets first.
      await region.apply.click();
      await expect(region.regionError).toBeVisible();
      await expect(region.instructionError).toBeVisible();
      found.push(...(await scan(page, `${theme} region edit with errors`)));
      await region.drag({ x: 20, y: 20 }, { x: 60, y: 70 });
      await region.instruction.fill("a blue scooter");
      await expect(region.box).toBeVisible();
      found.push(...(await scan(page, `${theme} region edit marked`)));
      expectNoBlockingViolations(found);
    });

    test("a grounded result has no serious or critical axe violations", async ({ page }) => {
      const studio = new StudioPage(page);
      await studio.goto();
      await studio.model.selectOption("gemini-3.1-flash-image");
      await page.getByTestId("web-search").check();
      await page.getByTestId("image-search").check();
      await studio.generate("Weather forecast for Paris this weekend as a poster");
      await studio.waitForStatus("succeeded");
      await expect(page.getByTestId("search-suggestions")).toBeVisible();
      await expect(page.locator('[data-testid="grounding-source"][data-kind="image"]').first()).toBeVisible();
      await expect(page.getByTestId("grounding-queries-web")).toBeVisible();

      expectNoBlockingViolations(await scan(page, `${theme} grounded result`));
    });

    const TEAM_PAGES = {
      "library, gallery and usage": [
        ["library", "/library"],
        ["gallery", "/gallery"],
        ["usage", "/usage"],
      ],
      "admin, people and audit": [
        ["admin", "/admin"],
        ["people", "/admin/people"],
        ["audit", "/admin/audit"],
      ],
    } as const;
    for (const [group, pages] of Object.entries(TEAM_PAGES)) {
      test(`the team's pages (${group}) have no serious or critical axe violations`, async ({ page }, testInfo) => {
        // Six scans and a generation: more than the default minute on a loaded two-core machine.
        test.slow();
        // One result, so the library and the gallery show a tile and the usage page a row, not
        // only their empty states.
        const studio = new StudioPage(page);
        await studio.goto();
        await page.getByTestId("show-thoughts").uncheck();
        await studio.generate("A lemon on a blue plate, for the team pages");
        await studio.waitForStatus("succeeded");

        const found: string[] = [];
        for (const [name, url] of pages) {
          await gotoHydrated(page, url);
          await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
          found.push(...(await scan(page, `${theme} ${name}`)));
          await page.screenshot({ path: testInfo.outputPath(`${theme}-${name}.png`) });
        }
        expectNoBlockingViolations(found);
      });
    }
  });
}
