import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_UPLOAD_BYTES } from "@/lib/images/limits";
import { uploadErrorBodySchema, uploadedImageSchema } from "@/lib/images/upload-contract";
import { DECODE_SLOTS, decodeLoad } from "@/lib/images/validate";
import { SVG_DRAWING, heicContainer, noisyImage, pngClaimingSize, solidImage, truncate } from "@/lib/images/test-images";
import { RECEIVE_SLOTS, receiveLoad } from "./receive";

// The signed-in viewer the route sees; the real getViewer() returns null for nobody signed in.
const session = vi.hoisted(() => ({ viewer: null as null | { userId: string; email: string; name: string; role: "admin" | "member" } }));
const LOCAL_VIEWER = { userId: "local", email: "local@localhost", name: "Local admin", role: "admin" as const };
vi.mock("@/lib/server/auth/viewer", () => ({ getViewer: async () => session.viewer }));

let dataDir: string;
let POST: (request: Request) => Promise<Response>;
let handleUpload: typeof import("./handle-upload").handleUpload;
let getEnv: typeof import("@/lib/env").getEnv;

/** What a browser sends with a fetch from the studio's own page. */
const SAME_ORIGIN = { origin: "http://studio.test", "sec-fetch-site": "same-origin" };

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-uploads-"));
  // getEnv() reads the environment once, so it must be set before the route is first imported.
  process.env.STUDIO_DATA_DIR = dataDir;
  ({ POST } = await import("./route"));
  ({ handleUpload } = await import("./handle-upload"));
  ({ getEnv } = await import("@/lib/env"));
});

beforeEach(() => {
  session.viewer = { ...LOCAL_VIEWER };
});

afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** "" removes a header, so a test can send a request without it. */
function withoutBlank(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ""));
}

function upload(parts: Array<[field: string, bytes: Uint8Array, name: string]>, headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [field, bytes, name] of parts) form.append(field, new Blob([new Uint8Array(bytes)]), name);
  return POST(new Request("http://studio.test/api/uploads", { method: "POST", body: form, headers: withoutBlank({ ...SAME_ORIGIN, ...headers }) }));
}

/** Temp files of uploads in flight or left behind. */
async function uploadTempFiles(): Promise<string[]> {
  return (await fs.readdir(path.join(dataDir, "tmp")).catch(() => [] as string[])).filter((name) => name.startsWith("upload-"));
}

