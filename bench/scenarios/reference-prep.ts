import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type { BenchContext } from "../lib/context";
import { newStudioContext } from "../lib/browser";
import { KB, MB, round } from "../lib/stats";

const PHOTOS = 14;
const WIDTH = 4000;
const HEIGHT = 3000;

const PHOTO_SET = "photos-v1";

/**
 * Photo-like 12 MP JPEGs (about 4 MB, like a phone's): smooth colour fields from an upscaled random
 * thumbnail plus sensor-like grain, each different (the tray refuses the same bytes twice). Made
 * once and kept in the bench cache; only their sizes matter, not which random bytes they hold.
 */
async function makePhotos(cacheDir: string): Promise<string[]> {
  const dir = path.join(cacheDir, PHOTO_SET);
  const files = Array.from({ length: PHOTOS }, (_, index) => path.join(dir, `photo-${String(index + 1).padStart(2, "0")}.jpg`));
  if (files.every((file) => existsSync(file))) return files;
  mkdirSync(dir, { recursive: true });
  const grain = randomBytes(WIDTH * HEIGHT * 3);
  for (const [index, file] of files.entries()) {
    const pixels = await sharp(randomBytes(160 * 120 * 3), { raw: { width: 160, height: 120, channels: 3 } })
      .resize(WIDTH, HEIGHT, { kernel: "cubic" })
      .raw()
      .toBuffer();
    const shift = index * 7919;
    for (let at = 0; at < pixels.length; at += 1) {
      const value = (pixels[at] as number) + (((grain[(at + shift) % grain.length] as number) % 32) - 16);
      pixels[at] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
    const jpeg = await sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    // Written under a temporary name first: an interrupted run must not leave a half photo cached.
    writeFileSync(`${file}.part`, jpeg);
    renameSync(`${file}.part`, file);
  }
  return files;
}

/**
 * Scenario 5: 14 photos of 4000x3000 picked in the reference tray: the browser downscales and
 * re-encodes them (lib/images/prepare-client.ts) and uploads them. Wall time is in-page, from the
 * file input's change event to the frame in which all 14 tiles are "ready" (uploaded and stored).
 * Bytes sent are the upload requests' multipart bodies, against the photos' sizes.
 */
export async function runReferencePrep(context: BenchContext) {
  const { browser, app, cacheDir } = context;
  const began = Date.now();
  const files = await makePhotos(cacheDir);
  const generateSeconds = (Date.now() - began) / 1000;
  const originalBytes = files.reduce((sum, file) => sum + statSync(file).size, 0);

  const browserContext = await newStudioContext(browser);
  await browserContext.addInitScript(() => {
    const state = window as unknown as { __benchPicked?: number; __benchUploads: Array<Promise<number>> };
    state.__benchUploads = [];
    document.addEventListener(
      "change",
      (event) => {
        if ((event.target as HTMLInputElement | null)?.type === "file") state.__benchPicked = performance.now();
      },
      true,
    );
    // The upload bodies are FormData, which the DevTools protocol does not size; serialising the
    // same FormData gives the exact multipart body the browser sends.
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (init?.body instanceof FormData && new URL(url, location.href).pathname === "/api/uploads") {
        state.__benchUploads.push(new Response(init.body).blob().then((blob) => blob.size));
      }
      return nativeFetch(input, init);
    };
  });
  const page = await browserContext.newPage();
  await page.goto(app.url);
  await page.locator('[data-testid="reference-tray"][data-hydrated="true"]').waitFor();
  await page.getByTestId("reference-file-input").setInputFiles(files);
  await page.waitForFunction(
    (count) => {
      const tiles = [...document.querySelectorAll('[data-testid="reference-item"]')];
      const done = tiles.length === count && tiles.every((tile) => tile.getAttribute("data-status") === "ready");
      const state = window as unknown as { __benchReady?: number };
      if (done) state.__benchReady ??= performance.now();
      return done || document.querySelectorAll('[data-testid="reference-error"]').length > 0;
    },
    PHOTOS,
    { polling: "raf", timeout: 120_000 },
  );
  const timing = await page.evaluate(() => {
    const state = window as unknown as { __benchPicked?: number; __benchReady?: number };
    return { picked: state.__benchPicked ?? Number.NaN, ready: state.__benchReady ?? Number.NaN };
  });
  const tiles = await page.getByTestId("reference-item").evaluateAll((items) =>
    items.map((item) => ({
      status: item.getAttribute("data-status"),
      width: Number(item.getAttribute("data-width")),
      height: Number(item.getAttribute("data-height")),
      originalBytes: Number(item.getAttribute("data-original-bytes")),
      preparedBytes: Number(item.getAttribute("data-prepared-bytes")),
    })),
  );
  const errors = await page.getByTestId("reference-error").allTextContents();
  const uploads = await page.evaluate(() => Promise.all((window as unknown as { __benchUploads: Array<Promise<number>> }).__benchUploads));
  const sentBytes = uploads.reduce((sum, bytes) => sum + bytes, 0);
  await browserContext.close();
  return {
    photos: PHOTOS,
    photoSize: `${WIDTH}x${HEIGHT}`,
    generateSeconds: round(generateSeconds),
    ready: tiles.filter((tile) => tile.status === "ready").length,
    errors,
    wallMs: round(timing.ready - timing.picked),
    originalMB: round(originalBytes / MB, 2),
    sentMB: round(sentBytes / MB, 2),
    sentRatio: round(sentBytes / originalBytes, 3),
    uploadRequests: uploads.length,
    preparedSizes: tiles.map((tile) => `${tile.width}x${tile.height} ${round(tile.preparedBytes / KB)} KB`),
  };
}
