import { expect, type Page } from "@playwright/test";

/**
 * Opens a page and waits until React has hydrated it (the root layout's HydrationMark): a click,
 * a fill or a form submit on the server's markup before then is lost or reloads the page, which is
 * how a test that passes alone flakes on a busy CI machine.
 */
export async function gotoHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}
