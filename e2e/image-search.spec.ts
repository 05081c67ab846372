import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";

/** Image Search grounding: the source images as thumbnails that open their pages. */

// An 8×8 PNG standing in for Google's thumbnail host, which the test machine can't reach.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGP4elQCK2IYWhIAvKt0gfD80pIAAAAASUVORK5CYII=",
  "base64",
);

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

test("Image Search sources show as thumbnails linking to their pages, with a placeholder when a thumbnail can't load", async ({ page }) => {
  await page.route("https://encrypted-tbn0.gstatic.com/**", (route) => route.fulfill({ status: 200, contentType: "image/png", body: PNG }));
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await page.getByTestId("image-search").check();
  await studio.generate("Vintage tram poster of Lisbon");
  await studio.waitForStatus("succeeded");

  const results = page.getByTestId("image-result");
  await expect(results).toHaveCount(2);
  await expect(page.getByRole("heading", { name: "Image results" })).toBeVisible();
  for (const result of await results.all()) {
    expect(await result.getAttribute("href")).toMatch(/^https:\/\/vertexaisearch\.cloud\.google\.com\//);
    await expect(result).toHaveAttribute("target", "_blank");
    await expect(result).toHaveAttribute("rel", "noopener noreferrer");
    await expect(result).toHaveAccessibleName(/^(Thumbnail not available )?\[\d+\] .+: image result, .+ \(opens its page\)$/);
    const thumbnail = result.getByTestId("image-result-thumbnail");
    await expect(thumbnail).toHaveAttribute("src", /^https:\/\/encrypted-tbn0\.gstatic\.com\/images\?q=tbn:/);
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  // Each thumbnail's link is the page of the same numbered source in the list.
  const sourceLinks = page.locator('[data-testid="grounding-source"][data-kind="image"] a');
  expect(await results.evaluateAll((links) => links.map((link) => link.getAttribute("href")))).toEqual(
    await sourceLinks.evaluateAll((links) => links.map((link) => link.getAttribute("href"))),
  );
  // To look at (test-results/caps/): the thumbnails beside the result, in both themes.
  for (const theme of ["light", "dark"] as const) {
    await page.context().addCookies([{ name: "nb-theme", value: theme, url: E2E.appUrl }]);
    await page.reload();
    await expect.poll(() => results.first().getByTestId("image-result-thumbnail").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await page.getByTestId("image-results").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `test-results/caps/image-search-1440x900-${theme}.png` });
  }
  // Reachable by keyboard: the first thumbnail link takes focus.
  await results.first().focus();
  await expect(results.first()).toBeFocused();

  // Thumbnails that fail to load leave a readable, still-linked placeholder.
  await page.unroute("https://encrypted-tbn0.gstatic.com/**");
  await page.route("https://encrypted-tbn0.gstatic.com/**", (route) => route.abort());
  await page.reload();
  await expect(page.getByTestId("image-result-missing")).toHaveCount(2);
  await expect(results).toHaveCount(2);
});
