import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { SVG_DRAWING, noisyImage, pngClaimingSize, solidImage, truncate } from "../lib/images/test-images";
import { ReferenceTrayPage } from "./pages/reference-tray-page";
import { StudioPage } from "./pages/studio-page";
import { E2E_AUTH, signedSessionCookie } from "./support/auth";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";
import { readDataDir } from "./support/studio-data";
import { createInvitationLink, fillAccountForm } from "./support/accounts";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

/**
 * The studio's security promises, checked against the production build: the key never leaves the
 * server (bundles, HTML, RSC payloads, responses, logs); pages carry a nonce-based CSP that every
 * flow runs under without a violation; the image route serves stored hashes only; uploads and
 * server actions refuse bad input with a typed error and store nothing; generation is rate limited
 * per client.
 */

const root = path.resolve(__dirname, "..");

// ---------------------------------------------------------------------------------------------
// Helpers

/** Server actions are public POST endpoints; these call them the way the browser does. */
function actionIds(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(root, ".next/server/server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename?: string; exportedName?: string }>;
  };
  const ids: Record<string, string> = {};
  for (const [id, entry] of Object.entries(manifest.node)) {
    if (entry.filename === "app/actions.ts" && entry.exportedName) ids[entry.exportedName] = id;
  }
  return ids;
}

interface ActionAnswer {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string; action?: string; retryAfterMs?: number };
}

async function callAction(request: APIRequestContext, baseUrl: string, name: string, input: unknown): Promise<ActionAnswer> {
  const id = actionIds()[name];
  if (!id) throw new Error(`No server action ${name} in the build`);
  const response = await request.post(`${baseUrl}/`, {
    headers: { "next-action": id, accept: "text/x-component", "content-type": "text/plain;charset=UTF-8", origin: baseUrl },
    data: JSON.stringify([input]),
  });
  expect(response.status(), `${name} answered ${response.status()}`).toBe(200);
  // The RSC answer is one "<row>:<json>" line per chunk; the action's return value is the object with "ok".
  for (const line of (await response.text()).split("\n")) {
    const match = /^[0-9a-f]+:(.*)$/.exec(line);
    if (!match?.[1]) continue;
    try {
      const value = JSON.parse(match[1]) as unknown;
      if (typeof value === "object" && value !== null && "ok" in value) return value as ActionAnswer;
    } catch {
      // Not a JSON row.
    }
  }
  throw new Error(`No result in the answer of ${name}`);
}

interface RawResponse {
  status: number;
  contentType: string;
  location: string | null;
  body: Buffer;
}

/** A GET with the path sent exactly as written: no client-side normalisation of "..". */
/** A GET of exactly this path (no client normalises it), signed in as the seeded admin. */
function rawGet(baseUrl: string, rawPath: string): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const cookie = `${E2E_AUTH.cookieName}=${signedSessionCookie(E2E_AUTH.sessionToken, E2E_AUTH.secret)}`;
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: rawPath, method: "GET", headers: { cookie } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: String(response.headers["content-type"] ?? ""),
          location: response.headers.location ?? null,
          body: Buffer.concat(chunks),
        }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

/** rawGet, following same-origin redirects (Next.js normalises slashes with a 308) to the end. */
async function rawGetFollowing(baseUrl: string, rawPath: string): Promise<RawResponse & { chain: string[] }> {
  const chain = [rawPath];
  let response = await rawGet(baseUrl, rawPath);
  while (response.status >= 300 && response.status < 400 && response.location && chain.length < 5) {
    const next = new URL(response.location, baseUrl);
    expect(next.origin).toBe(new URL(baseUrl).origin);
    chain.push(next.pathname + next.search);
    response = await rawGet(baseUrl, next.pathname + next.search);
  }
  return { ...response, chain };
}

/** Every file under `dir` whose bytes contain `needle`, relative to `dir`. */
function filesContaining(dir: string, needles: string[]): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && statSync(full).size < 50_000_000) {
        const bytes = readFileSync(full);
        if (needles.some((needle) => bytes.includes(needle))) found.push(path.relative(dir, full));
      }
    }
  };
  walk(dir);
  return found;
}

/** The forms a key could take on the wire or in a file. */
function encodings(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), JSON.stringify(secret).slice(1, -1)];
}

