import { expect, test, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { PORT_OFFSET } from "./support/ports";
import { readDataDir, turnIdFromUrl } from "./support/studio-data";
import { startStudio, type StudioProcess } from "./support/studio-process";
import { readZipFiles } from "../test/support/unzip";
import type { TurnOutcome } from "@/lib/storage/types";

/**
 * What Google really answers, through the emulator's shapes for it (emulator/README.md): the
 * designer's view, what is stored, and what is sent again. The new shapes follow
 * docs/gemini-facts.md; no recording of them is in test/fixtures/gemini.
 */

const DATA_DIR = ".e2e-data/studio";

async function openStudio(page: Page, baseUrl?: string) {
  const studio = new StudioPage(page);
  await studio.goto(baseUrl);
  await page.getByTestId("show-thoughts").uncheck();
  return studio;
}

/** The selected turn's row; the outcome read as the studio's own type. */
function storedTurn(page: Page, dataDir = DATA_DIR) {
  const id = turnIdFromUrl(page.url());
  const turn = readDataDir(dataDir).turns.find((candidate) => candidate.id === id);
  if (!turn) throw new Error(`turn ${id} is not stored`);
  return { ...turn, outcome: turn.outcome as unknown as TurnOutcome | null };
}

test.describe("on the shared studio", () => {
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("a thinking level Google refuses in plain words: points at Thinking and fixes it in one click", async ({ page, request }, testInfo) => {
    const emulator = emulatorControl(request);
    await emulator.queueFaults([{ kind: "thinking_level_unsupported" }]);
    const studio = await openStudio(page);
    await page.getByTestId("thinking-minimal").check();
    await studio.generate("A lighthouse, thought about at the wrong level");
    await studio.waitForStatus("failed");
    const error = page.getByTestId("turn-error");
    await expect(error).toHaveAttribute("data-code", "invalid_request");
    await expect(error).toContainText("Change the thinking setting");
    // Google's own words are kept, in the details rather than the message.
    await expect(error).not.toContainText("is not supported for this model");
    await page.getByTestId("show-details").click();
    await expect(page.getByTestId("turn-details")).toContainText("is not supported for this model. Please retry with other thinking level.");
    // Sending the same request again would be refused again: no bare Retry.
    await expect(page.getByTestId("retry")).toHaveCount(0);
    await expect(page.getByTestId("edit-and-retry")).toBeVisible();
    const fix = page.getByTestId("apply-fix");
    await expect(fix).toHaveText("Use thinking level High and retry");
    await expect(fix).toHaveAttribute("data-control", "thinking");
    await page.getByTestId("turn-view").screenshot({ path: testInfo.outputPath("thinking-fix.png") });

    await fix.click();
    await studio.waitForStatus("succeeded");
    const calls = await emulator.generations();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.body?.generationConfig).toMatchObject({ thinkingConfig: { thinkingLevel: "MINIMAL" } });
    expect(calls[1]?.body?.generationConfig).toMatchObject({ thinkingConfig: { thinkingLevel: "HIGH" } });
    expect(calls[1]?.body?.contents).toEqual(calls[0]?.body?.contents);
  });

  test("a key reported as leaked, or restricted to other APIs: says which, and offers Edit and retry with everything put back", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    await emulator.queueFaults([{ kind: "leaked_key" }, { kind: "service_blocked" }]);
    const studio = await openStudio(page);
    const prompt = "A lighthouse drawn with a leaked key";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    const error = page.getByTestId("turn-error");
    await expect(error).toHaveAttribute("data-code", "key_blocked");
    await expect(error).toContainText("Google reported this API key as leaked");
    await expect(page.getByTestId("retry")).toHaveCount(0);
    await expect(await emulator.generations()).toHaveLength(1);

    await studio.prompt.fill("");
    await page.getByTestId("edit-and-retry").click();
    await expect(studio.prompt).toHaveValue(prompt);
    await expect(studio.prompt).toBeFocused();

    await studio.generate("A lighthouse drawn with a restricted key");
    await studio.waitForStatus("failed");
    await expect(error).toHaveAttribute("data-code", "key_blocked");
    await expect(error).toContainText("restricted to other Google APIs");
    await expect(error).toContainText("Generative Language API");
    expect(storedTurn(page).error).toMatchObject({ code: "key_blocked", retryable: false, httpStatus: 403 });
  });

  test("an image blocked by safety: Google's explanation verbatim with safe links, billing said, kept in the turn and the export", async ({ page, request }, testInfo) => {
    await emulatorControl(request).queueFaults([{ kind: "image_safety" }]);
    const studio = await openStudio(page);
    await page.getByTestId("thinking-high").check();
    await studio.generate("A lighthouse the filter stops");
    await studio.waitForStatus("failed");
    await expect(page.getByTestId("turn-error")).toHaveAttribute("data-code", "safety_block");
    const message = page.getByTestId("finish-message");
    await expect(message).toContainText("You will not be charged for blocked images.");
    const links = message.getByRole("link");
    await expect(links).toHaveCount(2);
    for (const link of await links.all()) {
      await expect(link).toHaveAttribute("href", /^https:\/\//);
      await expect(link).toHaveAttribute("rel", "noopener noreferrer");
      await expect(link).toHaveAttribute("target", "_blank");
    }
    await expect(links.first()).toHaveText("Generative AI Prohibited Use policy");
    await expect(page.getByTestId("billing-note")).toContainText(/of them thinking\): those are normally billed/);
    await expect(page.getByTestId("retry")).toHaveCount(0);
    await expect(page.getByTestId("edit-and-retry")).toBeVisible();
    await page.getByTestId("turn-view").screenshot({ path: testInfo.outputPath("safety-block.png") });

    const turn = storedTurn(page);
    expect(turn.outcome?.finishMessage).toMatch(/^Unable to show the generated image\..*\[send feedback\]\(https:/);
    expect(turn.outcome?.usage).toMatchObject({ imageTokens: 0, outputTokens: 0, thoughtsTokens: expect.any(Number) });
    expect(turn.outcome?.usage?.thoughtsTokens).toBeGreaterThan(0);

    const exported = await request.get(`/api/sessions/${turn.sessionId}/export`);
    expect(exported.status()).toBe(200);
    const files = await readZipFiles(new Uint8Array(await exported.body()));
    const manifest = JSON.parse(files.get("session.json")?.toString("utf8") ?? "{}") as { turns: Array<{ id: string; finishMessage: string | null }> };
    expect(manifest.turns.find((entry) => entry.id === turn.id)?.finishMessage).toBe(turn.outcome?.finishMessage);
  });

  test("a stream that ends after its first chunk is resent once, and the progress says so", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    // The resend is slow, so the progress can be read while it runs.
    await emulator.queueFaults([{ kind: "no_finish", afterChunks: 1 }, { kind: "slow", delayMs: 1500 }]);
    const studio = await openStudio(page);
    await studio.generate("A lighthouse whose answer stops at once");
    await expect(page.getByTestId("progress")).toContainText("attempt 2 of 4");
    await studio.waitForStatus("succeeded");
    await expect(studio.resultImages).toHaveCount(1);
    await expect(page.getByTestId("turn-view")).toContainText("the studio sent the request once more");
    expect(await emulator.generations()).toHaveLength(2);
    const turn = storedTurn(page);
    expect(turn.attempts).toBe(2);
    expect(turn.outcome?.warnings.some((warning) => warning.includes("sent the request once more"))).toBe(true);
  });

  test("a stream that ends later without a finish reason: says it ended early, keeps the thoughts, resends nothing", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    await emulator.queueFaults([{ kind: "no_finish", afterChunks: 2 }]);
    const studio = await openStudio(page);
    await page.getByTestId("show-thoughts").check();
    await studio.generate("A lighthouse whose answer stops after thinking");
    await studio.waitForStatus("failed");
    const error = page.getByTestId("turn-error");
    await expect(error).toHaveAttribute("data-code", "incomplete");
    await expect(error).toContainText("ended before the model said it was finished");
    await expect(error).toContainText("may bill the first attempt's thinking too");
    await expect(page.getByTestId("thought-text")).toHaveCount(1);
    // Not an edit case: the designer may choose to send it again.
    await expect(page.getByTestId("retry")).toBeVisible();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await emulator.generations()).toHaveLength(1);
    const turn = storedTurn(page);
    expect(turn).toMatchObject({ status: "failed", attempts: 1, error: { code: "incomplete", retryable: false } });
    expect(turn.outcome?.thoughts).toHaveLength(1);
  });

  test("usage a proxy didn't report says so instead of 0; grounded usage breaks out Google Search", async ({ page, request }, testInfo) => {
    const emulator = emulatorControl(request);
    await emulator.queueFaults([{ kind: "vertex_chunks" }]);
    const studio = await openStudio(page);
    await studio.generate("A lighthouse through a proxy");
    await studio.waitForStatus("succeeded");
    await expect(page.getByTestId("usage")).toHaveText("Token usage: not reported by Google for this answer.");
    expect(storedTurn(page).outcome?.usage).toBeNull();

    await page.getByTestId("web-search").check();
    await studio.generate("The Eiffel tower at dusk, grounded");
    await studio.waitForStatus("succeeded");
    await expect(page.getByTestId("usage-google-search")).toContainText(/Google Search\s*\d+/);
    await expect(page.getByTestId("usage-thinking")).toBeVisible();
    await expect(page.getByTestId("usage-image")).toContainText("1,120");
    await page.getByTestId("usage").screenshot({ path: testInfo.outputPath("usage.png") });
    const usage = storedTurn(page).outcome?.usage;
    expect(usage?.toolUsePromptTokens).toBeGreaterThan(0);
    expect(usage?.totalTokens).toBe((usage?.promptTokens ?? 0) + (usage?.outputTokens ?? 0) + (usage?.thoughtsTokens ?? 0) + (usage?.toolUsePromptTokens ?? 0));
  });

  test("Google Search on, but the answer has no grounding: the panel says so", async ({ page, request }) => {
    await emulatorControl(request).queueFaults([{ kind: "no_grounding" }]);
    const studio = await openStudio(page);
    await page.getByTestId("web-search").check();
    await studio.generate("The Eiffel tower at dusk, with nothing found");
    await studio.waitForStatus("succeeded");
    await expect(page.getByTestId("grounding-missing")).toContainText("Google Search was on, but nothing was grounded");
    await expect(page.getByTestId("grounding-panel")).toHaveCount(0);
    expect(storedTurn(page).outcome?.grounding).toBeNull();
  });
});

