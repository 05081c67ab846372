import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_UPLOAD_BYTES } from "@/lib/images/limits";
import { uploadErrorBodySchema, uploadedImageSchema } from "@/lib/images/upload-contract";
import { SVG_DRAWING, heicContainer, noisyImage, pngClaimingSize, solidImage, truncate } from "@/lib/images/test-images";

// The signed-in person comes from the session cookie in the app; here, from this variable.
const auth = vi.hoisted(() => ({ viewer: { userId: "local", email: "local@studio.test", name: "Local", role: "admin" as const } as object | null }));
vi.mock("@/lib/server/auth/route-guard", () => ({
  viewerOrUnauthorized: async () => auth.viewer ?? Response.json({ error: { code: "unauthenticated", message: "Sign in." } }, { status: 401 }),
}));


let dataDir: string;
let POST: (request: Request) => Promise<Response>;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-uploads-"));
  // getEnv() reads the environment once, so it must be set before the route is first imported.
  process.env.STUDIO_DATA_DIR = dataDir;
  ({ POST } = await import("./route"));
});

afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

function upload(parts: Array<[field: string, bytes: Uint8Array, name: string]>, headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [field, bytes, name] of parts) form.append(field, new Blob([new Uint8Array(bytes)]), name);
  return POST(new Request("http://studio.test/api/uploads", { method: "POST", body: form, headers }));
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = uploadErrorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe("POST /api/uploads", () => {
  it("stores a valid image and answers 201 with its hash, URL, type and size", async () => {
    const bytes = await noisyImage(120, 80, "jpeg");
    const response = await upload([["file", bytes, "photo.jpg"]]);
    expect(response.status).toBe(201);
    const image = uploadedImageSchema.parse(await response.json());
    expect(image).toMatchObject({ mimeType: "image/jpeg", width: 120, height: 80, byteLength: bytes.byteLength, previewUrl: null });
    expect(image.url).toBe(`/api/images/${image.hash}`);
    const stored = await fs.readFile(path.join(dataDir, "objects", image.hash.slice(0, 2), image.hash));
    expect(stored.equals(bytes)).toBe(true);
  });

  it("refuses a text file named .jpg with a reason and stores nothing", async () => {
    const before = await fs.readdir(path.join(dataDir, "objects")).catch(() => []);
    const message = await expectError(await upload([["file", Buffer.from("not an image"), "notes.jpg"]]), 415, "not_an_image");
    expect(message).toContain('"notes.jpg"');
    expect(await fs.readdir(path.join(dataDir, "objects")).catch(() => [])).toEqual(before);
  });

  it("refuses SVG, truncated files and decompression bombs", async () => {
    await expectError(await upload([["file", SVG_DRAWING, "logo.png"]]), 415, "unsupported_type");
    await expectError(await upload([["file", truncate(await noisyImage(200, 200, "jpeg")), "cut.jpg"]]), 422, "truncated");
    await expectError(await upload([["file", pngClaimingSize(100_000, 100_000), "bomb.png"]]), 422, "too_many_pixels");
  });

  it("refuses more than one file per request", async () => {
    const png = await solidImage(4, 4, "png");
    await expectError(await upload([["file", png, "a.png"], ["other", png, "b.png"]]), 400, "too_many_files");
  });

  it("refuses a request without a file field", async () => {
    await expectError(await upload([["image", await solidImage(4, 4, "png"), "a.png"]]), 400, "no_file");
  });

  it("refuses an announced oversize body without reading it", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const response = await POST(
      new Request("http://studio.test/api/uploads", {
        method: "POST",
        body,
        duplex: "half",
        headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(MAX_UPLOAD_BYTES * 2) },
      } as RequestInit),
    );
    await expectError(response, 413, "too_large");
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it("stops reading an unannounced body as soon as it passes the cap", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024 * 1024;
        controller.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    const response = await POST(
      new Request("http://studio.test/api/uploads", {
        method: "POST",
        body,
        duplex: "half",
        headers: { "content-type": "multipart/form-data; boundary=x" },
      } as RequestInit),
    );
    await expectError(response, 413, "too_large");
    expect(sent).toBeLessThan(MAX_UPLOAD_BYTES + 4 * 1024 * 1024);
  });

  it("refuses a file over the byte limit inside a body under the request cap", async () => {
    const oversized = Buffer.alloc(MAX_UPLOAD_BYTES + 10, 0);
    oversized.set([0xff, 0xd8, 0xff]);
    await expectError(await upload([["file", oversized, "big.jpg"]]), 413, "too_large");
  });

  it("refuses cross-site posts and non-multipart bodies", async () => {
    await expectError(await upload([["file", await solidImage(4, 4, "png"), "a.png"]], { "sec-fetch-site": "cross-site" }), 403, "forbidden");
    const json = await POST(
      new Request("http://studio.test/api/uploads", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
    );
    await expectError(json, 400, "bad_request");
  });

  it("stores a HEIF it can decode as it is, plus a JPEG preview for the tray", async () => {
    // An AV1-coded HEIF (sharp's build decodes AV1, not HEVC) stands in for a HEIC on a server with libde265.
    const avif = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: "#3366cc" } }).avif().toBuffer();
    const heif = Buffer.from(avif);
    heif.write("mif1", 8, "latin1");
    const response = await upload([["file", heif, "scan.heif"]]);
    expect(response.status).toBe(201);
    const image = uploadedImageSchema.parse(await response.json());
    expect(image).toMatchObject({ mimeType: "image/heif", width: 1600, height: 1200 });
    expect(image.previewUrl).toMatch(/^\/api\/images\/[a-f0-9]{64}$/);
    const previewHash = image.previewUrl?.split("/").pop() ?? "";
    const preview = await sharp(path.join(dataDir, "objects", previewHash.slice(0, 2), previewHash)).metadata();
    expect(preview).toMatchObject({ format: "jpeg", width: 512, height: 384 });
  });

  it("stores a HEIC as it is and answers previewUrl null when this sharp cannot decode HEVC", async () => {
    const heic = heicContainer(4032, 3024);
    const response = await upload([["file", heic, "IMG_0001.HEIC"]]);
    expect(response.status).toBe(201);
    const image = uploadedImageSchema.parse(await response.json());
    expect(image).toMatchObject({ mimeType: "image/heic", width: 4032, height: 3024, previewUrl: null });
  });
});
