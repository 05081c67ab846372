import { expect, test, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";

/**
 * Sharing as one user can drive it today: the share menu in the session header, and the team
 * gallery listing shared sessions with their latest image, mode and owner, newest first.
 * Two-user cases (view only, can continue, 404 for the unshared) come with accounts.
 */

async function newSessionWithImage(page: Page, prompt: string): Promise<string> {
  const studio = new StudioPage(page);
  await studio.goto("/");
  await page.getByTestId("show-thoughts").uncheck();
  await studio.generate(prompt);
  await studio.waitForStatus("succeeded");
  const match = /\/s\/([^/?]+)/.exec(new URL(page.url()).pathname);
  if (!match?.[1]) throw new Error(`No session in ${page.url()}`);
  return match[1];
}

async function share(page: Page, choice: "off" | "view" | "continue") {
  await page.getByTestId("share-button").click();
  await page.getByTestId(`share-${choice}`).click();
  await expect(page.getByTestId("share-button")).toHaveAttribute("data-share-mode", choice);
}

test.describe("sharing", () => {
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("share, change the mode, unshare; the gallery follows with the latest image, newest first", async ({ page }) => {
    const first = await newSessionWithImage(page, "A banana for the whole team");
    await expect(page.getByTestId("share-button")).toHaveAttribute("data-share-mode", "off");
    await share(page, "view");
    // The choice is stored, not only shown.
    await page.reload();
    await expect(page.getByTestId("share-button")).toHaveAttribute("data-share-mode", "view");

    const second = await newSessionWithImage(page, "A second shared banana");
    await share(page, "continue");

    await page.goto("/gallery");
    const items = page.getByTestId("gallery-item");
    const firstItem = items.and(page.locator(`[data-session-id="${first}"]`));
    const secondItem = items.and(page.locator(`[data-session-id="${second}"]`));
    await expect(firstItem).toHaveAttribute("data-share-mode", "view");
    await expect(secondItem).toHaveAttribute("data-share-mode", "continue");
    await expect(firstItem.getByTestId("gallery-owner")).toHaveText("You");
    const ids = await items.evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-session-id")));
    expect(ids.indexOf(second)).toBeLessThan(ids.indexOf(first));
    const cover = firstItem.locator("img");
    await expect.poll(() => cover.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);

    await firstItem.getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`/s/${first}`));
    await share(page, "off");
    await page.goto("/gallery");
    await expect(page.locator(`[data-session-id="${first}"]`)).toHaveCount(0);
    await expect(page.locator(`[data-session-id="${second}"]`)).toHaveCount(1);
  });

  test("the share menu is keyboard-operable", async ({ page }) => {
    await newSessionWithImage(page, "A keyboard banana");
    await page.getByTestId("share-button").focus();
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("share-view")).toBeVisible();
    // Radix moves focus into the menu once it has opened; a key pressed before that goes to the
    // button (Enter closed the menu again in one CI run).
    await expect(page.getByTestId("share-off")).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByTestId("share-view")).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("share-button")).not.toHaveAttribute("data-share-mode", "off");
    await page.keyboard.press("Escape");
  });
});
