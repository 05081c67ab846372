import { statSync } from "node:fs";
import path from "node:path";
import type { BenchContext } from "../lib/context";
import { newStudioContext } from "../lib/browser";
import { recordNetwork, type RecordedRequest } from "../lib/network";
import { flashSettings } from "../lib/settings";
import { round } from "../lib/stats";

type Category = "resultImage" | "otherImages" | "eventStream" | "serverActions" | "rscNavigation" | "rscPrefetch" | "other";

function categorize(request: RecordedRequest, resultHash: string): Category {
  const url = new URL(request.url);
  if (url.pathname === `/api/images/${resultHash}`) return "resultImage";
  if (url.pathname.startsWith("/api/images/")) return "otherImages";
  if (/^\/api\/turns\/[^/]+\/events$/.test(url.pathname)) return "eventStream";
  if (request.method === "POST" && request.headers["next-action"]) return "serverActions";
  if (request.headers["next-router-prefetch"]) return "rscPrefetch";
  if (request.headers.rsc || url.searchParams.has("_rsc")) return "rscNavigation";
  return "other";
}

/**
 * Scenario 3: every byte the browser receives for one generation, from the click on Generate until
 * the result is on screen and the network is quiet, divided by the size of the image file the
 * studio stored. Recorded with the DevTools protocol (bytes as transferred, headers included).
 * Two generations with the studio's default settings at 1K with realistic payloads: the first of a
 * new session (from /) and a follow-up edit in that session.
 */
export async function runBytesToBrowser(context: BenchContext) {
  const { browser, app, emulator, dataDir } = context;
  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  const browserContext = await newStudioContext(browser, flashSettings("1K"));
  const page = await browserContext.newPage();
  const network = await recordNetwork(browserContext, page);
  await page.goto(app.url);
  await page.locator('[data-testid="reference-tray"][data-hydrated="true"]').waitFor();
  await network.idle();

  async function generate(prompt: string, label: string) {
    const before = (await page.getByTestId("turn-view").count()) > 0 ? await page.getByTestId("turn-view").getAttribute("data-turn-id") : null;
    network.start();
    await page.getByTestId("prompt").fill(prompt);
    await page.getByTestId("generate").click();
    const view = page.locator('[data-testid="turn-view"][data-status="succeeded"]');
    await view.and(page.locator(before ? `:not([data-turn-id="${before}"])` : "*")).waitFor({ timeout: 60_000 });
    const image = page.getByTestId("result-image");
    await image.waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="result-image"]');
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
    await network.idle();
    const requests = network.stop();
    const src = (await image.getAttribute("src")) ?? "";
    const hash = src.split("/").pop() ?? "";
    const fileBytes = statSync(path.join(dataDir, "objects", hash.slice(0, 2), hash)).size;
    const byCategory: Record<Category, { requests: number; bytes: number }> = {
      resultImage: { requests: 0, bytes: 0 },
      otherImages: { requests: 0, bytes: 0 },
      eventStream: { requests: 0, bytes: 0 },
      serverActions: { requests: 0, bytes: 0 },
      rscNavigation: { requests: 0, bytes: 0 },
      rscPrefetch: { requests: 0, bytes: 0 },
      other: { requests: 0, bytes: 0 },
    };
    for (const request of requests) {
      const entry = byCategory[categorize(request, hash)];
      entry.requests += 1;
      entry.bytes += request.bytes;
    }
    const total = requests.reduce((sum, request) => sum + request.bytes, 0);
    return {
      label,
      imageFileBytes: fileBytes,
      totalBytes: total,
      ratio: round(total / fileBytes, 3),
      resultImageRatio: round(byCategory.resultImage.bytes / fileBytes, 3),
      byCategory,
      requests: requests.map((request) => ({ method: request.method, url: request.url.replace(app.url, ""), type: request.type, status: request.status, bytes: request.bytes })),
    };
  }

  const sessionsInSidebar = await page.getByTestId("session-link").count();
  const first = await generate("a yellow banana on a blue desk, soft window light", "first image of a new session");
  const second = await generate("make the desk green", "follow-up edit in the session");
  await network.detach();
  await browserContext.close();
  // Links in view are prefetched, and every RSC payload carries the session list: it matters how many.
  return { sessionsInSidebar, generations: [first, second], worstRatio: Math.max(first.ratio, second.ratio) };
}