async function listObjects(): Promise<string[]> {
  const objects = path.join(dataDir, "objects");
  const shards = await fs.readdir(objects).catch(() => [] as string[]);
  const names = await Promise.all(shards.map((shard) => fs.readdir(path.join(objects, shard)).catch(() => [] as string[])));
  return names.flat().sort();
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

  it("lets only the uploader read the upload (and use it as a reference)", async () => {
    const bytes = await noisyImage(40, 30, "png");
    const image = uploadedImageSchema.parse(await (await upload([["file", bytes, "mine.png"]])).json());
    const { getStorage } = await import("@/lib/storage");
    const storage = await getStorage();
    expect(await storage.imageAccess.canRead(LOCAL_VIEWER.userId, image.hash)).toBe(true);
    expect(await storage.imageAccess.canRead("someone-else", image.hash)).toBe(false);
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

  it("leaves nothing behind, in tmp or the store, when it refuses a non-image or a decompression bomb", async () => {
    const objectsBefore = await listObjects();
    await expectError(await upload([["file", Buffer.from("not an image at all"), "notes.png"]]), 415, "not_an_image");
    await expectError(await upload([["file", pngClaimingSize(100_000, 100_000), "bomb.png"]]), 422, "too_many_pixels");
    expect(await uploadTempFiles()).toEqual([]);
    expect(await listObjects()).toEqual(objectsBefore);
  });

  it("answers storage_failed when the store can't take the file, leaving no temp file and no object", async () => {
    const bytes = await noisyImage(90, 70, "jpeg");
    const hash = createHash("sha256").update(bytes).digest("hex");
    // A regular file where the object's shard directory belongs: the move into the store fails as on a broken disk.
    const shard = path.join(dataDir, "objects", hash.slice(0, 2));
    await fs.rm(shard, { recursive: true, force: true });
    await fs.mkdir(path.dirname(shard), { recursive: true });
    await fs.writeFile(shard, "not a directory");
    try {
      const message = await expectError(await upload([["file", bytes, "photo.jpg"]]), 500, "storage_failed");
      expect(message).toContain("writable");
      expect(await uploadTempFiles()).toEqual([]);
    } finally {
      await fs.rm(shard, { force: true });
    }
    // Once the store works again, the same upload is stored.
    expect((await upload([["file", bytes, "photo.jpg"]])).status).toBe(201);
    expect((await fs.readFile(path.join(shard, hash))).equals(bytes)).toBe(true);
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
        headers: { ...SAME_ORIGIN, "content-type": "multipart/form-data; boundary=x", "content-length": String(MAX_UPLOAD_BYTES * 2) },
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
        headers: { ...SAME_ORIGIN, "content-type": "multipart/form-data; boundary=x" },
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
      new Request("http://studio.test/api/uploads", { method: "POST", body: "{}", headers: { ...SAME_ORIGIN, "content-type": "application/json" } }),
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

  it("refuses a post from another port of the same host, and one that carries neither Sec-Fetch-Site nor Origin", async () => {
    const png = await solidImage(4, 4, "png");
    const otherPort = { origin: "http://studio.test:8080", "sec-fetch-site": "same-site" };
    await expectError(await upload([["file", png, "a.png"]], otherPort), 403, "forbidden");
    // An older browser: no Sec-Fetch-Site, but an Origin naming another port.
    await expectError(await upload([["file", png, "a.png"]], { origin: "http://studio.test:8080", "sec-fetch-site": "" }), 403, "forbidden");
    const bare = new FormData();
    bare.append("file", new Blob([new Uint8Array(png)]), "a.png");
    await expectError(await POST(new Request("http://studio.test/api/uploads", { method: "POST", body: bare })), 403, "forbidden");
    // Without Sec-Fetch-Site, a matching Origin is enough.
    expect((await upload([["file", png, "a.png"]], { "sec-fetch-site": "" })).status).toBe(201);
  });

  it("refuses a 1×1 JPEG padded with 19 MB of EXIF, and stores nothing", async () => {
    const pixel = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#ff0000" } }).jpeg().toBuffer();
    const segments: Buffer[] = [];
    const payload = 65_000;
    for (let total = 0; total < 19_000_000; total += payload) {
      const segment = Buffer.alloc(4 + payload);
      segment.writeUInt16BE(0xffe1, 0);
      segment.writeUInt16BE(payload + 2, 2);
      segment.write("Exif\0\0", 4, "latin1");
      segments.push(segment);
    }
    const padded = Buffer.concat([pixel.subarray(0, 2), ...segments, pixel.subarray(2)]);
    expect(padded.byteLength).toBeGreaterThan(19_000_000);
    expect(padded.byteLength).toBeLessThan(MAX_UPLOAD_BYTES);
    expect((await sharp(padded).metadata()).width).toBe(1);
    const before = await fs.readdir(path.join(dataDir, "objects")).catch(() => []);
    const message = await expectError(await upload([["file", padded, "pixel.jpg"]]), 422, "too_much_metadata");
    expect(message).toContain("metadata");
    expect(await fs.readdir(path.join(dataDir, "objects")).catch(() => [])).toEqual(before);
    // A photo with ordinary EXIF is not affected.
    const photo = await sharp(await noisyImage(64, 48, "jpeg")).withExif({ IFD0: { Make: "Studio", Model: "Test" } }).jpeg().toBuffer();
    expect((await upload([["file", photo, "photo.jpg"]])).status).toBe(201);
  });

  it("decodes at most a few uploads at once, whatever arrives, and leaves no temp files", async () => {
    let peak = 0;
    let queued = 0;
    const watch = setInterval(() => {
      const load = decodeLoad();
      peak = Math.max(peak, load.active);
      queued = Math.max(queued, load.waiting);
    }, 1);
    const files = await Promise.all(Array.from({ length: 12 }, (_, index) => noisyImage(400 + index, 300, "jpeg")));
    const responses = await Promise.all(files.map((bytes, index) => upload([["file", bytes, `p${index}.jpg`]])));
    clearInterval(watch);
    expect(responses.map((response) => response.status)).toEqual(files.map(() => 201));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(DECODE_SLOTS);
    expect(queued).toBeGreaterThan(0);
    expect((await fs.readdir(path.join(dataDir, "tmp"))).filter((name) => name.startsWith("upload-"))).toEqual([]);
  });

  it("streams in at most RECEIVE_SLOTS bodies at once, leaves the others unread until a slot frees, and completes them all", async () => {
    const extra = 4;
    const boundary = "receive-slots";
    const files = await Promise.all(Array.from({ length: RECEIVE_SLOTS + extra }, (_, index) => noisyImage(60 + index, 40, "jpeg")));
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pulled = files.map(() => 0);
    // Each body sends its part up to the file's end, then holds back the closing boundary until
    // released, so the bodies given a slot stay in flight. highWaterMark 0: nothing is pulled
    // before the server reads.
    const bodies = files.map(
      (bytes, index) =>
        new ReadableStream<Uint8Array>(
          {
            async pull(controller) {
              pulled[index] = (pulled[index] ?? 0) + 1;
              if (pulled[index] === 1) {
                const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="s${index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
                controller.enqueue(new TextEncoder().encode(head));
                controller.enqueue(new Uint8Array(bytes));
                return;
              }
              await released;
              controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
              controller.close();
            },
          },
          { highWaterMark: 0 },
        ),
    );
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, receiveLoad().active);
    }, 1);
    const responses = bodies.map((body) =>
      POST(
        new Request("http://studio.test/api/uploads", {
          method: "POST",
          body,
          duplex: "half",
          headers: { ...SAME_ORIGIN, "content-type": `multipart/form-data; boundary=${boundary}` },
        } as RequestInit),
      ),
    );
    try {
      await vi.waitFor(() => expect(receiveLoad()).toEqual({ active: RECEIVE_SLOTS, waiting: extra }), { timeout: 10_000 });
      // The bodies in the slots have been read up to the held-back boundary; the waiting ones not at all.
      await vi.waitFor(() => expect(pulled.filter((count) => count >= 2)).toHaveLength(RECEIVE_SLOTS));
      expect(pulled.filter((count) => count === 0)).toHaveLength(extra);
    } finally {
      release();
    }
    const statuses = await Promise.all(responses.map(async (response) => (await response).status));
    clearInterval(watch);
    expect(statuses).toEqual(files.map(() => 201));
    expect(peak).toBe(RECEIVE_SLOTS);
    expect(receiveLoad()).toEqual({ active: 0, waiting: 0 });
    expect(pulled.every((count) => count >= 2)).toBe(true);
  });

  it("counts upload bytes per user per hour and refuses beyond the quota with a typed error, others unaffected", async () => {
    const env = getEnv();
    const previous = env.uploadQuotaBytesPerHour;
    const image = await noisyImage(220, 220, "png");
    // Room for two uploads of this image (and their multipart framing), not three.
    env.uploadQuotaBytesPerHour = Math.floor(image.byteLength * 2.5);
    try {
      const send = async (ownerId: string) => {
        const form = new FormData();
        form.append("file", new Blob([new Uint8Array(image)]), "n.png");
        return handleUpload(new Request("http://studio.test/api/uploads", { method: "POST", body: form, headers: SAME_ORIGIN }), { ownerId });
      };
      const statuses: number[] = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await send("alice")).status);
      expect(statuses).toEqual([201, 201, 429]);
      const refused = await send("alice");
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      const message = await expectError(refused, 429, "quota_exceeded");
      expect(message).toContain("last hour");
      expect((await send("bob")).status).toBe(201);
    } finally {
      env.uploadQuotaBytesPerHour = previous;
    }
  });

  it("answers 401 when nobody is signed in, reading and storing nothing", async () => {
    session.viewer = null;
    const before = await fs.readdir(path.join(dataDir, "objects")).catch(() => []);
    const message = await expectError(await upload([["file", await noisyImage(40, 40, "png"), "a.png"]]), 401, "unauthenticated");
    expect(message).toContain("Sign in");
    expect(await fs.readdir(path.join(dataDir, "objects")).catch(() => [])).toEqual(before);
  });

  it("counts the quota against the signed-in viewer", async () => {
    const env = getEnv();
    const previous = env.uploadQuotaBytesPerHour;
    const image = await noisyImage(230, 230, "png");
    env.uploadQuotaBytesPerHour = Math.floor(image.byteLength * 1.5);
    try {
      session.viewer = { ...LOCAL_VIEWER, userId: "carol", role: "member" };
      expect((await upload([["file", image, "c.png"]])).status).toBe(201);
      await expectError(await upload([["file", image, "c.png"]]), 429, "quota_exceeded");
      session.viewer = { ...LOCAL_VIEWER, userId: "dave", role: "member" };
      expect((await upload([["file", image, "d.png"]])).status).toBe(201);
    } finally {
      env.uploadQuotaBytesPerHour = previous;
    }
  });
});
