import { expect, test } from "@playwright/test";
import { solidImage } from "../lib/images/test-images";
import { ReferenceTrayPage } from "./pages/reference-tray-page";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

test("an edit with references sends each image, in order, labelled with its role", async ({ page, request }) => {
  const tray = new ReferenceTrayPage(page);
  await tray.goto();
  await tray.add(
    { name: "sofa.png", mimeType: "image/png", buffer: await solidImage(120, 90, "png", "#3355aa") },
    { name: "person.jpg", mimeType: "image/jpeg", buffer: await solidImage(90, 120, "jpeg", "#aa5533") },
  );
  await tray.expectReady(["sofa.png", "person.jpg"]);
  await tray.item("person.jpg").getByTestId("reference-role").selectOption("character");

  const studio = new StudioPage(page);
  await studio.aspectRatio.selectOption("match-input");
  await studio.generate("Put the person on the sofa");
  await studio.waitForStatus("succeeded");
  await expect(page.getByTestId("download")).toHaveAttribute("download", /^edit-put-the-person-on-the-\d{8}-\d{6}\.jpg$/);
  // The references went into this turn: the tray is empty for the next one.
  await expect(tray.items).toHaveCount(0);

  // One click puts the result back in the tray for the next edit, without uploading it again.
  await page.getByTestId("use-as-reference").click();
  await expect(tray.items).toHaveCount(1);
  await expect(tray.items.first()).toHaveAttribute("data-status", "ready");

  const calls = await emulatorControl(request).generations();
  const parts = calls[0]?.body?.contents?.at(-1)?.parts ?? [];
  const images = parts.filter((part) => part.inlineData);
  expect(images).toHaveLength(2);
  expect(JSON.stringify(parts)).toMatch(/character/i);
  // "Match input": no aspect ratio is sent, so the model follows the input image.
  expect(JSON.stringify(calls[0]?.body?.generationConfig ?? {})).not.toContain("aspectRatio");
});

test("templates fill the prompt and Tab walks through their placeholders", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await page.getByTestId("templates-button").click();
  await page.getByTestId("template-product-mockup").click();
  await expect(studio.prompt).toHaveValue(/^A high-resolution, studio-lit product photograph of \[product\]/);
  const selected = () => studio.prompt.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd));
  expect(await selected()).toBe("[product]");
  await page.keyboard.type("a matte black mug");
  await page.keyboard.press("Tab");
  expect(await selected()).toBe("[surface]");
  // Backwards from the first remaining slot wraps to the last one.
  await page.keyboard.press("Shift+Tab");
  expect(await selected()).toBe("[key detail]");
  await expect(page.getByTestId("estimate")).toContainText("1,120 output tokens");
});

test("sessions can be renamed, searched by prompt and deleted after confirming", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.generate("A tiny robot watering plants");
  await studio.waitForStatus("succeeded");
  await expect(page).toHaveURL(/\/s\/[^/?]+/);
  const sessionUrl = page.url();

  const item = page.getByTestId("session-item").first();
  await item.hover();
  await item.getByTestId("session-rename").click();
  await page.getByTestId("session-title-input").fill("Robot gardener");
  await page.getByTestId("session-title-input").press("Enter");
  await expect(page.getByTestId("session-item").first()).toContainText("Robot gardener");

  await page.getByTestId("session-search").fill("watering");
  await expect(page.getByTestId("session-item")).toHaveCount(1);
  await page.getByTestId("session-search").fill("no such prompt anywhere");
  await expect(page.getByTestId("session-item")).toHaveCount(0);
  await page.getByTestId("session-search").fill("");

  const robot = page.locator('[data-testid="session-item"]', { hasText: "Robot gardener" });
  await robot.hover();
  await robot.getByTestId("session-delete").click();
  await page.getByTestId("session-delete-confirm").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('[data-testid="session-item"]', { hasText: "Robot gardener" })).toHaveCount(0);
  const gone = await page.request.get(sessionUrl);
  expect(gone.status()).toBe(404);
});

test("the sidebar and the URL follow each generation without the page being fetched again", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const streams: string[] = [];
  page.on("request", (request) => {
    if (request.url().endsWith("/events")) streams.push(new URL(request.url()).pathname);
  });
  await studio.generate("A paper boat on a puddle");
  await studio.waitForStatus("succeeded");
  await expect(page).toHaveURL(/\/s\/[^/?]+\?turn=/);
  // One stream for the first turn, although the studio moved from / to the new session's page.
  expect(streams).toHaveLength(1);
  const sessionId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
  const entry = page.locator(`[data-testid="session-item"][data-session-id="${sessionId}"]`);
  await expect(entry).toContainText("1 turn");

  // From here on, nothing but the actions, the stream and the image go over the wire.
  const pageFetches: string[] = [];
  page.on("request", (request) => {
    const headers = request.headers();
    if (headers["rsc"] === "1" || headers["next-router-prefetch"]) pageFetches.push(request.url());
  });
  // The browser asks for the icon again whenever the URL changes: it must come from its cache.
  page.on("requestfinished", async (request) => {
    if (new URL(request.url()).pathname === "/icon.svg" && (await request.sizes()).responseBodySize > 0) pageFetches.push(request.url());
  });
  await studio.generate("Fold it from newspaper");
  await studio.waitForStatus("succeeded");
  await expect(entry).toContainText("2 turns");
  await expect(page.getByTestId("session-item").first()).toHaveAttribute("data-session-id", sessionId);
  const second = new URL(page.url()).searchParams.get("turn");
  expect(second).toBeTruthy();

  // Going back to turn 1 names it in the URL, and a reload opens it.
  await studio.timelineTurns.first().getByRole("button").last().click();
  await expect(page).not.toHaveURL(new RegExp(`turn=${second}`));
  const first = new URL(page.url()).searchParams.get("turn");
  expect(await studio.timelineTurns.first().getAttribute("data-turn-id")).toBe(first);
  expect(pageFetches).toEqual([]);
  await page.reload();
  await expect(studio.timelineTurns.first()).toHaveAttribute("data-selected", "true");
  await expect(page.getByTestId("turn-prompt")).toHaveText("A paper boat on a puddle");
});
