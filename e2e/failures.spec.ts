import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { GOOGLE_ERRORS, startFaultProxy, type FaultProxy } from "./support/gemini-fault-proxy";
import { E2E } from "./support/ports";
import { diffData, hashesOf, readDataDir, turnIdFromUrl, type DataSnapshot, type StoredTurn } from "./support/studio-data";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

/**
 * Every way a generation can fail, driven end to end: the browser, the studio's server, the real
 * SDK and the emulator (or an extra studio with a bad key, a short deadline or a broken data
 * directory). Each test checks what the designer sees, what is stored (the row in studio.db, the
 * files beside it), that nothing else changed, and, where it applies, that Retry repeats the exact
 * request. The crash mid-generation lives in restart.spec.ts.
 */

type Fault = Record<string, string | number>;

async function openStudio(page: Page, baseUrl?: string, { showThoughts = false } = {}) {
  const studio = new StudioPage(page);
  await studio.goto(baseUrl);
  // Thought images would be stored mid-answer; without them a failure must store no file at all.
  if (!showThoughts) await page.getByTestId("show-thoughts").uncheck();
  return studio;
}

/**
 * The failed turn as stored: exactly one new row (failed, with the error and the original request),
 * no result image, no file that row doesn't reference, no temp file, no export, no other row touched.
 */
function expectStoredFailure(dataDir: string, before: DataSnapshot, turnId: string, code: string, prompt: string): StoredTurn {
  const after = readDataDir(dataDir);
  const diff = diffData(before, after);
  expect(diff.newTurns.map((turn) => turn.id)).toEqual([turnId]);
  expect(diff.changedTurns).toEqual([]);
  const turn = diff.newTurns[0]!;
  expect(diff.newSessions.filter((id) => id !== turn.sessionId)).toEqual([]);
  expect(turn.status).toBe("failed");
  expect(turn.error?.code).toBe(code);
  expect(turn.request.prompt).toBe(prompt);
  expect(turn.outcome?.images ?? []).toEqual([]);
  const referenced = new Set(hashesOf(turn));
  expect(diff.newObjects.filter((hash) => !referenced.has(hash))).toEqual([]);
  expect(after.partFiles).toEqual([]);
  expect(diff.newExports).toEqual([]);
  return turn;
}

/** Failures the identical request would meet again: the way on is Edit and retry, never a bare Retry. */
const EDIT_FIRST_CODES = new Set(["invalid_key", "key_blocked", "model_access", "model_retired", "invalid_request", "safety_block"]);

/** The designer's view of a failed turn: the error, its advice, Retry (or Edit and retry when resending cannot help), and no image or spinner. */
async function expectFailureShown(page: Page, code: string, texts: Array<string | RegExp>) {
  const error = page.getByTestId("turn-error");
  await expect(error).toHaveAttribute("data-code", code);
  for (const text of texts) await expect(error).toContainText(text);
  if (EDIT_FIRST_CODES.has(code)) {
    await expect(page.getByTestId("retry")).toHaveCount(0);
    await expect(page.getByTestId("edit-and-retry")).toBeVisible();
  } else {
    await expect(page.getByTestId("retry")).toBeVisible();
  }
  await expect(page.getByTestId("result-image")).toHaveCount(0);
  await expect(page.getByTestId("progress")).toHaveCount(0);
}

/**
 * Retry makes a new turn whose request body is identical to the failed turn's (its calls are the
 * last ones the emulator saw), and this time it succeeds.
 */
async function retrySucceeds(page: Page, request: APIRequestContext, studio: StudioPage) {
  const emulator = emulatorControl(request);
  const before = await emulator.generations();
  expect(before.length).toBeGreaterThan(0);
  await page.getByTestId("retry").click();
  await studio.waitForStatus("succeeded");
  await expect(studio.resultImages).toHaveCount(1);
  const after = await emulator.generations();
  expect(after).toHaveLength(before.length + 1);
  expect(after.at(-1)?.body).toEqual(before.at(-1)?.body);
}

