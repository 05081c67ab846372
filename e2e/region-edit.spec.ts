import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { measureFidelity } from "../scripts/region-fidelity";
import { RegionEditPage } from "./pages/region-edit-page";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl, type EmulatorRegion } from "./support/emulator";

/**
 * Region edit: mark an area of a result, say what should change there, and the studio sends a
 * follow-up turn with a mask; the emulator reports the area the mask marked and changes only that.
 */

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

const DRAWN = { x: 20, y: 10, width: 30, height: 30 };

function expectRegionNear(region: EmulatorRegion | undefined, meant: typeof DRAWN, within = 2) {
  expect(region, "the emulator reported no region").toBeDefined();
  expect(region?.marked).toBe(true);
  for (const key of ["x", "y", "width", "height"] as const) {
    expect(Math.abs((region?.percent[key] ?? Number.NaN) - meant[key]), `${key}: reported ${region?.percent[key]}, drawn ${meant[key]}`).toBeLessThanOrEqual(within);
  }
}

async function imageBytes(page: Page, src: string | null): Promise<Buffer> {
  expect(src).toMatch(/^\/api\/images\/[a-f0-9]{64}$/);
  const response = await page.request.get(src ?? "");
  expect(response.status()).toBe(200);
  return response.body();
}

/**
 * The generation calls of the conversation this test started, oldest first. The emulator also
 * answers any other client pointed at its port (another checkout's bench once warmed up through
 * it), so a test counts only the calls that replay its own first prompt.
 */
async function callsOf(request: APIRequestContext, firstPrompt: string) {
  const calls = await emulatorControl(request).generations();
  return calls.filter((call) => call.body?.contents?.[0]?.parts?.[0]?.text === firstPrompt);
}

async function startWithResult(page: Page, prompt: string) {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate(prompt);
  await studio.waitForStatus("succeeded");
  await studio.resultSize();
  return studio;
}

test("a box drawn with the mouse and an instruction become a follow-up turn; the result opens in the slider and only the box changed", async ({ page, request }) => {
  const prompt = "A quiet harbour at dawn, fishing boats";
  const studio = await startWithResult(page, prompt);
  const original = await studio.resultSize();
  const parentId = await studio.turnView.getAttribute("data-turn-id");
  const region = new RegionEditPage(page);
  await region.open();
  await expect(region.surface).toBeFocused();
  await expect(region.summary).toHaveText("Nothing marked yet.");

  await region.drag({ x: DRAWN.x, y: DRAWN.y }, { x: DRAWN.x + DRAWN.width, y: DRAWN.y + DRAWN.height });
  await expect(region.box).toBeVisible();
  await expect(region.summary).toHaveText("Marked: 20–50% across and 10–40% down.");
  for (const [name, value] of [
    ["X (% from left)", DRAWN.x],
    ["Y (% from top)", DRAWN.y],
    ["Width (%)", DRAWN.width],
    ["Height (%)", DRAWN.height],
  ] as const) {
    expect(Math.abs(Number(await region.field(name).inputValue()) - value)).toBeLessThanOrEqual(1);
  }

  await region.instruction.fill("a red kite with a long tail");
  await region.apply.click();

  // A new turn, continuing the result (a follow-up in the same conversation), on screen and in the timeline.
  await expect(region.dialog).toBeHidden();
  await expect(studio.turnView).not.toHaveAttribute("data-turn-id", parentId ?? "");
  await expect(page.getByTestId("turn-prompt")).toContainText("Change only the marked area: a red kite with a long tail.");
  await expect(studio.timelineTurns).toHaveCount(2);
  await studio.waitForStatus("succeeded");

  // The comparison opens by itself, in the slider: the original before, the edit after.
  const compare = page.getByTestId("compare-view");
  await expect(compare).toBeVisible();
  await expect(compare).toHaveAttribute("data-mode", "slider");
  await expect(compare.getByTestId("compare-slider")).toBeVisible();
  await expect(compare.getByTestId("compare-left")).toHaveAttribute("alt", /^Before: Turn 1 · A quiet harbour/);
  await expect(compare.getByTestId("compare-right")).toHaveAttribute("alt", /^After: Turn 2 · Change only the marked area/);

  // What went on the wire: the earlier exchange replayed, then the instruction and the labelled mask.
  const calls = await callsOf(request, prompt);
  expect(calls).toHaveLength(2);
  const sent = calls[1]?.body?.contents ?? [];
  expect(sent.map((content) => content.role)).toEqual(["user", "model", "user"]);
  const last = sent[2]?.parts ?? [];
  expect(last).toHaveLength(3);
  const words = String(last[0]?.text);
  expect(words).toMatch(/^Change only the marked area: a red kite with a long tail\.\n/);
  expect(words).toContain("change only the area shown in white on the mask (image 1), which covers about 20–50% across and 10–40% down the image");
  expect(words).toContain("Keep everything else in the image exactly the same, preserving the original style, lighting, and composition.");
  expect(last[1]).toEqual({ text: "Image 1 (mask):" });
  expect(last[2]).toMatchObject({ inlineData: { mimeType: "image/png" } });

  // The emulator read the mask, drawn at the result's exact pixel size, and reports the box that was drawn.
  expect(calls[1]?.region?.maskSize).toEqual(original);
  expectRegionNear(calls[1]?.region, DRAWN);
  expect(calls[1]?.region?.edited).toBe(true);
  await expect(page.getByTestId("model-text")).toContainText("Changed only the area marked in image 1");

  // Outside the box the edit kept the original (within JPEG's re-encoding); inside, it changed.
  const before = await imageBytes(page, await compare.getByTestId("compare-left").getAttribute("src"));
  const after = await imageBytes(page, await compare.getByTestId("compare-right").getAttribute("src"));
  const reported = calls[1]?.region;
  const fidelity = await measureFidelity(before, after, { left: reported?.left ?? 0, top: reported?.top ?? 0, width: reported?.width ?? 0, height: reported?.height ?? 0 }, 8);
  expect(fidelity.outsideUnchanged / fidelity.outsidePixels).toBeGreaterThan(0.99);
  expect(fidelity.insideChanged / fidelity.insidePixels).toBeGreaterThan(0.5);

  await page.keyboard.press("Escape");
  await expect(compare).toBeHidden();
});

