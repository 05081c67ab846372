import { expect, test, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { createInvitationLink, fillAccountForm, signedOutContext } from "./support/accounts";
import { emulatorControl } from "./support/emulator";
import { gotoHydrated } from "./support/hydrated";

// The library across sessions: results from two sessions in one place, filtered and searched,
// starred, gathered on a board that is renamed and deleted, saved prompts reused in the composer,
// and none of it visible to another person.

test.describe.configure({ mode: "serial", timeout: 180_000 });

const LEMON = "A library lemon on a marble table";
const CHERRY = "A library cherry in the rain";

async function generateInNewSession(page: Page, prompt: string, size?: "2K") {
  const studio = new StudioPage(page);
  await studio.goto("/");
  await page.getByTestId("show-thoughts").uncheck();
  if (size) await studio.size(size).check({ force: true });
  await studio.generate(prompt);
  await studio.waitForStatus("succeeded");
}

function tile(page: Page, prompt: string) {
  return page.getByTestId("library-tile").filter({ has: page.getByTestId("library-prompt").getByText(prompt, { exact: true }) });
}

test.describe("library", () => {
  test.beforeAll(async ({ request }) => emulatorControl(request).reset());

  test("results from every session: filter, search, favourite, boards, larger view, its turn", async ({ page }) => {
    await generateInNewSession(page, LEMON);
    await generateInNewSession(page, CHERRY, "2K");

    await page.goto("/library");
    const lemon = tile(page, LEMON);
    const cherry = tile(page, CHERRY);
    await expect(lemon).toHaveCount(1);
    await expect(cherry).toHaveCount(1);
    // Newest first.
    const prompts = await page.getByTestId("library-prompt").allTextContents();
    expect(prompts.indexOf(CHERRY)).toBeLessThan(prompts.indexOf(LEMON));
    const thumbnail = lemon.locator("img");
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);

    // Search by prompt, then size.
    await page.getByLabel("Search prompts").fill("CHERRY");
    await expect(cherry).toHaveCount(1);
    await expect(lemon).toHaveCount(0);
    await page.getByLabel("Search prompts").fill("library ");
    await page.getByLabel("Size").selectOption("2K");
    await expect(cherry).toHaveCount(1);
    await expect(lemon).toHaveCount(0);
    await page.getByLabel("Size").selectOption("");
    // A date range that ends before today lets nothing through.
    await page.getByLabel("To (UTC)").fill("2020-01-01");
    await expect(page.getByText("No result matches these filters.")).toBeVisible();
    await page.getByLabel("To (UTC)").fill("");

    // Favourite the lemon; the Favourites filter keeps only it, and it survives a reload.
    await lemon.getByRole("button", { name: "Favourite" }).click();
    await expect(lemon.getByRole("button", { name: "Favourite" })).toHaveAttribute("aria-pressed", "true");
    await page.reload();
    await expect(tile(page, LEMON).getByRole("button", { name: "Favourite" })).toHaveAttribute("aria-pressed", "true");
    await page.getByLabel("Favourites").check();
    await expect(tile(page, LEMON)).toHaveCount(1);
    await expect(tile(page, CHERRY)).toHaveCount(0);
    await page.getByLabel("Favourites").uncheck();

    // A new board with the cherry on it, from the tile's menu.
    await tile(page, CHERRY).getByTestId("board-menu-button").click();
    await page.getByRole("menuitem", { name: "New board…" }).click();
    await page.getByLabel("Board name").fill("Fruit");
    await page.getByRole("button", { name: "Create and add" }).click();
    await expect(page.getByRole("dialog")).toHaveCount(0);
    const boardSelect = page.getByLabel("Board", { exact: true });
    await expect(boardSelect.locator("option", { hasText: "Fruit (1)" })).toHaveCount(1);
    await boardSelect.selectOption({ label: "Fruit (1)" });
    await expect(tile(page, CHERRY)).toHaveCount(1);
    await expect(tile(page, LEMON)).toHaveCount(0);

    // Rename it; delete it after confirming. Its result stays in the library.
    await page.getByRole("button", { name: "Rename board" }).click();
    await page.getByLabel("Board name").fill("Fruit bowl");
    await page.getByRole("button", { name: "Rename", exact: true }).click();
    await expect(boardSelect.locator("option", { hasText: "Fruit bowl (1)" })).toHaveCount(1);
    await page.reload();
    await expect(page.getByLabel("Board", { exact: true }).locator("option", { hasText: "Fruit bowl (1)" })).toHaveCount(1);
    await page.getByLabel("Board", { exact: true }).selectOption({ label: "Fruit bowl (1)" });
    await page.getByRole("button", { name: "Delete board" }).click();
    const confirm = page.getByRole("alertdialog");
    await expect(confirm).toContainText("Delete the board “Fruit bowl”?");
    // The safe choice has focus.
    await expect(confirm.getByRole("button", { name: "Keep" })).toBeFocused();
    await page.getByTestId("board-delete-confirm").click();
    await expect(page.getByLabel("Board", { exact: true }).locator("option")).toHaveCount(1);
    await expect(tile(page, CHERRY)).toHaveCount(1);
    await page.reload();
    await expect(page.getByLabel("Board", { exact: true }).locator("option")).toHaveCount(1);

    // The larger view, with a download of the original.
    await tile(page, LEMON).getByTestId("library-open").click();
    const large = page.getByTestId("large-view");
    await expect(large).toBeVisible();
    await expect(large.getByRole("link", { name: "Download" })).toHaveAttribute("href", /^\/api\/images\/[a-f0-9]{64}$/);
    const download = page.waitForEvent("download");
    await large.getByRole("link", { name: "Download" }).click();
    // Under the name the studio gave it (gen-{slug}-{date}), with the extension of its type.
    expect((await download).suggestedFilename()).toMatch(/^gen-a-library-lemon[\w-]*-\d{8}-\d{6}\.(jpg|png)$/);
    await page.keyboard.press("Escape");
    await expect(large).toHaveCount(0);

    // Its turn, where the star shows and a board can be made too.
    const turnId = await tile(page, LEMON).getAttribute("data-turn-id");
    await tile(page, LEMON).getByRole("link", { name: /Open the turn/ }).click();
    await expect(page).toHaveURL(new RegExp(`/s/[^/?]+\\?turn=${turnId}$`));
    const controls = page.getByTestId("result-controls");
    await expect(controls.getByRole("button", { name: "Favourite" })).toHaveAttribute("aria-pressed", "true");
    await controls.getByTestId("board-menu-button").click();
    await page.getByRole("menuitem", { name: "New board…" }).click();
    await page.getByLabel("Board name").fill("Citrus");
    await page.getByRole("button", { name: "Create and add" }).click();
    await controls.getByRole("button", { name: "Favourite" }).click();
    await expect(controls.getByRole("button", { name: "Favourite" })).toHaveAttribute("aria-pressed", "false");

    await gotoHydrated(page, "/library");
    await expect(tile(page, LEMON).getByRole("button", { name: "Favourite" })).toHaveAttribute("aria-pressed", "false");
    await page.getByLabel("Board", { exact: true }).selectOption({ label: "Citrus (1)" });
    await expect(tile(page, LEMON)).toHaveCount(1);
    await expect(tile(page, CHERRY)).toHaveCount(0);
  });

  test("saved prompts: save with tags, filter by tag, reuse with its [placeholder] selected, delete", async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.goto("/");
    await studio.prompt.fill("A [fruit] in a glass bowl");
    await page.getByRole("button", { name: "Saved prompts" }).click();
    const dialog = page.getByTestId("prompt-library");
    await dialog.getByLabel("Name").fill("Glass bowl");
    await dialog.getByLabel("Tags (comma-separated)").fill("Food, still-life");
    await dialog.getByRole("button", { name: "Save", exact: true }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(1);
    // Saving is not generating: the composer's form around the dialog's place in the page is not submitted.
    await expect(page).toHaveURL(/\/$/);
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Name").fill("Other");
    await dialog.getByLabel("Tags (comma-separated)").fill("misc");
    await dialog.getByRole("button", { name: "Save", exact: true }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(2);
    await dialog.getByRole("button", { name: "food", exact: true }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(1);
    await expect(dialog.getByTestId("saved-prompt")).toContainText("#food #still-life");
    await page.keyboard.press("Escape");

    // Reuse into an empty prompt: it replaces it, and its first placeholder is selected for typing over.
    await studio.prompt.fill("");
    await page.getByRole("button", { name: "Saved prompts" }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(2);
    await dialog.getByRole("button", { name: "Use “Glass bowl”" }).click();
    await expect(studio.prompt).toHaveValue("A [fruit] in a glass bowl");
    await expect(studio.prompt).toBeFocused();
    expect(await studio.prompt.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd))).toBe("[fruit]");
    await page.keyboard.type("pear");
    await expect(studio.prompt).toHaveValue("A pear in a glass bowl");

    await page.getByRole("button", { name: "Saved prompts" }).click();
    await dialog.getByRole("button", { name: "Delete “Other”" }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(1);
    await page.reload();
    await studio.goto("/");
    await page.getByRole("button", { name: "Saved prompts" }).click();
    await expect(dialog.getByTestId("saved-prompt")).toHaveCount(1);
  });

  test("another person sees none of it: empty library, no boards, no saved prompts, and can't star the results", async ({ page, browser }) => {
    await page.goto("/library");
    const turnHref = await tile(page, LEMON).getByTestId("library-turn-link").getAttribute("href");
    expect(turnHref).toMatch(/^\/s\/[^/?]+\?turn=/);
    const link = await createInvitationLink(page, new URL(page.url()).origin);
    const context = await signedOutContext(browser);
    const other = await context.newPage();
    await other.goto(link);
    await fillAccountForm(other, { name: "Libby Other", email: "libby@example.com", password: "libby-password-1" });
    await expect(other.getByTestId("user-name")).toHaveText("Libby Other");

    await other.goto(`${new URL(page.url()).origin}/library`);
    await expect(other.getByTestId("library-empty")).toBeVisible();
    await expect(other.getByLabel("Board", { exact: true }).locator("option")).toHaveCount(1);
    const otherStudio = new StudioPage(other);
    await otherStudio.goto(`${new URL(page.url()).origin}/`);
    await other.getByRole("button", { name: "Saved prompts" }).click();
    await expect(other.getByText("No saved prompts yet.")).toBeVisible();
    // The owner's turn is a 404 to them, so there is no star to press.
    const response = await other.goto(`${new URL(page.url()).origin}${turnHref}`);
    expect(response?.status()).toBe(404);
    await context.close();
  });
});
