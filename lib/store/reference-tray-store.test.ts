import { describe, expect, it } from "vitest";
import type { UploadedImage } from "@/lib/images/upload-contract";
import {
  createReferenceTrayStore,
  roleOptions,
  selectCounts,
  selectIsBusy,
  selectReadyReferences,
  selectRequestBytes,
  type TrayLimits,
} from "./reference-tray-store";

const FLASH: TrayLimits = { modelName: "Nano Banana 2", total: 14, objects: 10, characters: 4, totalEnforced: true };

const uploaded = (n: number): UploadedImage => ({
  hash: n.toString(16).padStart(64, "0"),
  url: `/api/images/${n.toString(16).padStart(64, "0")}`,
  mimeType: "image/jpeg",
  width: 100,
  height: 80,
  byteLength: 1_000 * n,
  previewUrl: null,
});

function addReady(store: ReturnType<typeof createReferenceTrayStore>, n: number): string {
  const added = store.getState().add({ name: `image-${n}.jpg`, originalBytes: 5_000 * n });
  if (!added.ok) throw new Error(added.reason);
  store.getState().markUploading(added.id, { preparedBytes: 1_000 * n, width: 100, height: 80 });
  store.getState().markReady(added.id, uploaded(n));
  return added.id;
}

describe("reference tray store", () => {
  it("moves a tile from preparing through uploading to ready", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    const added = store.getState().add({ name: "cat.jpg", originalBytes: 8_000_000 });
    if (!added.ok) throw new Error(added.reason);
    expect(store.getState().items[0]).toMatchObject({ status: "preparing", preparedBytes: null, role: null });
    expect(selectIsBusy(store.getState())).toBe(true);
    store.getState().markUploading(added.id, { preparedBytes: 2_000_000, width: 3072, height: 2304 });
    expect(store.getState().items[0]).toMatchObject({ status: "uploading", preparedBytes: 2_000_000, width: 3072 });
    store.getState().markReady(added.id, { ...uploaded(1), byteLength: 2_000_000 });
    expect(store.getState().items[0]).toMatchObject({ status: "ready", hash: uploaded(1).hash });
    expect(selectIsBusy(store.getState())).toBe(false);
  });

  it("refuses the 15th image and leaves the 14 untouched", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    for (let n = 1; n <= 14; n += 1) addReady(store, n);
    const before = store.getState().items;
    const refused = store.getState().add({ name: "one-too-many.png", originalBytes: 10 });
    expect(refused).toEqual({ ok: false, reason: "Nano Banana 2 takes up to 14 reference images." });
    expect(store.getState().items).toBe(before);
  });

  it("takes fewer where the model takes fewer, and up to 14 where its limit is only advice", () => {
    const strict = createReferenceTrayStore({ limits: { ...FLASH, total: 2 } });
    addReady(strict, 1);
    addReady(strict, 2);
    expect(strict.getState().add({ name: "x.png", originalBytes: 1 }).ok).toBe(false);

    const advisory = createReferenceTrayStore({ limits: { modelName: "Nano Banana", total: 3, objects: null, characters: null, totalEnforced: false } });
    for (let n = 1; n <= 14; n += 1) addReady(advisory, n);
    expect(advisory.getState().add({ name: "x.png", originalBytes: 1 })).toEqual({
      ok: false,
      reason: "The studio sends up to 14 reference images.",
    });
  });

  it("reports a failed file without touching the other tiles", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    const first = addReady(store, 1);
    store.getState().setRole(first, "character");
    const before = store.getState().items[0];
    const added = store.getState().add({ name: "notes.jpg", originalBytes: 20 });
    if (!added.ok) throw new Error(added.reason);
    store.getState().fail(added.id, { code: "not_an_image", message: '"notes.jpg" isn\'t an image.' });
    expect(store.getState().items).toEqual([before]);
    expect(store.getState().items[0]).toBe(before);
    expect(store.getState().rejections).toEqual([
      expect.objectContaining({ name: "notes.jpg", code: "not_an_image", message: '"notes.jpg" isn\'t an image.' }),
    ]);
    store.getState().dismissRejection(store.getState().rejections[0]?.id ?? "");
    expect(store.getState().rejections).toEqual([]);
  });

  it("ignores the outcome of an upload whose tile was removed meanwhile", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    const added = store.getState().add({ name: "gone.png", originalBytes: 1 });
    if (!added.ok) throw new Error(added.reason);
    store.getState().remove(added.id);
    store.getState().markReady(added.id, uploaded(1));
    store.getState().fail(added.id, { code: "network", message: "offline" });
    expect(store.getState().items).toEqual([]);
    expect(store.getState().rejections).toEqual([]);
  });

  it("refuses the same image twice, whichever way it arrives", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    addReady(store, 1);
    const again = store.getState().add({ name: "copy.jpg", originalBytes: 1 });
    if (!again.ok) throw new Error(again.reason);
    store.getState().markReady(again.id, uploaded(1));
    expect(store.getState().items).toHaveLength(1);
    expect(store.getState().rejections[0]).toMatchObject({ code: "duplicate", message: '"copy.jpg" is already in the tray (as "image-1.jpg").' });
    expect(store.getState().addStored({ ...uploaded(1), name: "result.png" })).toEqual({ ok: false, reason: '"result.png" is already in the tray.' });
  });

  it("adds a stored result ready, without an upload", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    expect(store.getState().addStored({ ...uploaded(7), name: "gen-cat.png" })).toEqual({ ok: true });
    expect(store.getState().items[0]).toMatchObject({ status: "ready", source: "stored", preparedBytes: 7_000, hash: uploaded(7).hash });
  });

  it("enforces the per-model object and character limits and explains them", () => {
    const store = createReferenceTrayStore({ limits: { ...FLASH, characters: 2 } });
    const ids = [1, 2, 3].map((n) => addReady(store, n));
    const [a = "", b = "", c = ""] = ids;
    expect(store.getState().setRole(a, "character")).toEqual({ ok: true });
    expect(store.getState().setRole(b, "character")).toEqual({ ok: true });
    const before = store.getState().items;
    expect(store.getState().setRole(c, "character")).toEqual({ ok: false, reason: "Nano Banana 2 keeps up to 2 characters faithful." });
    expect(store.getState().items).toBe(before);
    expect(roleOptions(store.getState(), c).find((option) => option.role === "character")).toMatchObject({ enabled: false });
    // The tiles that hold the role may keep it, and style has no limit.
    expect(roleOptions(store.getState(), a).every((option) => option.enabled)).toBe(true);
    expect(store.getState().setRole(c, "style")).toEqual({ ok: true });
    expect(selectCounts(store.getState())).toEqual({ total: 3, object: 0, character: 2, style: 1, untagged: 0 });
  });

  it("reorders, and ignores moves out of range", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    [1, 2, 3].forEach((n) => addReady(store, n));
    const names = () => store.getState().items.map((item) => item.name);
    store.getState().reorder(0, 2);
    expect(names()).toEqual(["image-2.jpg", "image-3.jpg", "image-1.jpg"]);
    store.getState().reorder(2, 1);
    expect(names()).toEqual(["image-2.jpg", "image-1.jpg", "image-3.jpg"]);
    const before = store.getState().items;
    store.getState().reorder(0, 3);
    store.getState().reorder(-1, 0);
    expect(store.getState().items).toBe(before);
  });

  it("clears and undoes the clear, until something new is added", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    [1, 2].forEach((n) => addReady(store, n));
    const before = store.getState().items;
    store.getState().clear();
    expect(store.getState().items).toEqual([]);
    store.getState().undoClear();
    expect(store.getState().items).toEqual(before);
    store.getState().clear();
    addReady(store, 3);
    store.getState().undoClear();
    expect(store.getState().items.map((item) => item.name)).toEqual(["image-3.jpg"]);
  });

  it("sums the prepared bytes and lists ready references with hashes and roles, in order", () => {
    const store = createReferenceTrayStore({ limits: FLASH });
    const first = addReady(store, 1);
    addReady(store, 2);
    store.getState().add({ name: "pending.png", originalBytes: 99 });
    store.getState().setRole(first, "object");
    expect(selectRequestBytes(store.getState())).toBe(3_000);
    expect(selectReadyReferences(store.getState()).map(({ name, width }) => [name, width])).toEqual([
      ["image-1.jpg", 100],
      ["image-2.jpg", 100],
    ]);
    expect(selectReadyReferences(store.getState()).map(({ hash, role }) => ({ hash, role }))).toEqual([
      { hash: uploaded(1).hash, role: "object" },
      { hash: uploaded(2).hash, role: null },
    ]);
  });
});