test("bad input gets a clear message and sends nothing; the keyboard and the fields set the area; Escape cancels", async ({ page, request }) => {
  const prompt = "A lighthouse on a rocky coast";
  const studio = await startWithResult(page, prompt);
  const region = new RegionEditPage(page);
  await region.open();

  // Nothing marked, nothing written: both said, nothing sent, the dialog stays.
  await region.apply.click();
  await expect(region.regionError).toHaveText("Mark the area to change: drag a box on the image, or set its width and height.");
  await expect(region.instructionError).toHaveText("Write what should change in the marked area.");
  await expect(region.surface).toBeFocused();
  await expect(region.surface).toHaveAttribute("aria-invalid", "true");

  // A click without a drag marks nothing; blank words are no instruction.
  await region.drag({ x: 40, y: 40 }, { x: 40, y: 40 });
  await region.instruction.fill("   ");
  await region.apply.click();
  await expect(region.summary).toHaveText("Nothing marked yet.");
  await expect(region.regionError).toBeVisible();
  await expect(region.instructionError).toBeVisible();
  expect(await callsOf(request, prompt)).toHaveLength(1);

  // The keyboard: an arrow places the default area, Shift+arrows move it by 10%, Alt+arrows resize it.
  await region.surface.focus();
  await page.keyboard.press("ArrowRight");
  await expect(region.summary).toHaveText("Marked: 30–70% across and 30–70% down.");
  await page.keyboard.press("Shift+ArrowLeft");
  await page.keyboard.press("Alt+ArrowUp");
  await expect(region.summary).toHaveText("Marked: 20–60% across and 30–69% down.");
  await expect(region.regionError).toBeHidden();
  await expect(region.field("X (% from left)")).toHaveValue("20");

  // The fields, in percent.
  await region.field("Width (%)").fill("25");
  await region.field("Height (%)").fill("10");
  await expect(region.summary).toHaveText("Marked: 20–45% across and 30–40% down.");
  // A field past the edge is brought back inside the image.
  await region.field("X (% from left)").fill("95");
  await expect(region.summary).toHaveText("Marked: 95–100% across and 30–40% down.");

  // Each problem on its own: an area but no words, then words but an area of no width.
  await region.apply.click();
  await expect(region.regionError).toBeHidden();
  await expect(region.instructionError).toHaveText("Write what should change in the marked area.");
  await expect(region.instruction).toBeFocused();
  await region.instruction.fill("a seagull");
  await expect(region.instructionError).toBeHidden();
  await region.field("Width (%)").fill("0");
  await region.apply.click();
  await expect(region.summary).toHaveText("Nothing marked yet.");
  await expect(region.regionError).toHaveText("Mark the area to change: drag a box on the image, or set its width and height.");
  await expect(region.instructionError).toBeHidden();
  await expect(region.surface).toBeFocused();
  expect(await callsOf(request, prompt)).toHaveLength(1);

  // Escape cancels: the dialog closes, nothing was sent, the result is as it was.
  await page.keyboard.press("Escape");
  await expect(region.dialog).toBeHidden();
  await expect(page.getByTestId("edit-region")).toBeFocused();
  expect(await callsOf(request, prompt)).toHaveLength(1);
  await expect(studio.timelineTurns).toHaveCount(1);
});

