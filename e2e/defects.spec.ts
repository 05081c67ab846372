import { expect, test } from "@playwright/test";
import { solidImage } from "../lib/images/test-images";
import { ReferenceTrayPage } from "./pages/reference-tray-page";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { readZipFiles } from "../test/support/unzip";

// The defects of issue 17, one test each, written to fail against the studio as it was.

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

const COLORS = Array.from({ length: 12 }, (_, n) => `#${(0x203040 + n * 0x0b0a09).toString(16).slice(-6)}`);

test("focus stays in the prompt after the first Generate; a skip link leads to the prompt; one tab stop per session list", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.prompt.fill("A paper boat on a puddle, for the focus test");
  await studio.prompt.press("Control+Enter");
  await expect(page).toHaveURL(/\/s\//);
  await studio.waitForStatus("succeeded");
  await expect(studio.prompt).toBeFocused();

  // A second session, so the sidebar lists two.
  await page.getByTestId("new-session").click();
  await expect(page).toHaveURL(/\/$/);
  await studio.prompt.fill("A paper plane over a roof, for the focus test");
  await studio.prompt.press("Control+Enter");
  await expect(page).toHaveURL(/\/s\//);
  await studio.waitForStatus("succeeded");

  await page.reload();
  await expect(studio.prompt).toBeVisible();
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to prompt" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(studio.prompt).toBeFocused();

  // Other specs share this studio: the two made here are among the sessions listed.
  const links = page.getByTestId("session-link");
  await expect(links.filter({ hasText: "A paper plane over a roof, for" })).toHaveCount(1);
  await expect(links.filter({ hasText: "A paper boat on a puddle, for" })).toHaveCount(1);
  const list = page.getByTestId("session-list");
  const tabStops = await list.evaluate(
    (element) => [...element.querySelectorAll<HTMLElement>("a, button, input, [tabindex]")].filter((node) => node.tabIndex >= 0).length,
  );
  expect(tabStops).toBe(1);
  await page.getByTestId("session-search").focus();
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
  expect(first).toBe("session-link");
  const firstText = await page.evaluate(() => document.activeElement?.textContent ?? "");
  await page.keyboard.press("ArrowDown");
  const secondText = await page.evaluate(() => document.activeElement?.textContent ?? "");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("session-link");
  expect(secondText).not.toBe(firstText);
  // Tab leaves the list rather than walking every session and its buttons.
  await page.keyboard.press("Tab");
  expect(await list.evaluate((element) => element.contains(document.activeElement))).toBe(false);
});

test("one turn has one number everywhere after a branch: timeline, composer, compare picker, compare dialog, export", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A fox in the snow");
  await studio.waitForStatus("succeeded");
  await studio.generate("Make it night");
  await studio.waitForStatus("succeeded");
  // Branch from turn 1: the new turn is the third made in this session.
  await studio.timelineTurns.first().getByRole("button").last().click();
  await studio.generate("Make it autumn");
  await studio.waitForStatus("succeeded");

  await expect(studio.timelineTurns).toHaveCount(2);
  await expect(studio.timelineTurns.nth(1)).toContainText("Turn 3");
  await expect(page.getByTestId("turn-number")).toHaveText("Turn 3");
  await expect(page.getByTestId("continue-from")).toContainText("Continues from turn 3");
  await page.getByTestId("compare-with").click();
  const menu = page.getByRole("menu", { name: "Compare with" });
  await expect(menu.getByRole("menuitem", { name: "Turn 2 · Make it night" })).toBeVisible();
  await page.keyboard.press("Escape");
  await studio.compareWith("Turn 1 · A fox in the snow");
  await expect(page.getByTestId("compare-right")).toHaveAttribute("alt", "After: Turn 3 · Make it autumn");

  const sessionId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
  const response = await page.request.get(`/api/sessions/${sessionId}/export`);
  const files = await readZipFiles(await response.body());
  const manifest = JSON.parse((files.get("session.json") ?? Buffer.alloc(0)).toString("utf8")) as {
    turns: Array<{ prompt: string; number: number }>;
  };
  expect(Object.fromEntries(manifest.turns.map((turn) => [turn.prompt, turn.number]))).toEqual({
    "A fox in the snow": 1,
    "Make it night": 2,
    "Make it autumn": 3,
  });
});

