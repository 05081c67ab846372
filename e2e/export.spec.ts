import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { readZip } from "../test/support/unzip";

test.beforeEach(async ({ request }) => {
  await emulatorControl(request).reset();
});

interface ExportedTurnJson {
  id: string;
  parentId: string | null;
  prompt: string;
  model: string;
  settings: { model: string; webSearch: boolean; showThoughts: boolean; thinkingLevel?: string };
  outputs: Array<{ file: string | null; fileName: string | null; width: number | null; height: number | null }>;
  grounding: { sources: unknown[]; searchSuggestions: string | null } | null;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

test("exports a session as a zip: session.json, the images under their download names, search suggestions, no thought images", async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.model.selectOption("gemini-3.1-flash-image");
  // High thinking with thoughts shown makes the emulator send an interim thought image, which must stay out of the export.
  await page.getByTestId("thinking-high").check();
  await page.getByTestId("show-thoughts").check();

  const firstPrompt = "A lighthouse on a cliff at dusk, watercolor";
  await studio.generate(firstPrompt);
  await studio.waitForStatus("succeeded");
  const firstName = await page.getByTestId("download").getAttribute("download");
  expect(firstName).toMatch(/^gen-a-lighthouse-on-a-cliff-\d{8}-\d{6}\.jpg$/);
  await expect(page.getByTestId("thought-image").first()).toBeVisible();
  const thoughtHashes = (await page.getByTestId("thought-image").locator("img").evaluateAll((images) => images.map((image) => image.getAttribute("src"))))
    .map((src) => src?.split("/").pop() ?? "")
    .filter(Boolean);
  expect(thoughtHashes.length).toBeGreaterThan(0);

  await page.getByTestId("web-search").check();
  const secondPrompt = "Show this weekend's weather in Paris on the poster";
  await studio.generate(secondPrompt);
  await studio.waitForStatus("succeeded");
  const secondName = await page.getByTestId("download").getAttribute("download");
  expect(secondName).toMatch(/\.jpg$/);
  expect(secondName).not.toBe(firstName);

  const sessionId = new URL(page.url()).pathname.split("/").pop() ?? "";
  const exportLink = page.getByTestId("export-session");
  await expect(exportLink).toHaveAttribute("href", `/api/sessions/${sessionId}/export`);
  const downloadPromise = page.waitForEvent("download");
  await exportLink.click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^[\p{L}\p{N}-]+-\d{8}-\d{6}\.zip$/u);

  const entries = await readZip(await fs.readFile(await download.path()));
  const files = new Map(entries.map((entry) => [entry.name, entry.data]));
  for (const name of files.keys()) expect(name).toMatch(/^(README\.txt|session\.json|images\/[^/]+|references\/[^/]+|search-suggestions\/[^/]+\.html)$/);

  const manifest = JSON.parse(files.get("session.json")?.toString("utf8") ?? "") as { schemaVersion: number; session: { id: string }; turns: ExportedTurnJson[] };
  expect(manifest.schemaVersion).toBe(1);
  expect(manifest.session.id).toBe(sessionId);
  expect(manifest.turns.map((turn) => turn.prompt)).toEqual([firstPrompt, secondPrompt]);
  const [first, second] = manifest.turns;
  expect(second?.parentId).toBe(first?.id);
  expect(first?.settings).toMatchObject({ model: "gemini-3.1-flash-image", thinkingLevel: "high", showThoughts: true, webSearch: false });
  expect(second?.settings).toMatchObject({ model: "gemini-3.1-flash-image", webSearch: true });
  expect(first?.model).toBe("gemini-3.1-flash-image");

  // The images are there under the very names the studio's Download buttons use.
  expect(first?.outputs.map((output) => output.file)).toEqual([`images/${firstName}`]);
  expect(second?.outputs.map((output) => output.file)).toEqual([`images/${secondName}`]);
  expect([...files.keys()].filter((name) => name.startsWith("images/")).sort()).toEqual([`images/${firstName}`, `images/${secondName}`].sort());
  const shown = await studio.resultImages.first().getAttribute("src");
  expect(sha256(files.get(`images/${secondName}`)!)).toBe(shown?.split("/").pop());

  // Thought images are drafts, never results.
  for (const bytes of files.values()) expect(thoughtHashes).not.toContain(sha256(bytes));
  for (const hash of thoughtHashes) expect(files.get("session.json")?.toString("utf8")).not.toContain(hash);

  // Google's search suggestions travel with the grounded turn, as a page that opens on its own.
  expect(first?.grounding).toBeNull();
  expect(second?.grounding?.sources.length).toBeGreaterThan(0);
  expect(second?.grounding?.searchSuggestions).toBe(`search-suggestions/${second?.id}.html`);
  const suggestions = files.get(`search-suggestions/${second?.id}.html`)?.toString("utf8") ?? "";
  expect(suggestions).toMatch(/^<!doctype html>/);
  expect(suggestions).toContain('class="chip"');

  expect(files.get("README.txt")?.toString("utf8")).toContain("session.json");
});

test("an unknown session's export is a 404 JSON error", async ({ request }) => {
  const response = await request.get("/api/sessions/no-such-session/export");
  expect(response.status()).toBe(404);
  expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
});
