import { createStore, type StoreApi } from "zustand/vanilla";
import { REFERENCE_ROLES, type ReferenceRole } from "@/lib/gemini/types";
import { MAX_REFERENCES, type AcceptedMimeType } from "@/lib/images/limits";
import type { UploadErrorCode, UploadedImage } from "@/lib/images/upload-contract";

// The reference tray's client state. Vanilla (no React) so a provider can own one per studio and
// tests can drive it directly. Every refusal leaves `items` exactly as it was: a rejected file is
// reported in `rejections`, never turned into a broken tile or a change to someone else's tile.

export type ReferenceStatus = "preparing" | "uploading" | "ready";

export interface ReferenceItem {
  id: string;
  status: ReferenceStatus;
  /** The file name, or a result's name when it came from the studio's own output. */
  name: string;
  role: ReferenceRole | null;
  /** "upload": picked, dropped or pasted; "stored": an image the studio already had (a result). */
  source: "upload" | "stored";
  hash?: string;
  url?: string;
  /** A browser-viewable stand-in (JPEG for HEIC); null when the server could not make one. */
  previewUrl?: string | null;
  mimeType?: AcceptedMimeType;
  width?: number;
  height?: number;
  originalBytes: number;
  /** What goes to Gemini; null until known. */
  preparedBytes: number | null;
}

export type ReadyReference = Required<Pick<ReferenceItem, "id" | "hash" | "url" | "mimeType" | "width" | "height">> &
  Pick<ReferenceItem, "name" | "role" | "previewUrl" | "preparedBytes">;

export type TrayRejectionCode = UploadErrorCode | "limit_reached" | "duplicate" | "network" | "server_error";

export interface TrayRejection {
  id: string;
  name: string;
  code: TrayRejectionCode;
  message: string;
}

export interface TrayLimits {
  /** Shown in reasons ("Nano Banana 2 takes up to 14 images"). */
  modelName: string;
  total: number;
  /** Null when the model has no separate limit for the role. */
  objects: number | null;
  characters: number | null;
  /** False when `total` is advice: the tray then allows up to MAX_REFERENCES and warns. */
  totalEnforced: boolean;
}

export type TrayResult = { ok: true } | { ok: false; reason: string };

export interface ReferenceTrayState {
  items: ReferenceItem[];
  rejections: TrayRejection[];
  limits: TrayLimits;
  /** What the last "Clear all" removed, until undone or until the tray changes again. */
  cleared: ReferenceItem[] | null;

  setLimits(limits: TrayLimits): void;
  /** Reserves a tile for a file that is about to be prepared and uploaded; refused at the limit. */
  add(file: { name: string; originalBytes: number }): { ok: true; id: string } | { ok: false; reason: string };
  /** Adds an image the studio already stores (a result dragged into the tray), ready at once. */
  addStored(image: Omit<UploadedImage, "byteLength"> & { name: string; byteLength: number }): TrayResult;
  markUploading(id: string, prepared: { preparedBytes: number; width: number | null; height: number | null }): void;
  markReady(id: string, image: UploadedImage): void;
  /** The file was refused: its tile goes away and the reason is reported. */
  fail(id: string, error: { code: TrayRejectionCode; message: string }): void;
  /** A file refused before it got a tile. */
  reject(rejection: { name: string; code: TrayRejectionCode; message: string }): void;
  dismissRejection(id: string): void;
  remove(id: string): void;
  clear(): void;
  undoClear(): void;
  reorder(from: number, to: number): void;
  setRole(id: string, role: ReferenceRole | null): TrayResult;
}

export type ReferenceTrayStore = StoreApi<ReferenceTrayState>;

export const DEFAULT_TRAY_LIMITS: TrayLimits = {
  modelName: "The selected model",
  total: MAX_REFERENCES,
  objects: null,
  characters: null,
  totalEnforced: true,
};

/** Rejections kept on screen; older ones drop off so a big refused drop cannot flood the tray. */
const MAX_REJECTIONS = 20;