/**
 * Edit and retry puts the failed turn's prompt back in the composer, focused; sent unchanged, the
 * new turn's request body is the failed one's, and this time it succeeds.
 */
async function editAndRetrySucceeds(page: Page, request: APIRequestContext, studio: StudioPage, prompt: string) {
  const emulator = emulatorControl(request);
  const before = await emulator.generations();
  await page.getByTestId("edit-and-retry").click();
  await expect(studio.prompt).toHaveValue(prompt);
  await expect(studio.prompt).toBeFocused();
  await studio.generateButton.click();
  await studio.waitForStatus("succeeded");
  await expect(studio.resultImages).toHaveCount(1);
  const after = await emulator.generations();
  expect(after).toHaveLength(before.length + 1);
  expect(after.at(-1)?.body).toEqual(before.at(-1)?.body);
}

/**
 * Lets the emulator answer the held first request once the page shows the turn's progress, i.e.
 * follows its events: a retry wait (1 s, say) is then there to see whole, however long the page
 * took to open the turn.
 */
async function releaseOnceFollowed(page: Page, request: APIRequestContext) {
  const emulator = emulatorControl(request);
  await expect(page.getByTestId("progress")).toBeVisible();
  await expect.poll(() => emulator.held()).toBe(1);
  expect(await emulator.release()).toBe(1);
}

/** No further call arrives: the retries were bounded and nothing runs in the background. */
async function expectCallsSettleAt(request: APIRequestContext, count: number) {
  const emulator = emulatorControl(request);
  await expect.poll(async () => (await emulator.generations()).length).toBe(count);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(await emulator.generations()).toHaveLength(count);
}