/** Collects CSP violations (console reports and securitypolicyviolation events) and page errors. */
async function watchForViolations(page: Page) {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to /i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const store = window as unknown as { __cspViolations?: string[] };
      (store.__cspViolations ??= []).push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return async () => {
    const fromPage = await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
    return [...problems, ...fromPage.map((violation) => `event: ${violation}`)];
  };
}

const KEY_CANARY = "nbs-leak-canary-5c7e1a93d2f84b06";

// ---------------------------------------------------------------------------------------------
// Headers and CSP

test.describe("security headers", () => {
  test("pages carry a nonce CSP that fits the app, and every script Next.js renders has the nonce", async ({ request }) => {
    const first = await request.get("/");
    const second = await request.get("/");
    const csp = first.headers()["content-security-policy"] ?? "";
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce, csp).toBeTruthy();
    expect(second.headers()["content-security-policy"]).not.toContain(nonce!);
    expect(csp).toContain("script-src 'self' 'nonce-");
    expect(csp).toContain("'strict-dynamic'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    // The search-suggestions widget brings its own <style> into a srcdoc frame that inherits this.
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("img-src 'self' https: data: blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");

    const headers = first.headers();
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-powered-by"]).toBeUndefined();

    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, tag).toContain(`nonce="${nonce}"`);
  });

  test("API responses get a policy that lets nothing run, and are not embeddable by other sites", async ({ request }) => {
    const health = await request.get("/api/health");
    expect(health.headers()["content-security-policy"]).toMatch(/^default-src 'none';.*sandbox$/);
    expect(health.headers()["cross-origin-resource-policy"]).toBe("same-origin");
    expect(health.headers()["x-content-type-options"]).toBe("nosniff");
  });

  test("a server action's answer gets the policy that lets nothing run; the page itself its nonce policy", async ({ page }) => {
    const document = await page.goto("/");
    expect(document?.headers()["content-security-policy"]).toContain("'nonce-");
    await page.locator('[data-testid="reference-tray"][data-hydrated="true"]').waitFor();
    const answer = page.waitForResponse((response) => response.request().method() === "POST" && Boolean(response.request().headers()["next-action"]));
    await page.getByTestId("session-search").fill("anything at all");
    const response = await answer;
    expect(response.headers()["content-type"]).toContain("text/x-component");
    expect(response.headers()["content-security-policy"]).toMatch(/^default-src 'none';.*sandbox$/);
  });

  test("every flow runs without a CSP violation: thoughts, references, zoom, compare, grounding widget, theme, navigation", async ({ page, request }) => {
    test.setTimeout(120_000);
    await emulatorControl(request).reset();
    const violations = await watchForViolations(page);
    const tray = new ReferenceTrayPage(page);
    await tray.goto();
    await page.getByTestId("theme-toggle").click();

    const studio = new StudioPage(page);
    await studio.model.selectOption("gemini-3-pro-image");
    await page.getByTestId("show-thoughts").check();
    await studio.generate("A lighthouse, thinking out loud");
    await studio.waitForStatus("succeeded");
    await expect(page.getByTestId("thoughts").locator("img").first()).toBeVisible();

    await tray.add({ name: "swatch.png", mimeType: "image/png", buffer: await solidImage(64, 48, "png", "#2255aa") });
    await tray.expectReady(["swatch.png"]);
    await studio.generate("Make it blue like the swatch");
    await studio.waitForStatus("succeeded");
    await page.getByRole("button", { name: "Zoom in" }).click();
    await studio.compareWith("Turn 1 · A lighthouse, thinking out loud");
    await page.getByTestId("compare-view").getByTestId("compare-mode-slider").click();
    await expect(page.getByTestId("compare-slider")).toBeVisible();
    await page.keyboard.press("Escape");

    await studio.goto("/");
    await studio.model.selectOption("gemini-3.1-flash-image");
    await page.getByTestId("web-search").check();
    await studio.generate("Weather in Lisbon this weekend as a poster");
    await studio.waitForStatus("succeeded");
    const chip = page.frameLocator('[data-testid="search-suggestions"]').locator(".chip").first();
    await expect(chip).toBeVisible();
    // Google's own stylesheet applied inside the sandboxed frame: the policy let its <style> in.
    expect(await chip.evaluate((element) => getComputedStyle(element).borderRadius)).toBe("16px");

    await page.reload();
    await studio.waitForStatus("succeeded");
    await page.getByTestId("theme-toggle").click();
    expect(await violations()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The image route

test.describe("the image route", () => {
  const objectsDir = path.join(E2E.dataDir, "objects");
  const planted = {
    svg: `ab${"1".repeat(62)}`,
    html: `cd${"2".repeat(62)}`,
  };

  test.beforeAll(() => {
    // Files that are not images the studio stores, sitting under valid hash names.
    mkdirSync(path.join(objectsDir, "ab"), { recursive: true });
    mkdirSync(path.join(objectsDir, "cd"), { recursive: true });
    writeFileSync(path.join(objectsDir, "ab", planted.svg), SVG_DRAWING);
    writeFileSync(path.join(objectsDir, "cd", planted.html), "<html><script>alert(1)</script></html>");
  });
  test.afterAll(() => {
    rmSync(path.join(objectsDir, "ab", planted.svg), { force: true });
    rmSync(path.join(objectsDir, "cd", planted.html), { force: true });
  });

  test("serves a stored hash with its stored type, nosniff and a script-free policy", async ({ page, request }) => {
    await emulatorControl(request).reset();
    const studio = new StudioPage(page);
    await studio.goto();
    await studio.generate("A red bicycle for the image route");
    await studio.waitForStatus("succeeded");
    const src = (await studio.resultImages.first().getAttribute("src")) ?? "";
    const response = await request.get(src);
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toBe("image/jpeg");
    expect(response.headers()["x-content-type-options"]).toBe("nosniff");
    expect(response.headers()["content-security-policy"]).toContain("sandbox");
    expect((await response.body()).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  test("answers 404 for anything but a stored image's hash: traversal, encodings, unknown hashes, planted non-images", async () => {
    const attempts = [
      "/api/images/..%2F..%2Fstudio.db",
      "/api/images/%2e%2e%2f%2e%2e%2fstudio.db",
      "/api/images/%252e%252e%252fstudio.db",
      "/api/images/....%2F%2F....%2F%2Fstudio.db",
      "/api/images/../../studio.db",
      "/api/images/..\\..\\studio.db",
      `/api/images/${"a".repeat(64)}%00.png`,
      `/api/images/${"A".repeat(64)}`,
      `/api/images/${"a".repeat(63)}`,
      `/api/images/${"0".repeat(64)}`,
      `/api/images/${planted.svg}`,
      `/api/images/${planted.html}`,
      "/api/images/",
      "/api/images/%2Fetc%2Fpasswd",
    ];
    for (const attempt of attempts) {
      const response = await rawGetFollowing(E2E.appUrl, attempt);
      const label = response.chain.join(" → ");
      expect.soft(response.status, label).toBeGreaterThanOrEqual(400);
      expect.soft(response.contentType, label).not.toMatch(/^image\/|svg/);
      expect.soft(response.body.includes("SQLite format 3"), label).toBe(false);
      expect.soft(response.body.includes("<script>alert(1)"), label).toBe(false);
      expect.soft(response.body.includes(SVG_DRAWING.subarray(0, 60)), label).toBe(false);
    }
    const typed = await rawGet(E2E.appUrl, `/api/images/${"0".repeat(64)}`);
    expect(typed.status).toBe(404);
    expect(JSON.parse(typed.body.toString("utf8"))).toEqual({ error: { code: "not_found", message: "No such image." } });
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input

test.describe("bad input is refused with a typed error, and nothing is stored", () => {
  test("uploads: not an image whatever its name, truncated, decompression bomb, SVG, oversized, several files, cross-site", async ({ request }) => {
    const before = readDataDir(E2E.dataDir);
    const png = await noisyImage(200, 150, "png");
    const cases: Array<{ name: string; files: Array<{ name: string; mimeType: string; buffer: Buffer }>; headers?: Record<string, string>; status: number; code: string }> = [
      { name: "text named .png", files: [{ name: "photo.png", mimeType: "image/png", buffer: Buffer.from("just some text, honest") }], status: 415, code: "not_an_image" },
      { name: "empty", files: [{ name: "empty.png", mimeType: "image/png", buffer: Buffer.alloc(0) }], status: 422, code: "empty" },
      { name: "truncated PNG", files: [{ name: "cut.png", mimeType: "image/png", buffer: truncate(png) }], status: 422, code: "truncated" },
      { name: "decompression bomb", files: [{ name: "bomb.png", mimeType: "image/png", buffer: pngClaimingSize(100_000, 100_000) }], status: 422, code: "too_many_pixels" },
      { name: "SVG named .png", files: [{ name: "drawing.png", mimeType: "image/png", buffer: SVG_DRAWING }], status: 415, code: "unsupported_type" },
      { name: "oversized", files: [{ name: "huge.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(21_000_000, 1) }], status: 413, code: "too_large" },
      {
        name: "two files",
        files: [
          { name: "a.png", mimeType: "image/png", buffer: png },
          { name: "b.png", mimeType: "image/png", buffer: png },
        ],
        status: 400,
        code: "too_many_files",
      },
      { name: "cross-site", files: [{ name: "ok.png", mimeType: "image/png", buffer: png }], headers: { "sec-fetch-site": "cross-site" }, status: 403, code: "forbidden" },
    ];
    for (const item of cases) {
      const multipart: Record<string, { name: string; mimeType: string; buffer: Buffer }> = {};
      item.files.forEach((file, index) => (multipart[index === 0 ? "file" : `file${index}`] = file));
      const response = await request.post("/api/uploads", { multipart, headers: { origin: E2E.appUrl, ...item.headers } });
      expect.soft(response.status(), item.name).toBe(item.status);
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      expect.soft(body.error?.code, item.name).toBe(item.code);
      expect.soft(body.error?.message, item.name).toBeTruthy();
    }
    expect(readDataDir(E2E.dataDir).objects).toEqual(before.objects);
  });

  test("server actions, called directly as the public POST endpoints they are", async ({ request }) => {
    await emulatorControl(request).reset();
    const before = readDataDir(E2E.dataDir);
    const base = E2E.appUrl;
    const settings = { model: "gemini-3.1-flash-image", imageSize: "1K", aspectRatio: "1:1", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false };
    const turn = { sessionId: "no-such-session", parentId: null, prompt: "A lighthouse", references: [], settings };
    const hash = "a".repeat(64);
    const cases: Array<[action: string, input: unknown, code: string, says?: RegExp]> = [
      ["startTurnAction", { ...turn, prompt: "" }, "invalid_request", /Write a prompt/],
      ["startTurnAction", { ...turn, prompt: "   \n\t " }, "invalid_request", /Write a prompt/],
      ["startTurnAction", { ...turn, prompt: "x".repeat(8_001) }, "invalid_request", /limited to 8000 characters/],
      ["startTurnAction", { ...turn, settings: { ...settings, model: "gemini-9-ultra-image" } }, "invalid_request", /no model called/],
      ["startTurnAction", { ...turn, settings: { ...settings, model: "gemini-3-pro-image-preview" } }, "invalid_request", /retired/],
      ["startTurnAction", { ...turn, settings: { ...settings, model: "gemini-3-pro-image", imageSize: "512" } }, "invalid_request", /isn't an output size/],
      ["startTurnAction", { ...turn, settings: { ...settings, model: "gemini-3-pro-image", aspectRatio: "1:8" } }, "invalid_request", /isn't an aspect ratio/],
      ["startTurnAction", { ...turn, settings: { ...settings, imageSize: "8K" } }, "invalid_request"],
      ["startTurnAction", { ...turn, references: Array.from({ length: 15 }, () => ({ hash })) }, "invalid_request", /Up to 14 reference images/],
      ["startTurnAction", { ...turn, references: [{ hash: "../../studio.db" }] }, "invalid_request", /image id is not valid/],
      ["startTurnAction", { ...turn, references: [{ hash }] }, "invalid_request", /no longer available/],
      ["startTurnAction", { ...turn, sessionId: "../../etc/passwd" }, "invalid_request", /id is not valid/],
      ["startTurnAction", turn, "not_found"],
      ["startTurnAction", { ...turn, settings: undefined }, "invalid_request"],
      ["startTurnAction", null, "invalid_request"],
      ["startTurnAction", "A lighthouse", "invalid_request"],
      ["startTurnAction", [turn], "invalid_request"],
      ["retryTurnAction", { turnId: "no-such-turn" }, "not_found"],
      ["retryTurnAction", { turnId: "../x" }, "invalid_request"],
      ["cancelTurnAction", { turnId: "no-such-turn" }, "not_found"],
      ["cancelTurnAction", { turnId: 42 }, "invalid_request"],
      ["createSessionAction", { title: "x".repeat(121) }, "invalid_request", /limited to 120/],
      ["createSessionAction", { title: "   " }, "invalid_request"],
      ["renameSessionAction", { sessionId: "no-such-session", title: "New name" }, "not_found"],
      ["deleteSessionAction", { sessionId: "no-such-session" }, "not_found"],
      ["listSessionsAction", { query: "q".repeat(201) }, "invalid_request"],
      ["listSessionsAction", { limit: 1e9 }, "invalid_request"],
      ["listOlderSessionsAction", { offset: -1 }, "invalid_request"],
      ["listOlderSessionsAction", { offset: 1.5 }, "invalid_request"],
      ["listOlderSessionsAction", { offset: "30" }, "invalid_request"],
    ];
    for (const [action, input, code, says] of cases) {
      const label = `${action}(${JSON.stringify(input)?.slice(0, 120)})`;
      const answer = await callAction(request, base, action, input);
      expect.soft(answer.ok, label).toBe(false);
      expect.soft(answer.error?.code, label).toBe(code);
      expect.soft(answer.error?.message, label).toBeTruthy();
      if (says) expect.soft(answer.error?.message, label).toMatch(says);
    }
    const after = readDataDir(E2E.dataDir);
    expect(after.sessionIds).toEqual(before.sessionIds);
    expect(after.turns.length).toBe(before.turns.length);
    expect(after.objects).toEqual(before.objects);
    expect(await emulatorControl(request).generations()).toHaveLength(0);
  });

  test("turn events and session exports for an id that doesn't exist or is malformed are a typed 404", async ({ request }) => {
    for (const id of ["no-such-id", "..%2F..%2Fstudio.db", "x".repeat(65)]) {
      const events = await request.get(`/api/turns/${id}/events`);
      expect(events.status(), id).toBe(404);
      expect(await events.json()).toEqual({ error: { code: "not_found", message: "No such turn." } });
      const exported = await request.get(`/api/sessions/${id}/export`);
      expect(exported.status(), id).toBe(404);
      expect(await exported.json()).toEqual({ error: { code: "not_found", message: "No such session." } });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Rate limit

test.describe("the per-person rate limit on generation", () => {
  const dataDir = ".e2e-data/rate-limit";
  let server: StudioProcess;

  test.beforeAll(async () => {
    server = startStudio({ port: STUDIO_PORTS.rateLimit, dataDir, env: { STUDIO_RATE_LIMIT_PER_MINUTE: "2", STUDIO_TRUST_PROXY: "1" } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());

  async function clientPage(browser: Browser, address: string, { signedOut = false } = {}) {
    const context = await browser.newContext({
      baseURL: server.baseUrl,
      extraHTTPHeaders: { "x-forwarded-for": address },
      ...(signedOut ? { storageState: { cookies: [], origins: [] } } : {}),
    });
    return { context, page: await context.newPage() };
  }

  test("a person past their limit gets a clear message with the wait, nothing is stored or sent; other people are unaffected", async ({ browser, request }) => {
    await emulatorControl(request).reset();
    const a = await clientPage(browser, "198.51.100.7");
    const studio = new StudioPage(a.page);
    await studio.goto(server.baseUrl);
    await studio.generate("First lighthouse");
    await studio.waitForStatus("succeeded");
    await studio.generate("Second lighthouse");
    await studio.waitForStatus("succeeded");

    const before = readDataDir(dataDir);
    await studio.prompt.fill("Third lighthouse, one too many");
    await studio.generateButton.click();
    const notice = a.page.getByTestId("notice");
    await expect(notice).toContainText("Generations are limited to 2 a minute on this studio");
    await expect(notice).toContainText(/Try again in \d+ s/);
    // A retry spends quota like a start, so it is limited the same way.
    const retried = await callActionAs(request, "198.51.100.7", "retryTurnAction", { turnId: readDataDir(dataDir).turns[0]?.id });
    expect(retried.error).toMatchObject({ code: "rate_limited" });
    expect(retried.error?.retryAfterMs).toBeGreaterThan(0);

    const after = readDataDir(dataDir);
    expect(after.turns.length).toBe(before.turns.length);
    expect(await emulatorControl(request).generations()).toHaveLength(2);

    // Counted per signed-in person, not per address: a colleague behind the same address goes on.
    const link = await createInvitationLink(a.page, server.baseUrl);
    const b = await clientPage(browser, "198.51.100.7", { signedOut: true });
    await b.page.goto(link);
    await fillAccountForm(b.page, { name: "Other Designer", email: "other@example.com", password: "other-password-1" });
    await expect(b.page).toHaveURL(`${server.baseUrl}/`);
    const other = new StudioPage(b.page);
    await other.goto(server.baseUrl);
    await other.generate("Another designer's lighthouse");
    await other.waitForStatus("succeeded");

    const refusals = server.output().split("\n").filter((line) => line.includes('"event":"rate_limit.refused"'));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ level: "warn", client: expect.stringMatching(/^user:/), perMinute: 2 });
    await a.context.close();
    await b.context.close();
  });

  async function callActionAs(request: APIRequestContext, address: string, name: string, input: unknown) {
    const id = actionIds()[name];
    const response = await request.post(`${server.baseUrl}/`, {
      headers: { "next-action": id ?? "", accept: "text/x-component", "content-type": "text/plain;charset=UTF-8", origin: server.baseUrl, "x-forwarded-for": address },
      data: JSON.stringify([input]),
    });
    for (const line of (await response.text()).split("\n")) {
      const value = /^[0-9a-f]+:(\{.*"ok".*\})$/.exec(line)?.[1];
      if (value) return JSON.parse(value) as ActionAnswer;
    }
    throw new Error("No result");
  }
});

// ---------------------------------------------------------------------------------------------
// The API key

test.describe("the API key stays on the server", () => {
  const dataDir = ".e2e-data/key-canary";
  let server: StudioProcess;

  test.beforeAll(async () => {
    // A key the emulator accepts and that matches no key pattern, so only an exact search finds it.
    server = startStudio({ port: STUDIO_PORTS.keyCanary, dataDir, env: { GEMINI_API_KEY: KEY_CANARY } });
    await server.waitUntilHealthy();
  });
  test.afterAll(async () => server.stop());

  test("not in any response, header, page, RSC payload, event stream or log, across successes and failures", async ({ page, request }) => {
    test.setTimeout(120_000);
    await emulatorControl(request).reset();
    const needles = encodings(KEY_CANARY);
    const leaks: string[] = [];
    let seen = 0;
    let sawRsc = false;
    page.on("request", (sent) => {
      const headers = JSON.stringify(sent.headers());
      if (needles.some((needle) => headers.includes(needle) || sent.url().includes(needle) || (sent.postData() ?? "").includes(needle))) {
        leaks.push(`request ${sent.url()}`);
      }
    });
    page.on("response", async (response) => {
      seen += 1;
      const headers = JSON.stringify(await response.allHeaders());
      if (needles.some((needle) => headers.includes(needle))) leaks.push(`headers of ${response.url()}`);
      if ((response.headers()["content-type"] ?? "").includes("text/x-component")) sawRsc = true;
      // Event streams have no body to read here; their events come back through the page below.
      if ((response.headers()["content-type"] ?? "").includes("text/event-stream")) return;
      const body = await response.body().catch(() => null);
      if (body && needles.some((needle) => body.includes(needle))) leaks.push(`body of ${response.url()}`);
    });

    const tray = new ReferenceTrayPage(page);
    await tray.goto(server.baseUrl);
    const studio = new StudioPage(page);
    await studio.generate("A lighthouse, plain success");
    await studio.waitForStatus("succeeded");
    await emulatorControl(request).queueFaults([{ kind: "429", retryDelay: "1s" }]);
    await studio.generate("A lighthouse after a quota error");
    await studio.waitForStatus("succeeded");
    await emulatorControl(request).queueFaults([{ kind: "prompt_blocked" }]);
    await studio.generate("A lighthouse the filters refuse");
    await studio.waitForStatus("failed");
    await emulatorControl(request).queueFaults(Array.from({ length: 4 }, () => ({ kind: "500" })));
    await studio.generate("A lighthouse behind an outage");
    await studio.waitForStatus("failed", 60_000);
    await tray.add({ name: "swatch.png", mimeType: "image/png", buffer: await solidImage(40, 30, "png", "#aa3322") });
    await tray.expectReady(["swatch.png"]);
    await studio.generate("Recolour it like the swatch");
    await studio.waitForStatus("succeeded");
    // Client navigations fetch RSC payloads.
    await page.getByRole("link", { name: "Start a new session" }).click();
    await expect(studio.turnView).toHaveCount(0);
    await page.goBack();
    await expect(studio.turnView).toBeVisible();

    // Every event stream a turn produced, read whole.
    for (const turn of readDataDir(dataDir).turns) {
      const events = await request.get(`${server.baseUrl}/api/turns/${turn.id}/events`);
      const body = await events.body();
      if (needles.some((needle) => body.includes(needle))) leaks.push(`events of ${turn.id}`);
    }
    for (const pathName of ["/", "/api/health", page.url().replace(server.baseUrl, "")]) {
      const body = await (await request.get(`${server.baseUrl}${pathName}`)).body();
      if (needles.some((needle) => body.includes(needle))) leaks.push(`GET ${pathName}`);
    }
    const content = await page.content();
    if (needles.some((needle) => content.includes(needle))) leaks.push("page DOM");

    expect(seen).toBeGreaterThan(20);
    expect(sawRsc).toBe(true);
    expect(leaks).toEqual([]);
    // The key did reach Google's side (the emulator masks it in its log), so the search above looked for a key in use.
    expect((await emulatorControl(request).generations()).length).toBeGreaterThanOrEqual(6);

    const output = server.output();
    expect(needles.filter((needle) => output.includes(needle))).toEqual([]);
    expect(filesContaining(path.join(root, ".next", "static"), needles)).toEqual([]);
    expect(filesContaining(path.join(root, ".next", "server", "app"), needles)).toEqual([]);
  });

  test("logs are structured JSON lines without image data, signatures or keys", async () => {
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"));
    const events = lines.map((line) => JSON.parse(line) as { event?: string; level?: string; time?: string });
    const names = new Set(events.map((event) => event.event));
    for (const name of ["turn.started", "turn.succeeded", "turn.failed", "turn.retry"]) expect(names, name).toContain(name);
    for (const event of events) {
      expect(event.level).toMatch(/^(debug|info|warn|error)$/);
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const output = server.output();
    expect(output).not.toMatch(/[A-Za-z0-9+/]{200,}/);
    expect(output).not.toMatch(/"thoughtSignature":"(?!\[redacted\])/);
    expect(output).not.toContain("A lighthouse, plain success");
  });

  test("a production build made with the key in its environment has no trace of it", async () => {
    test.setTimeout(20 * 60_000);
    // A separate copy, so this build never replaces the one the running servers use (with every
    // folder the type check reads: e2e/scale-out.spec.ts imports bench/lib). node_modules
    // is hard-linked (same file system), which costs no space and keeps the copy a real project.
    const copy = mkdtempSync(path.join(os.tmpdir(), "nbs-leak-build-"));
    try {
      for (const entry of ["app", "components", "lib", "emulator", "e2e", "test", "scripts", "bench", "proxy.ts", "instrumentation.ts", "next.config.ts", "tsconfig.json", "postcss.config.mjs", "package.json", "package-lock.json", "next-env.d.ts"]) {
        if (existsSync(path.join(root, entry))) execFileSync("cp", ["-r", path.join(root, entry), path.join(copy, entry)]);
      }
      execFileSync("cp", ["-al", path.join(root, "node_modules"), path.join(copy, "node_modules")]);
      const build = spawn(process.execPath, [path.join(copy, "node_modules/next/dist/bin/next"), "build"], {
        cwd: copy,
        env: { ...process.env, GEMINI_API_KEY: KEY_CANARY, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      build.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
      build.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
      const code = await new Promise<number>((resolve) => build.on("exit", (exitCode) => resolve(exitCode ?? 1)));
      expect(code, log.slice(-4000)).toBe(0);

      const distDir = path.join(copy, ".next");
      // The search works: it finds what a bundle does contain (the composer's label, a client component).
      expect(filesContaining(path.join(distDir, "static"), ["Describe the change"]).length).toBeGreaterThan(0);
      expect(filesContaining(path.join(distDir, "static"), encodings(KEY_CANARY))).toEqual([]);
      // Nor in anything the build prerendered or wrote for the server (the key is read at run time).
      const everywhere = filesContaining(distDir, encodings(KEY_CANARY)).filter((file) => !file.startsWith("cache/"));
      expect(everywhere).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
