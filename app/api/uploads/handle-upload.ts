import "server-only";

import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { getEnv } from "@/lib/env";
import { MAX_UPLOAD_BYTES, formatBytes } from "@/lib/images/limits";
import { imageUrl, type UploadError, type UploadErrorCode, type UploadedImage } from "@/lib/images/upload-contract";
import { validateUploadFile, withDecodeSlot } from "@/lib/images/validate";
import { formatRetryAfter } from "@/lib/server/rate-limit";
import { getImageStore, getStorage, LOCAL_OWNER_ID, type OwnerId } from "@/lib/storage";
import { isStorageError } from "@/lib/storage/types";
import { ImageStoreError } from "@/lib/storage/image-store";
import { getUploadQuota } from "./quota";
import { receiveUpload } from "./receive";
import { isSameOrigin } from "./same-origin";

/**
 * Reference-image uploads: one file per request (multipart field `file`), so one bad file never
 * takes the others with it. A route handler rather than a server action because actions buffer
 * bodies up to a fixed 1 MB limit; here the cap is ours and enforced while the body streams in.
 *
 * Under load: the body streams to a temp file (receive.ts), and the decode, checks and store run in
 * one of a few decode slots (lib/images/validate.ts), so memory and the thread pool stay bounded
 * whatever arrives at once, and health checks and image reads keep being answered. The upload is
 * never held in memory whole: sharp decodes from the temp file, and that file becomes the stored
 * object (ImageStore.putFile).
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
  too_much_metadata: 422,
  no_file: 400,
  too_many_files: 400,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  quota_exceeded: 429,
  storage_failed: 500,
};

export function refuse(code: UploadErrorCode, message: string, headers?: Record<string, string>): Response {
  const error: UploadError = { code, message };
  return Response.json({ error }, { status: STATUS[code], headers });
}

function tooLarge(): Response {
  return refuse(
    "too_large",
    `The file is larger than ${formatBytes(MAX_UPLOAD_BYTES)}; reference images can be up to ${formatBytes(MAX_UPLOAD_BYTES)}.`,
  );
}

function quotaExceeded(limitBytes: number, retryAfterMs: number): Response {
  return refuse(
    "quota_exceeded",
    `You have uploaded ${formatBytes(limitBytes)} in the last hour, the most this studio allows. Try again in ${formatRetryAfter(retryAfterMs)}.`,
    { "retry-after": String(Math.ceil(retryAfterMs / 1000)) },
  );
}

async function makePreview(file: string): Promise<Buffer> {
  return sharp(file)
    .rotate()
    .resize({ width: PREVIEW_LONG_EDGE, height: PREVIEW_LONG_EDGE, fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** POST /api/uploads for `ownerId` (default: the single local owner). */
export async function handleUpload(request: Request, { ownerId = LOCAL_OWNER_ID }: { ownerId?: OwnerId } = {}): Promise<Response> {
  if (!isSameOrigin(request.headers, request.url)) {
    return refuse("forbidden", "Uploads are only accepted from the studio's own pages.");
  }
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    return refuse("bad_request", "Send the image as multipart/form-data with one field named \"file\".");
  }
  // Refuse an announced oversize body before reading a byte of it; the count while it streams
  // catches liars and chunked bodies that announce nothing.
  const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declaredLength) && declaredLength > MAX_REQUEST_BYTES) return tooLarge();

  const env = getEnv();
  const quota = getUploadQuota(env.uploadQuotaBytesPerHour, env.databaseUrl ?? null);
  const left = await quota.check(ownerId);
  if (!left.ok) return quotaExceeded(left.limitBytes, left.retryAfterMs);

  const tmpDir = path.join(env.dataDir, "tmp");
  let received;
  try {
    received = await receiveUpload(request.body, { contentType, maxBodyBytes: MAX_REQUEST_BYTES, maxFileBytes: MAX_UPLOAD_BYTES, tmpDir });
  } catch {
    return refuse("storage_failed", "The studio could not save the upload: check that its data directory is writable and has free space.");
  }
  // Every byte that arrived counts, refused or not: the quota bounds what anyone can make us read.
  const spent = await quota.spend(ownerId, received.bodyBytes);
  if (!received.ok) {
    switch (received.reason) {
      case "too_large":
        return tooLarge();
      case "too_many_files":
        return refuse("too_many_files", "Send one image per request; this one has more.");
      case "no_file":
        return refuse("no_file", "No image in the request: send it in a field named \"file\".");
      case "bad_request":
        return refuse("bad_request", "The upload could not be read as multipart/form-data.");
    }
  }
  const { file, name, sha256 } = received;
  try {
    if (!spent.ok) return quotaExceeded(spent.limitBytes, spent.retryAfterMs);
    return await withDecodeSlot(() => checkAndStore(file, sha256, name, ownerId));
  } finally {
    await fs.rm(file, { force: true });
  }
}

/**
 * The upload is never read whole: it is checked and decoded from its temp file, then the file
 * itself becomes the stored object (renamed into the data directory's store, or streamed to the
 * bucket). The caller removes whatever is left of the temp file.
 */
async function checkAndStore(file: string, sha256: string, name: string | undefined, ownerId: OwnerId): Promise<Response> {
  const validation = await validateUploadFile(file, { declaredName: name || undefined });
  if (!validation.ok) return refuse(validation.error.code, validation.error.message);
  const { image } = validation;

  const store = await getImageStore();
  try {
    // Gemini takes HEIC as it is, so the original is what gets stored and sent; the preview is only
    // for the tray. Without an HEVC decoder there is none and the tray shows a named placeholder.
    // Made before the store takes the file (it may move it).
    const heif = image.mimeType === "image/heic" || image.mimeType === "image/heif";
    const preview = heif && image.pixelsVerified ? await makePreview(file).catch(() => null) : null;
    const stored = await store.putFile(file, { sha256 });
    // Image bytes are shared by hash: the uploader may read this one from now on (lib/server/access.ts).
    const access = (await getStorage()).imageAccess;
    await access.recordUpload(ownerId, stored.hash);
    let previewUrl: string | null = null;
    if (preview) {
      const shown = await store.put(preview);
      await access.recordUpload(ownerId, shown.hash);
      previewUrl = imageUrl(shown.hash);
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
    if ((error instanceof ImageStoreError && error.code === "write_failed") || isStorageError(error)) {
      return refuse("storage_failed", "The studio could not save the image: check that its data directory is writable.");
    }
    throw error;
  }
}