test.describe("on the shared studio, through the emulator's faults", () => {
  const dataDir = E2E.dataDir;

  test.beforeEach(async ({ request }) => {
    await emulatorControl(request).reset();
  });

  test("quota exhausted: counts down from Google's retryDelay, retries a bounded number of times, then fails with Retry", async ({ page, request }) => {
    test.setTimeout(120_000);
    const emulator = emulatorControl(request);
    await emulator.queueFaults([{ kind: "429", retryDelay: "3s", hold: true }, ...Array.from({ length: 3 }, (): Fault => ({ kind: "429", retryDelay: "3s" }))]);
    const before = readDataDir(dataDir);
    const studio = await openStudio(page);
    const prompt = "A lighthouse that runs out of quota";
    await studio.generate(prompt);
    await releaseOnceFollowed(page, request);

    const countdown = page.getByTestId("progress-retry");
    await expect(countdown).toContainText("used up its quota");
    // From Google's 3 s (a busy machine may first show the page a second into the wait).
    await expect(countdown).toContainText(/Retrying in [1-3] s \(attempt 2 of 4\)/);
    await expect(countdown).toContainText(/Retrying in 1 s/);
    await expect(page.getByTestId("progress-phase")).toHaveText("Waiting to retry");

    await studio.waitForStatus("failed", 60_000);
    await expectFailureShown(page, "quota_exhausted", ["used up its quota", "Try again in 3 s"]);
    await expectCallsSettleAt(request, 4);
    const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "quota_exhausted", prompt);
    expect(turn.attempts).toBe(4);
    expect(turn.error).toMatchObject({ retryable: true, retryAfterMs: 3000, httpStatus: 429 });

    // What is shown comes from storage, not from the live stream.
    await page.reload();
    await expectFailureShown(page, "quota_exhausted", ["used up its quota"]);
    await retrySucceeds(page, request, studio);
  });

  test("a quota error that clears in time ends in an image, with one retry", async ({ page, request }) => {
    await emulatorControl(request).queueFaults([{ kind: "429", retryDelay: "1s", hold: true }]);
    const studio = await openStudio(page);
    await studio.generate("A patient lighthouse");
    await releaseOnceFollowed(page, request);
    await expect(page.getByTestId("progress-retry")).toContainText("Retrying in 1 s (attempt 2 of 4)");
    await studio.waitForStatus("succeeded");
    await expect(studio.resultImages).toHaveCount(1);
    await expectCallsSettleAt(request, 2);
  });

  for (const kind of ["500", "503"] as const) {
    test(`${kind} on every attempt: bounded retries, then a failure that says Google is busy, with Retry`, async ({ page, request }) => {
      test.setTimeout(90_000);
      await emulatorControl(request).queueFaults(Array.from({ length: 4 }, (): Fault => ({ kind })));
      const before = readDataDir(dataDir);
      const studio = await openStudio(page);
      const prompt = `A lighthouse behind a ${kind}`;
      await studio.generate(prompt);
      await expect(page.getByTestId("progress-retry")).toContainText("overloaded or had an internal error");
      await studio.waitForStatus("failed", 60_000);
      await expectFailureShown(page, "service_unavailable", ["overloaded or had an internal error", "Try again in a minute"]);
      await expectCallsSettleAt(request, 4);
      const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "service_unavailable", prompt);
      expect(turn.attempts).toBe(4);
      await retrySucceeds(page, request, studio);
    });
  }

  test("a dropped stream on every attempt fails as a connection problem; the partial answer is no result", async ({ page, request }) => {
    test.setTimeout(90_000);
    await emulatorControl(request).queueFaults(Array.from({ length: 4 }, (): Fault => ({ kind: "cut", afterChunks: 1 })));
    const before = readDataDir(dataDir);
    const studio = await openStudio(page);
    const prompt = "A lighthouse on a bad line";
    await studio.generate(prompt);
    await studio.waitForStatus("failed", 60_000);
    await expectFailureShown(page, "network", ["connection dropped mid-answer"]);
    await expectCallsSettleAt(request, 4);
    expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "network", prompt);
    await retrySucceeds(page, request, studio);
  });

  test("a stream cut once, or an error event mid-stream, is retried and the result holds only the final answer", async ({ page, request }) => {
    await emulatorControl(request).queueFaults([
      { kind: "cut", afterChunks: 1 },
      { kind: "error_chunk", afterChunks: 1, code: 503 },
    ]);
    const before = readDataDir(dataDir);
    const studio = await openStudio(page);
    await studio.generate("A lighthouse that gets there in the end");
    await studio.waitForStatus("succeeded", 30_000);
    await expect(studio.resultImages).toHaveCount(1);
    await expectCallsSettleAt(request, 3);
    const turn = diffData(before, readDataDir(dataDir)).newTurns[0];
    expect(turn).toMatchObject({ status: "succeeded", attempts: 3, error: null });
    expect(turn?.outcome?.images).toHaveLength(1);
  });

  const refusals = [
    { kind: "prompt_blocked", code: "safety_block", says: ["Google blocked your prompt (prohibited content)", "Rephrase the prompt"] },
    { kind: "image_safety", code: "safety_block", says: ["Google blocked the generated image (image safety filters)", "Rephrase the prompt"] },
    { kind: "no_image", code: "no_image", says: ["The model answered without an image", "say explicitly in the prompt that you want an image"] },
    { kind: "text_only", code: "no_image", says: ["The model answered with text instead of an image", "The model said:", "say explicitly in the prompt"] },
  ] as const;
  for (const refusal of refusals) {
    test(`${refusal.kind}: says which, shows what the model said, suggests rephrasing, never an empty success`, async ({ page, request }) => {
      await emulatorControl(request).queueFaults([{ kind: refusal.kind }]);
      const before = readDataDir(dataDir);
      const studio = await openStudio(page);
      const prompt = `A lighthouse, refused as ${refusal.kind}`;
      await studio.generate(prompt);
      await studio.waitForStatus("failed");
      await expectFailureShown(page, refusal.code, [...refusal.says]);
      // A refusal is an answer: retrying it automatically would only be refused again.
      await expectCallsSettleAt(request, 1);
      const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), refusal.code, prompt);
      expect(turn.error?.retryable).toBe(false);
      if (refusal.kind === "text_only") expect(turn.error?.modelText).toBeTruthy();
      if (EDIT_FIRST_CODES.has(refusal.code)) await editAndRetrySucceeds(page, request, studio, prompt);
      else await retrySucceeds(page, request, studio);
    });
  }

  const cancelMoments: Array<{ name: string; faults: Fault[]; reached: (page: Page) => Promise<void>; how: "button" | "escape" }> = [
    {
      name: "while the request hangs",
      faults: [{ kind: "hang" }],
      reached: (page) => expect(page.getByTestId("progress")).toBeVisible(),
      how: "button",
    },
    {
      name: "while waiting to retry after a quota error",
      faults: [{ kind: "429", retryDelay: "30s" }],
      reached: (page) => expect(page.getByTestId("progress-retry")).toContainText("Retrying in"),
      how: "escape",
    },
    {
      name: "while the answer streams in",
      faults: [{ kind: "slow", delayMs: 1500 }],
      reached: (page) => expect(page.getByTestId("progress-phase")).not.toHaveText(/Starting|Sending/, { timeout: 15_000 }),
      how: "button",
    },
  ];
  for (const moment of cancelMoments) {
    test(`the designer can cancel ${moment.name}: it stops at once, on the server too`, async ({ page, request }) => {
      await emulatorControl(request).queueFaults(moment.faults);
      const before = readDataDir(dataDir);
      const studio = await openStudio(page);
      const prompt = `A lighthouse, cancelled ${moment.name}`;
      await studio.generate(prompt);
      await moment.reached(page);
      const started = Date.now();
      if (moment.how === "button") await studio.cancelButton.click();
      else await page.keyboard.press("Escape");
      await studio.waitForStatus("cancelled", 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(page.getByTestId("progress")).toHaveCount(0);
      await expect(page.getByTestId("turn-error")).toHaveAttribute("data-code", "cancelled");
      // No retry is made after a cancel, not even the one that was scheduled.
      await expectCallsSettleAt(request, 1);
      const turn = diffData(before, readDataDir(dataDir)).newTurns[0];
      expect(turn).toMatchObject({ status: "cancelled", request: { prompt } });
      expect(turn?.outcome?.images ?? []).toEqual([]);
      await retrySucceeds(page, request, studio);
    });
  }
});

