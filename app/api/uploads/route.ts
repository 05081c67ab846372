import sharp from "sharp";
import { MAX_UPLOAD_BYTES, formatBytes } from "@/lib/images/limits";
import { imageUrl, type UploadError, type UploadErrorCode, type UploadedImage } from "@/lib/images/upload-contract";
import { validateUpload } from "@/lib/images/validate";
import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { getImageStore, getStorage } from "@/lib/storage";
import { ImageStoreError } from "@/lib/storage/image-store";

/**
 * Reference-image uploads: one file per request (multipart field `file`), so one bad file never
 * takes the others with it. A route handler rather than a server action because actions buffer
 * bodies up to a fixed 1 MB limit; here the cap is ours and enforced while the body streams in.
 *
 * The per-request reference count (14, fewer for some models) is NOT checked here: a client-sent
 * count proves nothing and one request holds one file. It is enforced where references are used,
 * when a generation request is built (`checkReferences` in lib/gemini/settings.ts).
 */

// Multipart boundaries and part headers around the one file; generous, and still a hard bound.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES;
/** Long edge of the JPEG preview made for HEIC/HEIF, which most browsers cannot show. */
const PREVIEW_LONG_EDGE = 512;

const STATUS: Record<UploadErrorCode, number> = {
  empty: 422,
  too_large: 413,
  not_an_image: 415,
  unsupported_type: 415,
  truncated: 422,
  too_many_pixels: 422,
  no_file: 400,
  too_many_files: 400,
  bad_request: 400,
  forbidden: 403,
  storage_failed: 500,
};

function refuse(code: UploadErrorCode, message: string): Response {
  const error: UploadError = { code, message };
  return Response.json({ error }, { status: STATUS[code] });
}

function tooLarge(): Response {
  return refuse(
    "too_large",
    `The file is larger than ${formatBytes(MAX_UPLOAD_BYTES)}; reference images can be up to ${formatBytes(MAX_UPLOAD_BYTES)}.`,
  );
}

/** Reads the body but stops (and cancels the stream) as soon as it passes `limit` bytes. */
async function readBodyWithin(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | "too_large"> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

async function makePreview(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes)
    .rotate()
    .resize({ width: PREVIEW_LONG_EDGE, height: PREVIEW_LONG_EDGE, fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

export async function POST(request: Request): Promise<Response> {
  // A multipart POST is a "simple" request that any web page could send to a studio on localhost.
  if (request.headers.get("sec-fetch-site") === "cross-site") {
    return refuse("forbidden", "Uploads are only accepted from the studio itself.");
  }
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    return refuse("bad_request", "Send the image as multipart/form-data with one field named \"file\".");
  }
  // Refuse an announced oversize body before reading a byte of it; the count below catches liars
  // and chunked bodies that announce nothing.
  const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declaredLength) && declaredLength > MAX_REQUEST_BYTES) return tooLarge();
  const body = await readBodyWithin(request, MAX_REQUEST_BYTES);
  if (body === "too_large") return tooLarge();

  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch {
    return refuse("bad_request", "The upload could not be read as multipart/form-data.");
  }
  const files = [...form.values()].filter((value): value is File => typeof value !== "string");
  if (files.length > 1) {
    return refuse("too_many_files", `Send one image per request; this one has ${files.length}.`);
  }
  const file = form.get("file");
  if (!file || typeof file === "string") {
    return refuse("no_file", "No image in the request: send it in a field named \"file\".");
  }

  const bytes = new Uint8Array(await file.arrayBuffer());
  const validation = await validateUpload(bytes, { declaredName: file.name || undefined });
  if (!validation.ok) return refuse(validation.error.code, validation.error.message);
  const { image } = validation;

  const store = await getImageStore();
  try {
    const stored = await store.put(bytes);
    const storage = await getStorage();
    await storage.imageAccess.recordUpload(viewer.userId, stored.hash);
    let previewUrl: string | null = null;
    // Gemini takes HEIC as it is, so the original is what gets stored and sent; the preview is only
    // for the tray. Without an HEVC decoder there is none and the tray shows a named placeholder.
    if ((image.mimeType === "image/heic" || image.mimeType === "image/heif") && image.pixelsVerified) {
      const preview = await makePreview(bytes).catch(() => null);
      if (preview) {
        const previewHash = (await store.put(preview)).hash;
        await storage.imageAccess.recordUpload(viewer.userId, previewHash);
        previewUrl = imageUrl(previewHash);
      }
    }
    const uploaded: UploadedImage = {
      hash: stored.hash,
      url: imageUrl(stored.hash),
      mimeType: image.mimeType,
      width: image.width,
      height: image.height,
      byteLength: image.byteLength,
      previewUrl,
    };
    return Response.json(uploaded, { status: 201 });
  } catch (error) {
    if (error instanceof ImageStoreError && error.code === "write_failed") {
      return refuse("storage_failed", "The studio could not save the image: check that its data directory is writable.");
    }
    throw error;
  }
}
