import { describe, expect, it, vi } from "vitest";
import { createReferenceTrayStore } from "@/lib/store/reference-tray-store";
import { MAX_UPLOAD_BYTES } from "./limits";
import type { PreparedImage } from "./prepare-client";
import { createTrayUploader, uploadImage, type TrayUploaderDeps, type UploadOutcome } from "./upload-client";
import type { UploadedImage } from "./upload-contract";

const LIMITS = { modelName: "Nano Banana 2", total: 14, objects: 10, characters: 4, totalEnforced: true };

const hashOf = (name: string) => Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64);

function uploadedFor(name: string, size: number): UploadedImage {
  const hash = hashOf(name);
  return { hash, url: `/api/images/${hash}`, mimeType: "image/jpeg", width: 10, height: 10, byteLength: size, previewUrl: null };
}

function fakeDeps(overrides: Partial<TrayUploaderDeps> = {}): TrayUploaderDeps {
  return {
    async prepare(file): Promise<PreparedImage> {
      const preparedBytes = Math.min(file.size, 1_000);
      const blob = file.slice(0, preparedBytes);
      return { blob, mimeType: "image/jpeg", width: 10, height: 10, originalBytes: file.size, preparedBytes, reencoded: file.size > 1_000 };
    },
    async upload(blob, name): Promise<UploadOutcome> {
      if (name.endsWith(".txt.jpg")) return { ok: false, error: { code: "not_an_image", message: `"${name}" isn't an image.` } };
      return { ok: true, image: uploadedFor(name, blob.size) };
    },
    async storedInfo() {
      return { mimeType: "image/png", width: 20, height: 10, byteLength: 4_000 };
    },
    ...overrides,
  };
}

const file = (name: string, size = 100) => new File([new Uint8Array(size)], name, { type: "image/jpeg" });

describe("tray uploader", () => {
  it("adds files in order and makes them ready", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    await createTrayUploader(store, fakeDeps()).addFiles([file("a.jpg"), file("b.jpg", 5_000)]);
    expect(store.getState().items.map((item) => [item.name, item.status, item.originalBytes, item.preparedBytes])).toEqual([
      ["a.jpg", "ready", 100, 100],
      ["b.jpg", "ready", 5_000, 1_000],
    ]);
  });

  it("reports a refused file by name and keeps the others", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    const uploader = createTrayUploader(store, fakeDeps());
    await uploader.addFiles([file("keep.jpg")]);
    const before = store.getState().items;
    await uploader.addFiles([file("notes.txt.jpg")]);
    expect(store.getState().items).toEqual(before);
    expect(store.getState().rejections).toEqual([expect.objectContaining({ code: "not_an_image", name: "notes.txt.jpg" })]);
  });

  it("refuses the 15th of 15 files with the model's limit", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    await createTrayUploader(store, fakeDeps()).addFiles(Array.from({ length: 15 }, (_, n) => file(`img-${n + 1}.jpg`)));
    expect(store.getState().items).toHaveLength(14);
    expect(store.getState().items.every((item) => item.status === "ready")).toBe(true);
    expect(store.getState().rejections).toEqual([
      expect.objectContaining({ name: "img-15.jpg", code: "limit_reached", message: '"img-15.jpg" wasn\'t added: Nano Banana 2 takes up to 14 reference images.' }),
    ]);
  });

  it("refuses a file the browser could not shrink below the upload limit, without uploading it", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    const upload = vi.fn(fakeDeps().upload);
    const deps = fakeDeps({
      upload,
      async prepare(input) {
        return { blob: input, mimeType: "image/heic", width: null, height: null, originalBytes: MAX_UPLOAD_BYTES + 1, preparedBytes: MAX_UPLOAD_BYTES + 1, reencoded: false };
      },
    });
    await createTrayUploader(store, deps).addFiles([file("huge.heic")]);
    expect(upload).not.toHaveBeenCalled();
    expect(store.getState().items).toEqual([]);
    expect(store.getState().rejections[0]).toMatchObject({ code: "too_large" });
  });

  it("cancels the upload of a tile removed while it was in flight", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    let seenSignal: AbortSignal | undefined;
    const deps = fakeDeps({
      upload: (_blob, name, signal) => {
        seenSignal = signal;
        return new Promise<UploadOutcome>((resolve) => signal.addEventListener("abort", () => resolve({ ok: true, image: uploadedFor(name, 1) })));
      },
    });
    const pending = createTrayUploader(store, deps).addFiles([file("slow.jpg")]);
    await vi.waitFor(() => expect(store.getState().items[0]?.status).toBe("uploading"));
    store.getState().clear();
    await pending;
    expect(seenSignal?.aborted).toBe(true);
    expect(store.getState().items).toEqual([]);
    expect(store.getState().rejections).toEqual([]);
  });

  it("adds a stored result without uploading, reading its size when the drag did not carry it", async () => {
    const store = createReferenceTrayStore({ limits: LIMITS });
    const upload = vi.fn(fakeDeps().upload);
    const uploader = createTrayUploader(store, fakeDeps({ upload }));
    await uploader.addStored({ hash: hashOf("result"), fileName: "gen-cat.png" });
    expect(upload).not.toHaveBeenCalled();
    expect(store.getState().items[0]).toMatchObject({ name: "gen-cat.png", status: "ready", width: 20, preparedBytes: 4_000 });
    await uploader.addStored({ hash: hashOf("result"), fileName: "gen-cat.png" });
    expect(store.getState().items).toHaveLength(1);
    expect(store.getState().rejections[0]).toMatchObject({ code: "duplicate" });
  });
});

describe("uploadImage", () => {
  const respond = (status: number, body: unknown) => vi.fn(async () => Response.json(body, { status })) as unknown as typeof fetch;

  it("returns the parsed image on 201", async () => {
    const image = uploadedFor("x", 5);
    expect(await uploadImage(new Blob(["x"]), "x.png", undefined, respond(201, image))).toEqual({ ok: true, image });
  });

  it("returns the server's typed refusal", async () => {
    const refusal = { error: { code: "truncated", message: '"x.png" looks damaged.' } };
    expect(await uploadImage(new Blob(["x"]), "x.png", undefined, respond(422, refusal))).toEqual({ ok: false, error: refusal.error });
  });

  it("does not trust a malformed answer or a network failure", async () => {
    expect(await uploadImage(new Blob(["x"]), "x.png", undefined, respond(201, { hash: "nope" }))).toMatchObject({
      ok: false,
      error: { code: "server_error" },
    });
    const offline = vi.fn(async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    expect(await uploadImage(new Blob(["x"]), "x.png", undefined, offline)).toMatchObject({ ok: false, error: { code: "network" } });
  });
});
