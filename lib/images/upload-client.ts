import type { ReferenceTrayStore, TrayRejectionCode } from "@/lib/store/reference-tray-store";
import { MAX_UPLOAD_BYTES, formatBytes, isAcceptedMimeType } from "./limits";
import { prepareReferenceImage, readImageHeader, orientedSize, type PreparedImage } from "./prepare-client";
import {
  imageUrl,
  uploadErrorBodySchema,
  uploadedImageSchema,
  type StoredImageDrag,
  type UploadedImage,
} from "./upload-contract";

// Browser side of adding references: reserve a tile, prepare the file, upload it, and move the tile
// along or report why not. Dependencies are injectable so the flow is unit-tested without a browser.

export type UploadOutcome =
  | { ok: true; image: UploadedImage }
  | { ok: false; error: { code: TrayRejectionCode; message: string } };

export const UPLOAD_ENDPOINT = "/api/uploads";

/** Posts one prepared file to the upload route and parses the answer instead of trusting it. */
export async function uploadImage(blob: Blob, name: string, signal?: AbortSignal, fetchImpl: typeof fetch = fetch): Promise<UploadOutcome> {
  const form = new FormData();
  form.append("file", blob, name);
  let response: Response;
  try {
    response = await fetchImpl(UPLOAD_ENDPOINT, { method: "POST", body: form, signal });
  } catch {
    return {
      ok: false,
      error: { code: "network", message: `"${name}" couldn't be uploaded: the studio didn't answer. Check that it is running, then add it again.` },
    };
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 201) {
    const image = uploadedImageSchema.safeParse(body);
    if (image.success) return { ok: true, image: image.data };
  } else {
    const refusal = uploadErrorBodySchema.safeParse(body);
    if (refusal.success) return { ok: false, error: refusal.data.error };
  }
  return {
    ok: false,
    error: { code: "server_error", message: `"${name}" couldn't be uploaded: the studio answered HTTP ${response.status}. Try again.` },
  };
}

export interface StoredImageInfo {
  mimeType: UploadedImage["mimeType"];
  width: number;
  height: number;
  byteLength: number;
}

/** Type, size and bytes of an image the studio already stores, read from its (cached, immutable) URL. */
export async function fetchStoredImageInfo(hash: string, fetchImpl: typeof fetch = fetch): Promise<StoredImageInfo | null> {
  try {
    const response = await fetchImpl(imageUrl(hash));
    if (!response.ok) return null;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const header = readImageHeader(bytes);
    if (!header.mimeType || !isAcceptedMimeType(header.mimeType) || !header.width || !header.height) return null;
    const { width, height } = orientedSize(header.width, header.height, header.orientation);
    return { mimeType: header.mimeType, width, height, byteLength: bytes.byteLength };
  } catch {
    return null;
  }
}

export interface TrayUploaderDeps {
  prepare(file: File): Promise<PreparedImage>;
  upload(blob: Blob, name: string, signal: AbortSignal): Promise<UploadOutcome>;
  storedInfo(hash: string): Promise<StoredImageInfo | null>;
}

const browserDeps: TrayUploaderDeps = {
  prepare: prepareReferenceImage,
  upload: (blob, name, signal) => uploadImage(blob, name, signal),
  storedInfo: (hash) => fetchStoredImageInfo(hash),
};

/** Runs at most `limit` tasks at once: decoding 14 phone photos together can take gigabytes. */
function createLimiter(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

export interface TrayUploader {
  /** Adds files in order; each gets a tile at once, or a reason if the tray is full. */
  addFiles(files: readonly File[]): Promise<void>;
  /** Adds an image the studio already stores (a dragged result) without uploading it again. */
  addStored(image: Pick<StoredImageDrag, "hash"> & Partial<StoredImageDrag>): Promise<void>;
  /** Stops all work in flight (the tray unmounted); the uploader can still be used afterwards. */
  dispose(): void;
}

export function createTrayUploader(store: ReferenceTrayStore, deps: TrayUploaderDeps = browserDeps): TrayUploader {
  const controllers = new Map<string, AbortController>();
  const prepareSlot = createLimiter(2);
  const uploadSlot = createLimiter(3);

  // A tile removed or cleared mid-flight cancels its upload instead of finishing unseen. Subscribed
  // on first use, so creating an uploader has no effect and a disposed one still works if reused.
  let unsubscribe: (() => void) | null = null;
  function watchRemovals() {
    unsubscribe ??= store.subscribe((state) => {
      for (const [id, controller] of controllers) {
        if (!state.items.some((item) => item.id === id)) {
          controller.abort();
          controllers.delete(id);
        }
      }
    });
  }

  async function addFile(file: File): Promise<void> {
    const name = file.name || "Pasted image";
    const added = store.getState().add({ name, originalBytes: file.size });
    if (!added.ok) {
      store.getState().reject({ name, code: "limit_reached", message: `"${name}" wasn't added: ${added.reason}` });
      return;
    }
    const { id } = added;
    watchRemovals();
    const controller = new AbortController();
    controllers.set(id, controller);
    try {
      const prepared = await prepareSlot(() => deps.prepare(file));
      if (controller.signal.aborted) return;
      // Files the browser could not shrink are checked here too, to spare a pointless 50 MB upload.
      if (prepared.preparedBytes > MAX_UPLOAD_BYTES) {
        store.getState().fail(id, {
          code: "too_large",
          message: `"${name}" is ${formatBytes(prepared.preparedBytes)}; reference images can be up to ${formatBytes(MAX_UPLOAD_BYTES)}. Export it smaller or as JPEG.`,
        });
        return;
      }
      store.getState().markUploading(id, { preparedBytes: prepared.preparedBytes, width: prepared.width, height: prepared.height });
      const outcome = await uploadSlot(() => deps.upload(prepared.blob, name, controller.signal));
      if (controller.signal.aborted) return;
      if (outcome.ok) store.getState().markReady(id, outcome.image);
      else store.getState().fail(id, outcome.error);
    } catch {
      store.getState().fail(id, { code: "server_error", message: `"${name}" couldn't be added. Try again.` });
    } finally {
      controllers.delete(id);
    }
  }

  return {
    async addFiles(files) {
      // Each file reserves its tile synchronously, so tiles appear in the order the files came.
      await Promise.all(files.map((file) => addFile(file)));
    },

    async addStored(image) {
      const name = image.fileName ?? `Result ${image.hash.slice(0, 8)}`;
      const known =
        image.mimeType && image.width && image.height && image.byteLength
          ? { mimeType: image.mimeType, width: image.width, height: image.height, byteLength: image.byteLength }
          : await deps.storedInfo(image.hash);
      if (!known) {
        store.getState().reject({ name, code: "not_an_image", message: `"${name}" couldn't be read as a PNG, JPEG or WebP image.` });
        return;
      }
      const added = store.getState().addStored({ ...known, name, hash: image.hash, url: imageUrl(image.hash), previewUrl: null });
      if (!added.ok) {
        store.getState().reject({ name, code: added.reason.includes("already") ? "duplicate" : "limit_reached", message: added.reason });
      }
    },

    dispose() {
      unsubscribe?.();
      unsubscribe = null;
      // The store may outlive the tray; tiles whose work stops here would otherwise wait forever.
      for (const [id, controller] of controllers) {
        controller.abort();
        store.getState().remove(id);
      }
      controllers.clear();
    },
  };
}
