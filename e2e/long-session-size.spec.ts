import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { REFUSE_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES } from "../lib/studio/request-size";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

// A conversation sends every earlier turn again, so it grows about 1.7 MB a turn (bench/README.md,
// follow-ups: 8.5 MB at turn 5, 34.3 MB at turn 20) until Google
// refuses it (100 MB). Four seeded turns stand for sixty: each records that it adds a third of the
// refusal threshold, less a few bytes, so that the estimate continuing from
//   turn 1 is 33.0 MB (nothing shown), turn 2 66.0 MB (a notice),
//   turn 3 ten bytes under 99 MB (a notice: the composer lets it through, the server's check, which
//     adds the prompt, refuses it),
//   turn 4 132.0 MB (the composer refuses, with the one way on).
const BYTES_PER_TURN = (REFUSE_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES - 10) / 3;
const port = STUDIO_PORTS.longSessionSize;
const dataDir = ".e2e-data/long-session-size";

let server: StudioProcess | undefined;
let seeded: { sessionId: string; turnIds: string[]; refusedTurnId: string };

// Each test opens the session two or three times and runs axe twice, on a studio of its own: it took
// up to a minute on a loaded machine, the default limit.
test.describe.configure({ mode: "serial", timeout: 120_000 });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  expect(Number.isInteger(BYTES_PER_TURN)).toBe(true);
  rmSync(dataDir, { recursive: true, force: true });
  const output = execFileSync(
    process.execPath,
    ["--conditions=react-server", "--import", "tsx", path.join(__dirname, "support", "seed-long-session.ts"), dataDir, "4", "0", String(BYTES_PER_TURN)],
    { encoding: "utf8" },
  );
  seeded = JSON.parse(output) as typeof seeded;
  server = startStudio({ port, dataDir, keepData: true });
  await server.waitUntilHealthy();
});

test.afterAll(async () => {
  await server?.stop();
});

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

/** Opens the session on turn `number` (1-based) and waits until the estimate for continuing it is in. */
async function openTurn(page: Page, number: number): Promise<StudioPage> {
  const studio = new StudioPage(page);
  await studio.goto(`${server?.baseUrl}/s/${seeded.sessionId}?turn=${seeded.turnIds[number - 1]}`);
  await expect(page.getByTestId("turn-prompt")).toHaveText(new RegExp(`^Turn ${number}`));
  await expect(page.getByRole("complementary", { name: "Composer" })).toHaveAttribute("data-request-bytes", /^\d+$/);
  return studio;
}