test.describe("a studio whose default model the key doesn't list, opting out of Google's request storage", () => {
  const dataDir = ".e2e-data/gemini-answers";
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({
      port: 3120 + PORT_OFFSET,
      dataDir,
      env: { STUDIO_DEFAULT_MODEL: "gemini-9-flash-image", STUDIO_GEMINI_STORE: "false" },
    });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("falls back to the catalog's default with a notice, says requests aren't stored, and sends store: false", async ({ page, request }) => {
    const studio = await openStudio(page, server.baseUrl);
    await expect(page.getByTestId("model-notice")).toContainText("STUDIO_DEFAULT_MODEL=gemini-9-flash-image isn't available to this API key");
    await expect(studio.model).toHaveValue("gemini-nano-banana-2.1");
    await expect(page.getByTestId("model-unverified")).toContainText("Not verified (third-party reports): aspect ratios");
    await expect(page.getByTestId("thinking-medium")).toBeChecked();
    await expect(page.getByTestId("privacy-note")).toHaveText("Google asked not to store requests");
    await studio.generate("A lighthouse Google is asked not to keep");
    await studio.waitForStatus("succeeded");
    const [call] = await emulatorControl(request).generations();
    expect(call?.model).toBe("gemini-nano-banana-2.1");
    expect((call?.body as { store?: boolean } | null)?.store).toBe(false);
  });
});

test.describe("a studio with a key Google rejects", () => {
  const dataDir = ".e2e-data/gemini-answers-bad-key";
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({ port: 3121 + PORT_OFFSET, dataDir, env: { GEMINI_API_KEY: "invalid-key" } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());

  test("asks Google about the bad key once, not on every page load", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    await emulator.reset();
    for (let load = 0; load < 3; load += 1) {
      await page.goto(server.baseUrl);
      await expect(page.getByTestId("api-banner")).toContainText("API key");
    }
    const listCalls = (await emulator.requests()).filter((entry) => /\/models(\?|$)/.test(entry.path));
    expect(listCalls.length).toBeLessThanOrEqual(1);
  });
});
