import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";

// The studio's menus and dialogs by keyboard, as a screen-reader or keyboard-only user meets them.

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

test("buttons with a shortcut hint are named without it and announce the shortcut", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.prompt.fill("A red kite over the dunes");
  await expect(studio.generateButton).toHaveAccessibleName("Generate");
  await expect(studio.generateButton).toHaveAttribute("aria-keyshortcuts", "Control+Enter Meta+Enter");
  await expect(page.getByRole("button", { name: "Generate", exact: true })).toBeVisible();
});

test("the Templates menu moves through its items with the arrow keys, Enter picks, Esc closes and returns focus", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const button = page.getByTestId("templates-button");
  await button.focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Prompt templates" });
  await expect(menu).toBeVisible();
  await expect(page.getByTestId("template-photorealistic")).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("template-sticker")).toBeFocused();
  await page.keyboard.press("End");
  await expect(page.getByTestId("template-character")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);
  await expect(button).toBeFocused();

  await page.keyboard.press("ArrowDown");
  await expect(menu).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("template-sticker")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(menu).toHaveCount(0);
  await expect(studio.prompt).toHaveValue(/sticker/i);
  // The first placeholder of the template is selected, ready to be typed over.
  await expect(studio.prompt).toBeFocused();
});

test("ArrowDown on Compare with… opens the picker instead of starting a comparison; Enter compares, Esc returns focus", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A quiet harbour at dawn");
  await studio.waitForStatus("succeeded");
  await studio.generate("Add fishing boats");
  await studio.waitForStatus("succeeded");

  const picker = page.getByTestId("compare-with");
  await picker.focus();
  await page.keyboard.press("ArrowDown");
  const menu = page.getByRole("menu", { name: "Compare with" });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole("menuitem", { name: "Turn 1 · A quiet harbour at dawn" })).toBeFocused();
  await expect(page.getByTestId("compare-view")).toHaveCount(0);

  await page.keyboard.press("Enter");
  const view = page.getByRole("dialog", { name: "Compare versions" });
  await expect(view).toBeVisible();
  await expect(view.getByTestId("compare-left")).toHaveAttribute("alt", "Before: Turn 1 · A quiet harbour at dawn");
  // Focus is inside the modal and Tab cannot leave it.
  await expect(view.getByRole("tab", { selected: true })).toBeFocused();
  for (let step = 0; step < 6; step += 1) {
    await page.keyboard.press("Tab");
    expect(await view.evaluate((element) => element.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(view).toHaveCount(0);
  await expect(picker).toBeFocused();
  // Esc closed the comparison only: the studio did not take it as "cancel".
  await expect(studio.turnView).toHaveAttribute("data-status", "succeeded");
});

test("deleting a session asks in a modal alert dialog: focus starts on Keep, Esc keeps the session and returns focus", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A lantern in the fog");
  await studio.waitForStatus("succeeded");

  const item = page.locator('[data-testid="session-item"]', { hasText: "A lantern in the fog" });
  const remove = item.getByTestId("session-delete");
  await remove.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("alertdialog", { name: "Delete session" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("A lantern in the fog");
  await expect(dialog.getByRole("button", { name: "Keep" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(remove).toBeFocused();
  await expect(item).toHaveCount(1);
  await expect(studio.turnView).toHaveAttribute("data-status", "succeeded");
});