async function contrastProblems(page: Page, selector: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(selector).withTags(["wcag2a", "wcag2aa"]).analyze();
  return results.violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(" ")}`));
}

test("above 50 MB a notice gives the next request's size, and sending is still allowed", async ({ page }, testInfo) => {
  let studio = await openTurn(page, 1);
  const composer = page.getByRole("complementary", { name: "Composer" });
  await expect(composer).toHaveAttribute("data-request-bytes", String(BYTES_PER_TURN + REQUEST_OVERHEAD_BYTES));
  await expect(page.getByTestId("request-size-notice")).toHaveCount(0);
  await expect(page.getByTestId("generate-blocked")).toHaveCount(0);

  studio = await openTurn(page, 2);
  const notice = page.getByTestId("request-size-notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("the next request will be about 66.0 MB of the 100 MB Google accepts");
  await expect(notice).toContainText("The next turn is about the last that fits.");
  // One way on, as a link in the notice; Generate stays the main button.
  await expect(page.getByTestId("continue-in-new-session")).toHaveCount(1);
  await studio.prompt.fill("Turn 5: one more");
  await expect(studio.generateButton).toBeEnabled();
  expect(await contrastProblems(page, '[data-testid="request-size-notice"]')).toEqual([]);
  await composer.screenshot({ path: testInfo.outputPath("notice-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await contrastProblems(page, '[data-testid="request-size-notice"]')).toEqual([]);
  await composer.screenshot({ path: testInfo.outputPath("notice-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // A warning refuses nothing: the turn goes out (its seeded answers are small on the wire).
  await studio.generateButton.click();
  await expect(page.getByTestId("turn-prompt")).toHaveText("Turn 5: one more");
  await studio.waitForStatus("succeeded");
  expect((await emulatorControl(page.request).generations()).map((call) => call.status)).toEqual([200]);
});

test("above 99 MB the composer says why and sends nothing; the server refuses what the composer let through", async ({ page, request }, testInfo) => {
  const emulator = emulatorControl(request);
  let studio = await openTurn(page, 4);
  const blocked = page.getByTestId("generate-blocked");
  await expect(blocked).toContainText("The next request would be about 132.0 MB, over the 100 MB Google accepts in one request");
  await expect(studio.generateButton).toBeDisabled();
  await expect(page.getByTestId("request-size-notice")).toHaveCount(0);
  // One action, not two identical buttons (no Retry beside it, no copy in a notice).
  await expect(page.getByRole("link", { name: "Continue in a new session from this image" })).toHaveCount(1);
  await studio.prompt.fill("Turn 5: warmer still");
  await studio.prompt.press("Control+Enter");
  // Nothing started: a new turn would be selected and shown.
  await expect(page.getByTestId("turn-prompt")).toHaveText(/^Turn 4/);
  await expect(page).toHaveURL(new RegExp(`turn=${seeded.turnIds[3]}$`));
  expect(await contrastProblems(page, '[data-testid="generate-blocked"]')).toEqual([]);
  const composer = page.getByRole("complementary", { name: "Composer" });
  await composer.screenshot({ path: testInfo.outputPath("refusal-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await contrastProblems(page, '[data-testid="generate-blocked"]')).toEqual([]);
  await composer.screenshot({ path: testInfo.outputPath("refusal-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // Ten bytes under the threshold the composer warns only; the start check adds the prompt and refuses.
  studio = await openTurn(page, 3);
  await expect(page.getByTestId("request-size-notice")).toContainText("about 99.0 MB");
  await studio.prompt.fill("Turn 4, second try: a cooler light");
  await studio.generateButton.click();
  const notice = page.getByTestId("notice");
  await expect(notice).toContainText("The next request would be about 99.0 MB, too close to the 100 MB Google accepts in one request");
  await expect(notice).toContainText("Continue in a new session from this image.");
  await expect(page.getByTestId("turn-prompt")).toHaveText(/^Turn 3/);
  await expect(page).toHaveURL(new RegExp(`turn=${seeded.turnIds[2]}$`));
  // Refused before a turn was stored: nothing failed, so there is nothing to retry.
  await expect(studio.turnError).toHaveCount(0);
  await expect(page.getByTestId("retry")).toHaveCount(0);

  expect(await emulator.generations()).toEqual([]);
});

test("a turn Google refused as too large says so in the studio's words, offers no Retry, and the way on", async ({ page }, testInfo) => {
  const studio = new StudioPage(page);
  await studio.goto(`${server?.baseUrl}/s/${seeded.sessionId}?turn=${seeded.refusedTurnId}`);
  await expect(page.getByTestId("turn-prompt")).toHaveText(/^Turn 2, refused by Google/);
  await expect(studio.turnError).toHaveAttribute("data-code", "request_too_large");
  await expect(studio.turnError).toContainText("This conversation has grown past the 100 MB Google accepts in one request");
  await expect(studio.turnError).not.toContainText("Request payload size exceeds the limit");
  await expect(page.getByTestId("retry")).toHaveCount(0);
  // It continues turn 1, whose own estimate is small: the refusal comes from Google's answer.
  await expect(page.getByRole("complementary", { name: "Composer" })).toHaveAttribute("data-request-bytes", String(BYTES_PER_TURN + REQUEST_OVERHEAD_BYTES));
  await expect(page.getByTestId("request-size-notice")).toHaveCount(0);
  await expect(page.getByTestId("generate-blocked")).toContainText("This conversation has grown past the 100 MB Google accepts in one request");
  await studio.prompt.fill("Turn 2, again: a wider view");
  await expect(studio.generateButton).toBeDisabled();
  const turnOneImage = /([a-f0-9]{64})/.exec((await studio.timelineTurns.first().locator("img").getAttribute("src")) ?? "")?.[1];
  expect(turnOneImage).toBeTruthy();
  await expect(page.getByTestId("continue-in-new-session")).toHaveAttribute("href", `/?from=${turnOneImage}`);
  await page.screenshot({ path: testInfo.outputPath("refused-by-google.png") });
});

test("Continue in a new session from this image opens a new session with that image as its reference", async ({ page, request }, testInfo) => {
  const emulator = emulatorControl(request);
  const studio = await openTurn(page, 4);
  const shown = await studio.resultImages.first().getAttribute("src");
  const hash = /([a-f0-9]{64})/.exec(shown ?? "")?.[1];
  expect(hash).toBeTruthy();
  const action = page.getByTestId("continue-in-new-session");
  await expect(action).toHaveAttribute("href", `/?from=${hash}`);
  // Keyboard: it is a link in the tab order.
  await action.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/\\?from=${hash}$`));
  await expect(page.getByTestId("studio")).toHaveAttribute("data-hydrated", "true");
  const tray = page.getByTestId("reference-tray");
  await expect(tray.getByTestId("reference-item")).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath("continued.png") });

  await studio.generate("Turn 1 of a new session: the lighthouse at night");
  await studio.waitForStatus("succeeded");
  await expect(page).toHaveURL(/\/s\//);
  const calls = await emulator.generations();
  expect(calls.map((call) => call.status)).toEqual([200]);
  const contents = calls[0]?.body?.contents ?? [];
  expect(contents.map((content) => content.role ?? "user")).toEqual(["user"]);
  expect(contents[0]?.parts?.filter((part) => part.inlineData)).toHaveLength(1);
  // A new conversation is small again.
  await expect(page.getByTestId("request-size-notice")).toHaveCount(0);

  // A link to an image that doesn't exist (or isn't this person's) says so, and adds nothing.
  for (const from of ["0".repeat(64), "not-a-hash"]) {
    await studio.goto(`${server?.baseUrl}/?from=${from}`);
    await expect(page.getByTestId("notice")).toContainText("The image to continue from isn't available.");
    await expect(tray.getByTestId("reference-item")).toHaveCount(0);
  }
});
