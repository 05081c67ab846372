import { expect, test, type Page } from "@playwright/test";
import sharp from "sharp";
import { MAX_UPLOAD_BYTES, TARGET_LONG_EDGE } from "../lib/images/limits";
import { SVG_DRAWING, heicContainer, noisyImage, pngClaimingSize, solidImage, truncate } from "../lib/images/test-images";
import { ReferenceTrayPage, type TrayFile } from "./pages/reference-tray-page";
import { E2E } from "./support/ports";

/** A direct POST (not from the page) must name the studio's origin, as the browser's fetch does. */
const SAME_ORIGIN = { origin: E2E.appUrl };

// The reference tray against the real upload route: what designers drop in, and what they must
// not be able to (renamed files, SVG, truncated files, decompression bombs, a 15th image).

const png = async (name: string, color: string): Promise<TrayFile> => ({ name, mimeType: "image/png", buffer: await solidImage(64, 48, "png", color) });

/** Distinct colours: the tray refuses the same bytes twice. */
const COLORS = Array.from({ length: 15 }, (_, n) => `#${(0x102030 + n * 0x0a0b0c).toString(16).slice(-6)}`);

function countUploads(page: Page): { readonly posts: number } {
  const counter = { posts: 0 };
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/uploads") counter.posts += 1;
  });
  return counter;
}

