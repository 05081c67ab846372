import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { HOSTILE_ANSWERS, startFaultProxy, type FaultProxy } from "./support/gemini-fault-proxy";
import { E2E } from "./support/ports";
import { readDataDir, turnIdFromUrl } from "./support/studio-data";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";
import { readZipFiles } from "../test/support/unzip";

/**
 * An upstream (or a proxy in front of it) that answers badly: garbled JSON, an SVG where a picture
 * belongs, base64 that isn't, an error that quotes the API key back. Each must end as a clear
 * failure from the studio's closed set with Retry, store no broken file, and never show the key.
 */

// Not shaped like a Google key (no AIza…), so only redaction of the configured value can hide it.
const KEY = "sk-proj_Zx9.not+google/shaped==";
const dataDir = ".e2e-data/hostile-upstream";

let proxy: FaultProxy;
let server: StudioProcess;

test.beforeAll(async () => {
  proxy = await startFaultProxy({ port: 0, upstream: E2E.emulatorUrl });
  server = startStudio({ port: STUDIO_PORTS.hostileUpstream, dataDir, env: { GEMINI_BASE_URL: proxy.url, GEMINI_API_KEY: KEY } });
  await server.waitUntilHealthy();
});
test.afterAll(async () => {
  await server.stop();
  await proxy.close();
});
test.beforeEach(async ({ request }) => {
  proxy.reset();
  await emulatorControl(request).reset();
});

async function generate(page: Page, prompt: string) {
  const studio = new StudioPage(page);
  await studio.goto(server.baseUrl);
  await page.getByTestId("show-thoughts").uncheck();
  await studio.generate(prompt);
  await studio.waitForStatus("failed");
  return studio;
}

async function expectCleanFailure(page: Page, code: string, words: string) {
  const error = page.getByTestId("turn-error");
  await expect(error).toHaveAttribute("data-code", code);
  await expect(error).toContainText(words);
  await expect(error).not.toContainText("data directory");
  await expect(error).not.toContainText(/position \d+|column \d+|Unexpected token|Expected ','/);
  await expect(page.getByTestId("retry")).toBeVisible();
  await expect(page.getByTestId("result-image")).toHaveCount(0);
}

async function retryWorks(page: Page, studio: StudioPage) {
  await page.getByTestId("retry").click();
  await studio.waitForStatus("succeeded");
  await expect(studio.resultImages).toHaveCount(1);
}

test("garbled JSON in the stream: 'arrived garbled' with Retry, never the parser's text", async ({ page }) => {
  // Enough for the automatic retries too, so the failure reaches the page.
  proxy.inject(HOSTILE_ANSWERS.malformedJson, HOSTILE_ANSWERS.malformedJson, HOSTILE_ANSWERS.malformedJson, HOSTILE_ANSWERS.malformedJson);
  const studio = await generate(page, "A lighthouse, garbled");
  await expectCleanFailure(page, "service_unavailable", "garbled");
  await retryWorks(page, studio);
});

for (const [name, answer, words] of [
  ["an SVG image part", HOSTILE_ANSWERS.svgImage, "SVG drawing"],
  ["image data that isn't base64", HOSTILE_ANSWERS.invalidBase64, "can't be decoded"],
] as const) {
  test(`${name}: a clear failure with Retry, no 'Done', no stored file`, async ({ page }) => {
    const before = readDataDir(dataDir);
    proxy.inject(answer);
    const studio = await generate(page, `A lighthouse, ${name}`);
    await expectCleanFailure(page, "no_image", words);
    const after = readDataDir(dataDir);
    expect(after.objects).toEqual(before.objects);
    expect(after.exports).toEqual(before.exports);
    expect(after.partFiles).toEqual([]);
    const turn = after.turns.find((candidate) => candidate.id === turnIdFromUrl(page.url()));
    expect(turn).toMatchObject({ status: "failed", error: { code: "no_image", retryable: true } });
    await retryWorks(page, studio);
  });
}

async function exportedText(request: APIRequestContext, sessionId: string): Promise<string> {
  const response = await request.get(`${server.baseUrl}/api/sessions/${sessionId}/export`);
  expect(response.status()).toBe(200);
  return [...(await readZipFiles(await response.body())).values()].map((bytes) => bytes.toString("latin1")).join("\n");
}

test("an upstream error that echoes the API key: redacted in the page, the stream, the database and the export", async ({ page, request }) => {
  const needles = [KEY, encodeURIComponent(KEY)];
  const streamed: string[] = [];
  page.on("response", async (response) => {
    if ((response.headers()["content-type"] ?? "").includes("text/event-stream")) return;
    const body = await response.body().catch(() => null);
    if (body) streamed.push(body.toString("latin1"));
  });
  proxy.inject(HOSTILE_ANSWERS.echoedKey);
  await generate(page, "A lighthouse with an echoed key");
  // Google's wording is shown in the details: redacted there.
  await expect(page.getByTestId("turn-error")).toBeVisible();
  await page.getByTestId("show-details").click();
  await expect(page.getByTestId("turn-details")).toContainText("[redacted]");
  for (const needle of needles) await expect(page.locator("body")).not.toContainText(needle);
  // The event stream as the page's EventSource would read it, replayed from the end state.
  const turnId = turnIdFromUrl(page.url());
  const events = await request.get(`${server.baseUrl}/api/turns/${turnId}/events`);
  streamed.push(await events.text());

  const stored = readDataDir(dataDir).turns.find((turn) => turn.id === turnId);
  expect(JSON.stringify(stored?.error)).toContain("[redacted]");
  const sessionId = stored?.sessionId ?? "";
  const everything = [...streamed, JSON.stringify(stored), await exportedText(request, sessionId), await page.content()].join("\n");
  for (const needle of needles) expect(everything).not.toContain(needle);
  // The proxy did echo it: the redaction, not a quiet upstream, is what kept it out.
  expect(proxy.generationCalls()[0]?.injected).toBe(true);
});