let nextId = 0;
function newId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${Date.now().toString(36)}-${nextId}`;
}

/** How many images the tray accepts for these limits: the model's total, or 14 when it is only advice. */
export function capacity(limits: TrayLimits): number {
  return Math.min(MAX_REFERENCES, limits.totalEnforced ? limits.total : MAX_REFERENCES);
}

export function limitReason(limits: TrayLimits): string {
  return limits.totalEnforced
    ? `${limits.modelName} takes up to ${capacity(limits)} reference images.`
    : `The studio sends up to ${MAX_REFERENCES} reference images.`;
}

export interface RoleCounts {
  total: number;
  object: number;
  character: number;
  style: number;
  untagged: number;
}

export function selectCounts(state: Pick<ReferenceTrayState, "items">): RoleCounts {
  const counts: RoleCounts = { total: state.items.length, object: 0, character: 0, style: 0, untagged: 0 };
  for (const item of state.items) counts[item.role ?? "untagged"] += 1;
  return counts;
}

/** Sum of the bytes that will go to Gemini (before base64), for tiles whose size is known. */
export function selectRequestBytes(state: Pick<ReferenceTrayState, "items">): number {
  return state.items.reduce((sum, item) => sum + (item.preparedBytes ?? 0), 0);
}

export function selectIsBusy(state: Pick<ReferenceTrayState, "items">): boolean {
  return state.items.some((item) => item.status !== "ready");
}

/** The references to send with a generation, in tray order: content hashes and roles. */
export function selectReadyReferences(state: Pick<ReferenceTrayState, "items">): ReadyReference[] {
  const ready: ReadyReference[] = [];
  for (const item of state.items) {
    if (item.status !== "ready" || !item.hash || !item.url || !item.mimeType || !item.width || !item.height) continue;
    const { id, hash, url, mimeType, width, height, name, role, previewUrl, preparedBytes } = item;
    ready.push({ id, hash, url, mimeType, width, height, name, role, previewUrl, preparedBytes });
  }
  return ready;
}

export interface RoleOption {
  role: ReferenceRole | null;
  enabled: boolean;
  /** Why the role cannot be chosen for this tile; null when it can. */
  reason: string | null;
}

const ROLE_LABEL: Record<ReferenceRole, string> = { object: "objects", character: "characters", style: "styles" };

function roleLimit(limits: TrayLimits, role: ReferenceRole): number | null {
  if (role === "object") return limits.objects;
  if (role === "character") return limits.characters;
  return null;
}

/** Which roles a tile may take: a role at its model limit is refused unless the tile already has it. */
export function roleOptions(state: Pick<ReferenceTrayState, "items" | "limits">, id: string): RoleOption[] {
  const current = state.items.find((item) => item.id === id)?.role ?? null;
  const counts = selectCounts(state);
  const options: RoleOption[] = [{ role: null, enabled: true, reason: null }];
  for (const role of REFERENCE_ROLES) {
    const limit = roleLimit(state.limits, role);
    const full = limit !== null && current !== role && counts[role] >= limit;
    options.push({
      role,
      enabled: !full,
      reason: full ? `${state.limits.modelName} keeps up to ${limit} ${ROLE_LABEL[role]} faithful.` : null,
    });
  }
  return options;
}

export function createReferenceTrayStore(initial: Partial<Pick<ReferenceTrayState, "items" | "limits">> = {}): ReferenceTrayStore {
  return createStore<ReferenceTrayState>()((set, get) => {
    const update = (id: string, patch: (item: ReferenceItem) => ReferenceItem | null) =>
      set((state) => {
        const index = state.items.findIndex((item) => item.id === id);
        const item = state.items[index];
        if (!item) return state;
        const next = patch(item);
        return { items: next ? state.items.with(index, next) : state.items.toSpliced(index, 1) };
      });

    const pushRejection = (rejection: Omit<TrayRejection, "id">) =>
      set((state) => ({ rejections: [...state.rejections, { id: newId("rejection"), ...rejection }].slice(-MAX_REJECTIONS) }));

    return {
      items: initial.items ?? [],
      rejections: [],
      limits: initial.limits ?? DEFAULT_TRAY_LIMITS,
      cleared: null,

      setLimits(limits) {
        set({ limits });
      },

      add({ name, originalBytes }) {
        const { items, limits } = get();
        if (items.length >= capacity(limits)) return { ok: false, reason: limitReason(limits) };
        const id = newId("reference");
        const item: ReferenceItem = { id, status: "preparing", name, role: null, source: "upload", originalBytes, preparedBytes: null };
        set({ items: [...items, item], cleared: null });
        return { ok: true, id };
      },

      addStored(image) {
        const { items, limits } = get();
        if (items.length >= capacity(limits)) return { ok: false, reason: limitReason(limits) };
        if (items.some((item) => item.hash === image.hash)) return { ok: false, reason: `"${image.name}" is already in the tray.` };
        const item: ReferenceItem = {
          id: newId("reference"),
          status: "ready",
          name: image.name,
          role: null,
          source: "stored",
          hash: image.hash,
          url: image.url,
          previewUrl: image.previewUrl,
          mimeType: image.mimeType,
          width: image.width,
          height: image.height,
          originalBytes: image.byteLength,
          preparedBytes: image.byteLength,
        };
        set({ items: [...items, item], cleared: null });
        return { ok: true };
      },

      markUploading(id, prepared) {
        update(id, (item) => ({
          ...item,
          status: "uploading",
          preparedBytes: prepared.preparedBytes,
          width: prepared.width ?? item.width,
          height: prepared.height ?? item.height,
        }));
      },

      markReady(id, image) {
        const duplicate = get().items.find((item) => item.id !== id && item.hash === image.hash);
        if (duplicate) {
          const name = get().items.find((item) => item.id === id)?.name ?? "image";
          const as = duplicate.name === name ? "" : ` (as "${duplicate.name}")`;
          get().fail(id, { code: "duplicate", message: `"${name}" is already in the tray${as}.` });
          return;
        }
        update(id, (item) => ({
          ...item,
          status: "ready",
          hash: image.hash,
          url: image.url,
          previewUrl: image.previewUrl,
          mimeType: image.mimeType,
          width: image.width,
          height: image.height,
          preparedBytes: image.byteLength,
        }));
      },

      fail(id, error) {
        const item = get().items.find((candidate) => candidate.id === id);
        // A tile removed or cleared while its upload ran has nothing left to report.
        if (!item) return;
        update(id, () => null);
        pushRejection({ name: item.name, ...error });
      },

      reject(rejection) {
        pushRejection(rejection);
      },

      dismissRejection(id) {
        set((state) => ({ rejections: state.rejections.filter((rejection) => rejection.id !== id) }));
      },

      remove(id) {
        update(id, () => null);
      },

      clear() {
        const { items } = get();
        if (items.length === 0) return;
        set({ items: [], cleared: items.filter((item) => item.status === "ready") });
      },

      undoClear() {
        const { cleared, items, limits } = get();
        if (!cleared) return;
        // Anything added since would have reset `cleared`, so the tray is empty and the old order returns.
        set({ items: [...cleared, ...items].slice(0, capacity(limits)), cleared: null });
      },

      reorder(from, to) {
        const { items } = get();
        const moving = items[from];
        if (!moving || to < 0 || to >= items.length || from === to) return;
        set({ items: items.toSpliced(from, 1).toSpliced(to, 0, moving) });
      },

      setRole(id, role) {
        const option = roleOptions(get(), id).find((candidate) => candidate.role === role);
        if (!get().items.some((item) => item.id === id) || !option) return { ok: false, reason: "No such image in the tray." };
        if (!option.enabled) return { ok: false, reason: option.reason ?? "That role is full." };
        update(id, (item) => ({ ...item, role }));
        return { ok: true };
      },
    };
  });
}
