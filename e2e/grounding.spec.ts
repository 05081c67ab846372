import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

test("a grounded result shows Google's suggestions in a sandboxed frame, sources, placed citations and queries — also after reload", async ({
  page,
  request,
}) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await page.getByTestId("web-search").check();
  await page.getByTestId("image-search").check();
  await studio.generate("Weather forecast for Paris this weekend as a poster");
  await studio.waitForStatus("succeeded");

  const calls = await emulatorControl(request).generations();
  expect(calls[0]?.body?.tools).toEqual([{ googleSearch: { searchTypes: { webSearch: {}, imageSearch: {} } } }]);

  const check = async () => {
    const frame = page.getByTestId("search-suggestions");
    await expect(frame).toBeVisible();
    const sandbox = (await frame.getAttribute("sandbox")) ?? "";
    expect(sandbox.split(/\s+/).sort()).toEqual(["allow-popups", "allow-popups-to-escape-sandbox"]);
    expect(await frame.getAttribute("srcdoc")).toContain('class="chip"');
    await expect(page.frameLocator('[data-testid="search-suggestions"]').locator(".chip").first()).toBeVisible();

    const sources = page.getByTestId("grounding-source");
    expect(await sources.count()).toBeGreaterThanOrEqual(3);
    for (const link of await sources.locator("a[href]").all()) {
      await expect(link).toHaveAttribute("rel", "noopener noreferrer");
      await expect(link).toHaveAttribute("target", "_blank");
      expect(await link.getAttribute("href")).toMatch(/^https?:\/\//);
    }
    await expect(page.locator('[data-testid="grounding-source"][data-kind="image"]').first()).toBeVisible();

    // The emulator's text starts with "Voilà — ", so byte offsets and string indices differ: a
    // marker placed by string index would land inside the sentence instead of after its period.
    const text = (await page.getByTestId("grounded-text").innerText()).replace(/\s+/g, " ");
    expect(text).toMatch(/^Voilà — here is your image of “.+”\. It follows what \S+ says about .+\.\s?\[1\] Colours, names and details were checked against recent results from \S+ and \S+\.\s?\[2\]\s?\[3\]/);
    await expect(page.getByTestId("citation")).toHaveCount(3);

    await expect(page.getByTestId("grounding-queries-web")).toBeVisible();
    await expect(page.getByTestId("grounding-queries-image")).toBeVisible();
  };

  await check();
  await page.reload();
  await check();
});

test("a model without grounding disables the search toggles with the reason", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-2.5-flash-image");
  await expect(page.getByTestId("web-search")).toBeDisabled();
  await expect(page.getByTestId("image-search")).toBeDisabled();
  await expect(page.getByText("can't use Google web search")).toBeVisible();
  await studio.model.selectOption("gemini-3-pro-image");
  await expect(page.getByTestId("web-search")).toBeEnabled();
  await expect(page.getByTestId("image-search")).toBeDisabled();
});