test.describe("reference tray", () => {
  let tray: ReferenceTrayPage;

  test.beforeEach(async ({ page }) => {
    tray = new ReferenceTrayPage(page);
    await tray.goto();
  });

  test("adds PNG, JPEG and WebP picked from disk, with thumbnails, sizes and the request size", async () => {
    await tray.add(
      await png("flat.png", "#f5c518"),
      { name: "photo.jpg", mimeType: "image/jpeg", buffer: await noisyImage(320, 240, "jpeg") },
      { name: "sticker.webp", mimeType: "image/webp", buffer: await noisyImage(200, 200, "webp") },
    );
    await tray.expectReady(["flat.png", "photo.jpg", "sticker.webp"]);
    await expect(tray.item("photo.jpg")).toHaveAttribute("data-width", "320");
    await expect(tray.item("photo.jpg").locator("img")).toHaveAttribute("src", /^\/api\/images\/[a-f0-9]{64}$/);
    await expect(tray.count).toContainText(/3\/\d+ images/);
    await expect(tray.requestSize).toContainText(/request ≈ \d/);
    expect(Number(await tray.requestSize.getAttribute("data-bytes"))).toBeGreaterThan(0);
    await expect(tray.errors).toHaveCount(0);
  });

  test("refuses a file that is not an image, whatever its name, and leaves the tray as it was", async () => {
    await tray.add(await png("keep.png", "#336699"));
    await tray.expectReady(["keep.png"]);
    const before = await tray.items.evaluateAll((tiles) => tiles.map((tile) => tile.outerHTML));

    await tray.add({ name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("shopping list: bananas, more bananas\n") });
    await expect(tray.errors).toHaveCount(1);
    await expect(tray.errors.first()).toHaveAttribute("role", "alert");
    await expect(tray.errors.first()).toContainText('"notes.jpg" is named like an image, but its content isn\'t one');
    await tray.expectReady(["keep.png"]);
    expect(await tray.items.evaluateAll((tiles) => tiles.map((tile) => tile.outerHTML))).toEqual(before);
  });

  test("refuses SVG, by type in the browser and by content on the server", async () => {
    await tray.add({ name: "logo.svg", mimeType: "image/svg+xml", buffer: SVG_DRAWING });
    await tray.add({ name: "logo-renamed.png", mimeType: "image/png", buffer: SVG_DRAWING });
    await expect(tray.errors).toHaveCount(2);
    await expect(tray.errors.nth(0)).toContainText('"logo.svg" is an SVG drawing');
    await expect(tray.errors.nth(1)).toContainText('"logo-renamed.png" is an SVG drawing');
    await expect(tray.items).toHaveCount(0);
  });

  test("refuses a truncated image and a decompression bomb with a reason", async () => {
    await tray.add({ name: "cut.jpg", mimeType: "image/jpeg", buffer: truncate(await noisyImage(400, 300, "jpeg")) });
    await expect(tray.errors.filter({ hasText: '"cut.jpg" looks damaged or incomplete' })).toHaveCount(1);
    await tray.add({ name: "bomb.png", mimeType: "image/png", buffer: pngClaimingSize(100_000, 100_000) });
    await expect(tray.errors.filter({ hasText: /"bomb\.png" is 100,000 × 100,000 px .*the limit is 50 MP/ })).toHaveCount(1);
    await expect(tray.items).toHaveCount(0);
  });

  test("takes 14 images and refuses the 15th with the limit", async () => {
    const total = (await tray.limitOf("images")) ?? 14;
    const files = await Promise.all(COLORS.slice(0, total + 1).map((color, n) => png(`ref-${String(n + 1).padStart(2, "0")}.png`, color)));
    await tray.add(...files);
    await tray.expectReady(files.slice(0, total).map((file) => file.name));
    await expect(tray.errors).toHaveCount(1);
    await expect(tray.errors.first()).toContainText(`"ref-${String(total + 1).padStart(2, "0")}.png" wasn't added`);
    await expect(tray.errors.first()).toContainText(`up to ${total} reference images`);
    await expect(tray.count).toContainText(`${total}/${total} images`);
  });

  test("shows and enforces the model's character limit", async () => {
    const characters = await tray.limitOf("Characters");
    test.skip(characters === null || characters > 10, "the selected model has no separate character limit");
    const limit = characters ?? 0;
    const people = await Promise.all(COLORS.slice(0, limit + 1).map((color, n) => png(`person-${n + 1}.png`, color)));
    await tray.add(...people);
    await tray.expectReady(people.map((file) => file.name));
    for (let n = 1; n <= limit; n += 1) {
      await tray.item(`person-${n}.png`).getByTestId("reference-role").selectOption("character");
    }
    await expect(tray.count).toContainText(`Characters ${limit}/${limit}`);
    const last = tray.item(`person-${limit + 1}.png`).getByTestId("reference-role");
    await expect(last.locator('option[value="character"]')).toBeDisabled();
    await expect(last.locator('option[value="character"]')).toContainText(`keeps up to ${limit} characters`);
    await expect(last.locator('option[value="style"]')).toBeEnabled();
    // A tile that holds the role may change away and back.
    const first = tray.item("person-1.png").getByTestId("reference-role");
    await expect(first.locator('option[value="character"]')).toBeEnabled();
  });

  test("downscales a large photo in the browser before upload", async ({ page }) => {
    const original = await noisyImage(4000, 3000, "jpeg", 95);
    await tray.add({ name: "camera.jpg", mimeType: "image/jpeg", buffer: original });
    await tray.expectReady(["camera.jpg"]);
    const tile = tray.item("camera.jpg");
    await expect(tile).toHaveAttribute("data-width", String(TARGET_LONG_EDGE));
    await expect(tile).toHaveAttribute("data-height", String((TARGET_LONG_EDGE * 3) / 4));
    const originalBytes = Number(await tile.getAttribute("data-original-bytes"));
    const preparedBytes = Number(await tile.getAttribute("data-prepared-bytes"));
    expect(originalBytes).toBe(original.byteLength);
    expect(preparedBytes).toBeLessThan(originalBytes);
    await expect(tile).toContainText(/\(was \d/);

    const src = await tile.locator("img").getAttribute("src");
    const stored = await page.request.get(src ?? "");
    const metadata = await sharp(await stored.body()).metadata();
    expect(Math.max(metadata.width ?? 0, metadata.height ?? 0)).toBeLessThanOrEqual(TARGET_LONG_EDGE);
    expect(Number(await tray.requestSize.getAttribute("data-bytes"))).toBe(preparedBytes);
  });

  test("keeps a HEIC as it is and shows a named tile when no preview can be made", async () => {
    await tray.add({ name: "IMG_0420.HEIC", mimeType: "image/heic", buffer: heicContainer(4032, 3024) });
    await tray.expectReady(["IMG_0420.HEIC"]);
    const tile = tray.item("IMG_0420.HEIC");
    await expect(tile).toHaveAttribute("data-width", "4032");
    await expect(tile).toContainText("IMG_0420.HEIC");
    await expect(tile).toContainText(/HEIC — no preview|No preview/);
  });

  test("reorders by keyboard and by drag, removes, clears and undoes the clear", async ({ page }) => {
    await tray.add(await png("a.png", "#aa0000"), await png("b.png", "#00aa00"), await png("c.png", "#0000aa"));
    await tray.expectReady(["a.png", "b.png", "c.png"]);

    await page.getByRole("button", { name: "Move a.png later" }).click();
    await tray.expectReady(["b.png", "a.png", "c.png"]);
    await expect(page.getByRole("button", { name: "Move a.png later" })).toBeFocused();
    await page.keyboard.press("Alt+ArrowRight");
    await tray.expectReady(["b.png", "c.png", "a.png"]);

    await tray.item("a.png").dragTo(tray.item("b.png"));
    await tray.expectReady(["a.png", "b.png", "c.png"]);

    await tray.item("b.png").getByTestId("reference-remove").click();
    await tray.expectReady(["a.png", "c.png"]);
    await expect(tray.item("c.png").getByTestId("reference-remove")).toBeFocused();

    await tray.clearButton.click();
    await expect(tray.items).toHaveCount(0);
    await expect(tray.undoClearButton).toBeFocused();
    await tray.undoClearButton.click();
    await tray.expectReady(["a.png", "c.png"]);
  });

  test("adds an image pasted from the clipboard", async ({ page }) => {
    const bytes = (await solidImage(32, 32, "png", "#123abc")).toString("base64");
    await page.evaluate((base64) => {
      const data = new DataTransfer();
      const binary = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      data.items.add(new File([binary], "image.png", { type: "image/png" }));
      document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, bytes);
    await tray.expectReady(["image.png"]);
  });

  test("adds a result dragged in from the studio by hash, without uploading it again", async ({ page }) => {
    const upload = await page.request.post("/api/uploads", {
      headers: SAME_ORIGIN,
      multipart: { file: { name: "result.png", mimeType: "image/png", buffer: await solidImage(80, 60, "png", "#fedcba") } },
    });
    expect(upload.status()).toBe(201);
    const { hash, url } = (await upload.json()) as { hash: string; url: string };
    const uploads = countUploads(page);

    const dataTransfer = await page.evaluateHandle(
      ([payload, uri]) => {
        const data = new DataTransfer();
        data.setData("application/x-nano-banana-image", payload);
        data.setData("text/uri-list", uri);
        return data;
      },
      [
        JSON.stringify({ hash, url, mimeType: "image/png", width: 80, height: 60, fileName: "gen-result.png" }),
        new URL(url, page.url()).toString(),
      ] as const,
    );
    await tray.dropzone.dispatchEvent("drop", { dataTransfer });
    await tray.expectReady(["gen-result.png"]);
    await expect(tray.item("gen-result.png").locator("img")).toHaveAttribute("src", url);

    // A plain link to a stored image (the fallback) works too, and the same image is not added twice.
    const linkOnly = await page.evaluateHandle((uri) => {
      const data = new DataTransfer();
      data.setData("text/uri-list", uri);
      return data;
    }, new URL(url, page.url()).toString());
    await tray.dropzone.dispatchEvent("drop", { dataTransfer: linkOnly });
    await expect(tray.errors.first()).toContainText("already in the tray");
    await expect(tray.items).toHaveCount(1);
    expect(uploads.posts).toBe(0);
  });
});

test.describe("upload route", () => {
  test("accepts a large valid file (no 1 MB action limit) and refuses an oversized one with 413", async ({ request }) => {
    // Uncompressed, so the size is known: 2200 x 2000 x 3 bytes plus headers, about 13 MB.
    const large = await sharp({ create: { width: 2200, height: 2000, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 50 } } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(large.byteLength).toBeGreaterThan(10_000_000);
    expect(large.byteLength).toBeLessThan(MAX_UPLOAD_BYTES);
    const accepted = await request.post("/api/uploads", { headers: SAME_ORIGIN, multipart: { file: { name: "big.png", mimeType: "image/png", buffer: large } } });
    expect(accepted.status()).toBe(201);
    expect(await accepted.json()).toMatchObject({ mimeType: "image/png", width: 2200, height: 2000, byteLength: large.byteLength });

    const oversized = Buffer.alloc(MAX_UPLOAD_BYTES + 1_000_000, 0x41);
    const refused = await request.post("/api/uploads", { headers: SAME_ORIGIN, multipart: { file: { name: "huge.jpg", mimeType: "image/jpeg", buffer: oversized } } });
    expect(refused.status()).toBe(413);
    expect(await refused.json()).toMatchObject({ error: { code: "too_large" } });
  });

  test("refuses two files in one request, a bomb and a truncated file with typed errors", async ({ request }) => {
    const small = await solidImage(8, 8, "png");
    const two = await request.post("/api/uploads", {
      headers: SAME_ORIGIN,
      multipart: {
        file: { name: "a.png", mimeType: "image/png", buffer: small },
        second: { name: "b.png", mimeType: "image/png", buffer: small },
      },
    });
    expect(two.status()).toBe(400);
    expect(await two.json()).toMatchObject({ error: { code: "too_many_files" } });

    const bomb = await request.post("/api/uploads", {
      headers: SAME_ORIGIN,
      multipart: { file: { name: "bomb.png", mimeType: "image/png", buffer: pngClaimingSize(100_000, 100_000) } },
    });
    expect(bomb.status()).toBe(422);
    expect(await bomb.json()).toMatchObject({ error: { code: "too_many_pixels" } });

    const cut = await request.post("/api/uploads", {
      headers: SAME_ORIGIN,
      multipart: { file: { name: "cut.webp", mimeType: "image/webp", buffer: truncate(await noisyImage(300, 300, "webp")) } },
    });
    expect(cut.status()).toBe(422);
    expect(await cut.json()).toMatchObject({ error: { code: "truncated" } });
  });
});