test("with the keyboard alone: open, mark with the arrows, Tab to the words, Ctrl+Enter sends; a refused region edit's Edit and retry reopens the dialog with its area and words", async ({ page, request }) => {
  const prompt = "A windmill in a tulip field";
  const studio = await startWithResult(page, prompt);
  const emulator = emulatorControl(request);
  const region = new RegionEditPage(page);
  const MARKED = "Marked: 40–79% across and 30–80% down.";

  await page.getByTestId("edit-region").focus();
  await page.keyboard.press("Enter");
  await expect(region.dialog).toBeVisible();
  await expect(region.surface).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(region.summary).toHaveText("Marked: 30–70% across and 30–70% down.");
  await page.keyboard.press("Shift+ArrowRight");
  await page.keyboard.press("Alt+Shift+ArrowDown");
  await page.keyboard.press("Alt+ArrowLeft");
  await expect(region.summary).toHaveText(MARKED);
  // Tab runs through the four fields, which show the area, to the words.
  for (const [name, value] of [
    ["X (% from left)", "40"],
    ["Y (% from top)", "30"],
    ["Width (%)", "39"],
    ["Height (%)", "50"],
  ] as const) {
    await page.keyboard.press("Tab");
    await expect(region.field(name)).toBeFocused();
    await expect(region.field(name)).toHaveValue(value);
  }
  await page.keyboard.press("Tab");
  await expect(region.instruction).toBeFocused();
  await page.keyboard.type("a second windmill, smaller");

  // The service refuses the first try: the turn fails, and no comparison opens.
  await emulator.queueFaults([{ kind: "prompt_blocked" }]);
  await page.keyboard.press("Control+Enter");
  await expect(region.dialog).toBeHidden();
  await studio.waitForStatus("failed");
  await expect(page.getByTestId("compare-view")).toHaveCount(0);
  const refused = await callsOf(request, prompt);
  expect(refused).toHaveLength(2);
  const refusedTurn = refused[1]?.body?.contents?.at(-1)?.parts ?? [];
  expect(String(refusedTurn[0]?.text)).toMatch(/^Change only the marked area: a second windmill, smaller\./);
  expect(refusedTurn[1]).toEqual({ text: "Image 1 (mask):" });

  // Edit and retry, by keyboard too: the dialog comes back over the original with the same area and words.
  await page.getByTestId("edit-and-retry").focus();
  await page.keyboard.press("Enter");
  await expect(region.dialog).toBeVisible();
  await expect(region.surface).toBeFocused();
  await expect(region.summary).toHaveText(MARKED);
  await expect(region.instruction).toHaveValue("a second windmill, smaller");
  for (let step = 0; step < 5; step++) await page.keyboard.press("Tab");
  await expect(region.instruction).toBeFocused();
  await page.keyboard.press("Control+Enter");
  await expect(region.dialog).toBeHidden();
  await studio.waitForStatus("succeeded");
  await expect(page.getByTestId("compare-view")).toHaveAttribute("data-mode", "slider");

  // The retry continues the original, as the refused try did, and the emulator read the keyboard's area.
  const calls = await callsOf(request, prompt);
  expect(calls).toHaveLength(3);
  expect(calls[2]?.body?.contents).toEqual(refused[1]?.body?.contents);
  expectRegionNear(calls[2]?.region, { x: 40, y: 30, width: 39, height: 50 }, 1);
  expect(calls[2]?.region?.edited).toBe(true);
});

for (const viewport of [
  { name: "desktop", width: 1440, height: 900 },
  { name: "tablet", width: 820, height: 1180 },
  { name: "phone", width: 390, height: 844 },
]) {
  test(`on a ${viewport.name} (${viewport.width}×${viewport.height}) the dialog and the result pass axe in both themes; screenshots`, async ({ page, request }) => {
    // Two generations, axe twice and four screenshots: more than the default minute on a busy machine.
    test.slow();
    const prompt = "A red bicycle leaning on a yellow wall";
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await startWithResult(page, prompt);
    const region = new RegionEditPage(page);
    await region.open();
    await region.drag({ x: 15, y: 40 }, { x: 60, y: 85 });
    await region.instruction.fill("a blue scooter instead of the bicycle");
    const found: string[] = [];
    for (const theme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: theme });
      found.push(...(await blockingViolations(page, `${viewport.name} ${theme} dialog`)));
      await page.screenshot({ path: `test-results/region-edit/${viewport.name}-${theme}-dialog.png` });
    }
    await region.apply.click();
    const compare = page.getByTestId("compare-view");
    await expect(compare).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => compare.getByTestId("compare-right").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    for (const theme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await page.screenshot({ path: `test-results/region-edit/${viewport.name}-${theme}-compare.png` });
    }
    expectRegionNear((await callsOf(request, prompt))[1]?.region, { x: 15, y: 40, width: 45, height: 45 });
    expect(found, found.join("\n")).toEqual([]);
  });
}

async function blockingViolations(page: Page, where: string): Promise<string[]> {
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))));
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) => violation.nodes.map((node) => `[${where}] ${violation.id}: ${node.target.join(" ")} ${node.failureSummary ?? ""}`));
}