test.describe("a studio with a short server-side deadline", () => {
  const dataDir = ".e2e-data/deadline";
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({ port: STUDIO_PORTS.deadline, dataDir, env: { STUDIO_JOB_DEADLINE_MS: "3000" } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("a generation that hangs is ended by the deadline even if nobody cancels it, and Retry is offered", async ({ page, request }) => {
    await emulatorControl(request).queueFaults([{ kind: "hang" }]);
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    const prompt = "A lighthouse that never answers";
    await studio.generate(prompt);
    await expect(page.getByTestId("progress")).toBeVisible();
    await studio.waitForStatus("failed", 15_000);
    await expectFailureShown(page, "timeout", ["longer than the studio allows (3 s)", "smaller sizes and less thinking are faster"]);
    const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "timeout", prompt);
    expect(turn.error?.retryable).toBe(true);
    await retrySucceeds(page, request, studio);
  });
});

test.describe("a studio with an invalid API key", () => {
  const dataDir = ".e2e-data/invalid-key";
  let server: StudioProcess;

  test.beforeAll(async () => {
    // The emulator answers this key with Google's real 400 API_KEY_INVALID.
    server = startStudio({ port: STUDIO_PORTS.invalidKey, dataDir, env: { GEMINI_API_KEY: "invalid-key" } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("says the key was not accepted and how to fix it on the server, without retrying", async ({ page, request }) => {
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    const prompt = "A lighthouse with the wrong key";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "invalid_key", ["didn't accept the studio's Gemini API key", "GEMINI_API_KEY", "restart the studio"]);
    await expectCallsSettleAt(request, 1);
    const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "invalid_key", prompt);
    expect(turn.error).toMatchObject({ retryable: false, httpStatus: 400 });
    expect(await page.content()).not.toContain("invalid-key");
  });
});

test.describe("errors a key or a model earns, put on the wire in Google's shape", () => {
  const dataDir = ".e2e-data/fault-proxy";
  let proxy: FaultProxy;
  let server: StudioProcess;

  test.beforeAll(async () => {
    proxy = await startFaultProxy({ port: 0, upstream: E2E.emulatorUrl });
    server = startStudio({ port: STUDIO_PORTS.faultProxy, dataDir, env: { GEMINI_BASE_URL: proxy.url } });
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

  test("a key Google reports as leaked: create a new key, no retries", async ({ page }) => {
    proxy.inject(GOOGLE_ERRORS.leakedKey);
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    const prompt = "A lighthouse with a leaked key";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "key_blocked", ["reported this API key as leaked", "Create a new key", "GEMINI_API_KEY"]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(proxy.generationCalls()).toHaveLength(1);
    expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "key_blocked", prompt);
  });

  test("a model the key may not use: names the model and says to pick another", async ({ page }) => {
    proxy.inject(GOOGLE_ERRORS.modelNotAllowed("gemini-3-pro-image"));
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    await studio.model.selectOption("gemini-3-pro-image");
    const prompt = "A lighthouse on a model I may not use";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "model_access", ["This API key can't use gemini-3-pro-image", "Pick another model"]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(proxy.generationCalls()).toHaveLength(1);
    expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "model_access", prompt);
    // One click offers a model the key can use, with the prompt put back.
    await expect(page.getByTestId("switch-model")).toHaveText("Switch to Nano Banana 2.1");
    await page.getByTestId("switch-model").click();
    await expect(studio.model).toHaveValue("gemini-nano-banana-2.1");
    await expect(studio.prompt).toHaveValue(prompt);
  });

  test("a model Google has shut down: says so and names its replacement", async ({ page }) => {
    proxy.inject(GOOGLE_ERRORS.modelNotFound("gemini-2.5-flash-image"));
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    await studio.model.selectOption("gemini-2.5-flash-image");
    const prompt = "A lighthouse on a retired model";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "model_retired", ["Google has retired gemini-2.5-flash-image", "Switch to Nano Banana 2.1."]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(proxy.generationCalls()).toHaveLength(1);
    const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "model_retired", prompt);
    expect(turn.error?.replacementModel).toBe("gemini-nano-banana-2.1");
    // One click puts the prompt back with the replacement model selected.
    await expect(page.getByTestId("switch-model")).toHaveText("Switch to Nano Banana 2.1");
    await page.getByTestId("switch-model").click();
    await expect(studio.model).toHaveValue("gemini-nano-banana-2.1");
    await expect(studio.prompt).toHaveValue(prompt);
  });

  test("an invalid request: names the setting to change, and keeps Google's reason in the details", async ({ page }) => {
    proxy.inject(GOOGLE_ERRORS.invalidAspectRatio);
    const before = readDataDir(dataDir);
    const studio = await openStudio(page, server.baseUrl);
    const prompt = "A lighthouse Google refuses to draw this way";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "invalid_request", ["Google rejected the request", "Change the aspect ratio setting"]);
    await expect(page.getByTestId("apply-fix")).toHaveAttribute("data-control", "aspectRatio");
    await expect(studio.turnError).not.toContainText("aspect ratio not supported for this model");
    await page.getByTestId("show-details").click();
    await expect(page.getByTestId("turn-details")).toContainText("aspect ratio not supported for this model");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(proxy.generationCalls()).toHaveLength(1);
    expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "invalid_request", prompt);
  });
});

