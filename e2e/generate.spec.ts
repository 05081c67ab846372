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
  await studio.size("1K").check({ force: true });
  await studio.aspectRatio.selectOption("16:9");
  await expect(page.getByTestId("pixel-size")).toHaveText("Output 1376 × 768 px");

  await studio.generate("A lighthouse on a cliff at dusk, watercolor");
  await expect(page).toHaveURL(/\/s\/[\w-]+\?turn=[\w-]+$/);
  await studio.waitForStatus("succeeded");
  expect(await studio.resultSize()).toEqual({ width: 1376, height: 768 });
  await expect(page.getByTestId("download")).toHaveAttribute("download", /^gen-a-lighthouse-on-a-cliff-\d{8}-\d{6}\.jpg$/);

  const calls = await emulatorControl(request).generations();
  expect(calls).toHaveLength(1);
  expect(calls[0]?.model).toBe("gemini-3.1-flash-image");
  expect(calls[0]?.body).toMatchObject({ generationConfig: { imageConfig: { aspectRatio: "16:9", imageSize: "1K" } } });
});

test("serves result images as cacheable files, never inline", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A red bicycle against a yellow wall");
  await studio.waitForStatus("succeeded");
  const src = await studio.resultImages.first().getAttribute("src");
  expect(src).toMatch(/^\/api\/images\/[a-f0-9]{64}$/);
  const response = await page.request.get(src!);
  expect(response.headers()["content-type"]).toBe("image/jpeg");
  expect(response.headers()["cache-control"]).toContain("immutable");
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");
  const html = await (await page.request.get(page.url())).text();
  expect(html).not.toMatch(/data:image\/(jpeg|png);base64/);
});

test("a blocked prompt fails clearly, keeps the request, and Edit and retry puts it back to send again", async ({ page, request }) => {
  const emulator = emulatorControl(request);
  await emulator.queueFaults([{ kind: "prompt_blocked" }]);
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("Something the service refuses");
  await studio.waitForStatus("failed");
  await expect(studio.turnError).toHaveAttribute("data-code", "safety_block");
  await expect(studio.resultImages).toHaveCount(0);
  // Resending a blocked prompt unchanged would be blocked again: no bare Retry.
  await expect(page.getByTestId("retry")).toHaveCount(0);

  await page.getByTestId("edit-and-retry").click();
  await expect(studio.prompt).toHaveValue("Something the service refuses");
  await studio.generateButton.click();
  await studio.waitForStatus("succeeded");
  await expect(studio.resultImages).toHaveCount(1);
  const calls = await emulator.generations();
  expect(calls).toHaveLength(2);
  expect(calls[1]?.body).toEqual(calls[0]?.body);
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
    await studio.waitForStatus("succeeded");
    expect(await studio.resultSize()).toEqual({ width: 1024, height: 1024 });
    await page.screenshot({ path: testInfo.outputPath("offline-preview.png"), fullPage: true });
  });
});