test("failed turns do not become the tip: the next turn continues from the last successful one", async ({ page, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A red bicycle against a wall");
  await studio.waitForStatus("succeeded");
  for (const n of [1, 2]) {
    await emulatorControl(request).queueFaults([{ kind: "image_safety" }]);
    await studio.generate(`Blocked attempt ${n}`);
    await studio.waitForStatus("failed");
    await expect(page.getByTestId("continue-from")).toContainText("Continues from turn 1");
  }
  await studio.generate("Paint the bicycle blue");
  await studio.waitForStatus("succeeded");
  // The request carried turn 1's answer, not the failures.
  const generations = await emulatorControl(request).generations();
  const last = generations.at(-1);
  const userTexts = (last?.body?.contents ?? [])
    .filter((content) => content.role === "user")
    .flatMap((content) => (content.parts ?? []).map((part) => part.text).filter((text): text is string => typeof text === "string"));
  expect(userTexts.some((text) => text.includes("A red bicycle"))).toBe(true);
  expect(userTexts.some((text) => text.includes("Blocked attempt"))).toBe(false);
  await expect(studio.timelineTurns).toHaveCount(2);
});

test("per-model reference limits are enforced after a model switch, and the notice lists what changed", async ({ page }) => {
  const tray = new ReferenceTrayPage(page);
  const studio = new StudioPage(page);
  await tray.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  const files = await Promise.all(COLORS.slice(0, 10).map(async (color, n) => ({ name: `object-${n + 1}.png`, mimeType: "image/png", buffer: await solidImage(64, 48, "png", color) })));
  await tray.add(...files);
  await tray.expectReady(files.map((file) => file.name));
  for (const file of files) await tray.item(file.name).getByTestId("reference-role").selectOption("object");
  await expect(tray.count).toContainText("Objects 10/10");
  await studio.prompt.fill("Arrange these objects on a table");
  await expect(studio.generateButton).toBeEnabled();

  await studio.model.selectOption("gemini-3-pro-image");
  await expect(page.getByTestId("model-switch-changes")).toContainText("Objects: 10 marked, Gemini 3 Pro Image keeps up to 6");
  await expect(studio.generateButton).toBeDisabled();
  await expect(page.getByTestId("generate-blocked")).toContainText("Gemini 3 Pro Image keeps up to 6 objects faithful");
  await studio.prompt.press("Control+Enter");
  await expect(studio.turnView).toHaveCount(0);

  // Back to objects within the limit: Generate works again.
  for (const file of files.slice(6)) await tray.item(file.name).getByTestId("reference-role").selectOption("");
  await expect(studio.generateButton).toBeEnabled();
});

test("labels switch to editing only when there is a turn to continue, not when a reference is added", async ({ page }) => {
  const tray = new ReferenceTrayPage(page);
  const studio = new StudioPage(page);
  await tray.goto();
  await tray.add({ name: "sketch.png", mimeType: "image/png", buffer: await solidImage(64, 48, "png", "#aa3300") });
  await tray.expectReady(["sketch.png"]);
  await studio.prompt.fill("Turn this sketch into a watercolor");
  await expect(page.getByLabel("Prompt", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Describe the change")).toHaveCount(0);
  await expect(studio.generateButton).toHaveAccessibleName("Generate");
  await studio.generateButton.click();
  await studio.waitForStatus("succeeded");
  await expect(page.getByLabel("Describe the change")).toBeVisible();
  await expect(studio.generateButton).toHaveAccessibleName("Apply edit");
});

test("a dropped connection shows the studio's own message, never the transport's text", async ({ page, request }) => {
  test.setTimeout(90_000);
  await emulatorControl(request).queueFaults(Array.from({ length: 4 }, () => ({ kind: "cut", afterChunks: 1 })));
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A lighthouse on a bad line");
  await studio.waitForStatus("failed", 60_000);
  await expect(studio.turnError).toContainText("connection dropped");
  await expect(studio.turnError).not.toContainText(/terminated|other side closed|UND_ERR/i);
});

test("512 at 21:9 is listed and drawn at 792×336, half of 1K like every other 512 entry", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  await studio.size("512").check({ force: true });
  await studio.aspectRatio.selectOption("21:9");
  await expect(page.getByTestId("pixel-size")).toHaveText("Output 792 × 336 px");
  await studio.generate("A wide mountain panorama");
  await studio.waitForStatus("succeeded");
  expect(await studio.resultSize()).toEqual({ width: 792, height: 336 });
});

test("every size of every model shows a price with the date it was read, or says the price is not published", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const models = await studio.model.locator("option").evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
  expect(models.length).toBeGreaterThan(1);
  for (const model of models) {
    await studio.model.selectOption(model);
    for (const size of ["512", "1K", "2K", "4K"] as const) {
      const radio = studio.size(size);
      if ((await radio.count()) === 0 || (await radio.isDisabled())) continue;
      await radio.check({ force: true });
      await expect(page.getByTestId("estimate"), `${model} ${size}`).toContainText(/≈ \$\d+\.\d{3} per image \(price read \d{4}-\d{2}-\d{2}\)|price not published/);
    }
  }
});
