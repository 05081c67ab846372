import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

test("generates an image from a text prompt through the real SDK and the emulator", async ({ page, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await studio.imageSize.selectOption("1K");
  await studio.aspectRatio.selectOption("16:9");
  await expect(page.getByTestId("pixel-size")).toHaveText("Output 1376 × 768 px");

  await studio.generate("A lighthouse on a cliff at dusk, watercolor");
  await expect(page.getByTestId("progress")).toBeVisible();
  expect(await studio.firstResultSize()).toEqual({ width: 1376, height: 768 });

  const download = page.getByTestId("download").first();
  await expect(download).toHaveAttribute("download", /^gen-a-lighthouse-on-a-cliff-\d{8}-\d{6}\.jpg$/);

  const log = await emulatorControl(request).requests();
  const generateCalls = log.filter((entry) => entry.path.includes(":streamGenerateContent"));
  expect(generateCalls).toHaveLength(1);
  expect(generateCalls[0]?.model).toBe("gemini-3.1-flash-image");
  expect(generateCalls[0]?.body).toMatchObject({
    generationConfig: { imageConfig: { aspectRatio: "16:9", imageSize: "1K" } },
  });
});

test("serves result images as cacheable files, never inline", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A red bicycle against a yellow wall");
  const src = await studio.resultImages.first().getAttribute("src");
  expect(src).toMatch(/^\/api\/images\/[a-f0-9]{64}$/);
  const response = await page.request.get(src!);
  expect(response.headers()["content-type"]).toBe("image/jpeg");
  expect(response.headers()["cache-control"]).toContain("immutable");
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");
});

test("shows a clear error when the service fails, without a result", async ({ page, request }) => {
  await emulatorControl(request).queueFaults([{ kind: "prompt_blocked" }]);
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("Something the service refuses");
  await expect(studio.error).toBeVisible();
  await expect(studio.error).toContainText(/block/i);
  await expect(studio.resultImages).toHaveCount(0);
});

test.describe("offline preview", () => {
  test.use({ baseURL: E2E.offlineAppUrl });

  test("says images are placeholders, and still generates one", async ({ page }, testInfo) => {
    const studio = new StudioPage(page);
    await studio.goto();
    const banner = page.getByTestId("offline-banner");
    await expect(banner).toBeVisible();
    await expect(banner).toContainText("placeholders");
    await expect(banner).toContainText("GEMINI_API_KEY");

    await studio.generate("A banana astronaut floating above Earth");
    expect(await studio.firstResultSize()).toEqual({ width: 1024, height: 1024 });
    await page.screenshot({ path: testInfo.outputPath("offline-preview.png"), fullPage: true });
  });
});