test.describe("a data directory that stops accepting writes", () => {
  const dataDir = ".e2e-data/disk";
  const tmpDir = path.join(dataDir, "tmp");
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({ port: STUDIO_PORTS.disk, dataDir });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => {
    rmSync(tmpDir, { recursive: true, force: true });
    await server.stop();
  });
  test.beforeEach(async ({ request }) => emulatorControl(request).reset());

  test("a write that fails mid-generation gives a clear error, no half-written image and no corrupt row; Retry works once fixed", async ({ page, request }) => {
    const studio = await openStudio(page, server.baseUrl);
    await studio.generate("A lighthouse while the disk is fine");
    await studio.waitForStatus("succeeded");

    // The tests run as root, which ignores permission bits, and no tiny filesystem can be mounted
    // here to fill up. A regular file where the studio's temp directory belongs fails every image
    // write at the same step a full or read-only disk would (creating the temp file), while the
    // database stays writable so the failure itself can be recorded.
    rmSync(tmpDir, { recursive: true, force: true });
    writeFileSync(tmpDir, "not a directory");
    // Health reads the data directory's check from the background (lib/server/disk-probe.ts): it
    // waits a moment for a fresh one, else answers the last, at most 10 s old. On a busy machine the
    // first answer after the break may be that older one, so ask until the new check has run.
    await expect
      .poll(async () => {
        const health = await request.get(`${server.baseUrl}/api/health`);
        return { status: health.status(), reason: ((await health.json()) as { reason?: string }).reason };
      }, { timeout: 15_000 })
      .toEqual({ status: 503, reason: "data directory is not writable" });

    const before = readDataDir(dataDir);
    // Through the page object, which waits for hydration: a click before it lands on the server's
    // markup and React puts the box back (the CI run of stop 23 failed exactly so).
    await studio.goto(server.baseUrl);
    await page.getByTestId("show-thoughts").uncheck();
    const prompt = "A lighthouse on a full disk";
    await studio.generate(prompt);
    await studio.waitForStatus("failed");
    await expectFailureShown(page, "internal", ["Could not save the image", "data directory", "writable and has free space"]);
    const turn = expectStoredFailure(dataDir, before, turnIdFromUrl(page.url()), "internal", prompt);
    expect(turn.error?.retryable).toBe(true);
    // Every object on disk is a whole image: the one success's, nothing more.
    expect(readDataDir(dataDir).objects).toEqual(before.objects);

    rmSync(tmpDir, { force: true });
    mkdirSync(tmpDir);
    await retrySucceeds(page, request, studio);
  });
});

test.describe("a data directory that can't be used at all", () => {
  const parent = ".e2e-data/broken-data-dir";
  let server: StudioProcess;

  test.beforeAll(async () => {
    rmSync(parent, { recursive: true, force: true });
    mkdirSync(parent, { recursive: true });
    writeFileSync(path.join(parent, "blocker"), "a file, where the data directory's parent should be");
    server = startStudio({ port: STUDIO_PORTS.brokenDataDir, dataDir: path.join(parent, "blocker", "data"), keepData: true });
    await server.waitUntilServing();
  });
  test.afterAll(async () => server.stop());

  test("health reports it, and the studio says to fix STUDIO_DATA_DIR instead of failing silently", async ({ page, request }) => {
    await emulatorControl(request).reset();
    const health = await request.get(`${server.baseUrl}/api/health`);
    expect(health.status()).toBe(503);
    expect(await health.json()).toMatchObject({ status: "error", reason: "storage could not be opened" });

    // Nobody can be signed in without the accounts' database: every page leads to one that says
    // what to fix, and nothing can be generated.
    await page.goto(server.baseUrl);
    await expect(page).toHaveURL(`${server.baseUrl}/unavailable`);
    const notice = page.getByTestId("unavailable");
    await expect(notice).toBeVisible();
    await expect(notice).toContainText("STUDIO_DATA_DIR");
    await page.goto(`${server.baseUrl}/sign-in`);
    await expect(page).toHaveURL(`${server.baseUrl}/unavailable`);
    expect((await emulatorControl(request).generations()).length).toBe(0);
    // The operator finds the cause in the log, as one structured line.
    const line = server.output().split("\n").find((candidate) => candidate.includes('"event":"storage.open_failed"'));
    expect(JSON.parse(line ?? "{}")).toMatchObject({ level: "error", error: { name: "StorageError" } });
  });
});
