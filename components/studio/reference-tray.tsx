"use client";

import { useCallback, useEffect, useId, useMemo, useRef, useState, type DragEvent } from "react";
import { useDropzone, type FileRejection } from "react-dropzone";
import { useStore } from "zustand";
import { useShallow } from "zustand/react/shallow";
import { useHydrated } from "@/components/ui/use-hydrated";
import type { ReferenceRole } from "@/lib/gemini/types";
import {
  ACCEPTED_MIME_TYPES,
  ACCEPTED_TYPES_LABEL,
  MAX_UPLOAD_BYTES,
  base64Size,
  formatBytes,
} from "@/lib/images/limits";
import { GEMINI_REQUEST_LIMIT_BYTES, MB } from "@/lib/studio/request-size";
import { createTrayUploader } from "@/lib/images/upload-client";
import { STORED_IMAGE_DRAG_TYPE, hashFromImageUrl, storedImageDragSchema, type StoredImageDrag } from "@/lib/images/upload-contract";
import {
  capacity,
  roleOptions,
  selectCounts,
  selectRequestBytes,
  type ReferenceTrayStore,
  type RoleCounts,
  type TrayLimits,
} from "@/lib/store/reference-tray-store";
import { REFERENCE_REORDER_TYPE, ReferenceTile } from "./reference-tile";

export interface ReferenceTrayProps {
  store: ReferenceTrayStore;
  /** The selected model's reference limits (a catalog `ReferenceLimits` fits); null means no separate limit. */
  limits: { total: number; objects: number | null; characters: number | null; totalEnforced?: boolean };
  /** Shown in limits and refusals ("Nano Banana 2 takes up to 14 reference images."). */
  modelName: string;
}

// Extensions matter as much as MIME types: browsers report HEIC files with an empty type.
const ACCEPT: Record<(typeof ACCEPTED_MIME_TYPES)[number], string[]> = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg", ".jfif"],
  "image/webp": [".webp"],
  "image/heic": [".heic"],
  "image/heif": [".heif"],
};
const ACCEPTED_EXTENSIONS = Object.values(ACCEPT).flat();

function isAcceptableFile(file: File): boolean {
  const name = file.name.toLowerCase();
  return (ACCEPTED_MIME_TYPES as readonly string[]).includes(file.type) || ACCEPTED_EXTENSIONS.some((extension) => name.endsWith(extension));
}

/** The browser-side refusal for a file whose name and type are both wrong; content is judged by the server. */
function wrongTypeMessage(file: File): string {
  const name = `"${file.name || "Pasted file"}"`;
  if (file.type === "image/svg+xml" || file.name.toLowerCase().endsWith(".svg")) {
    return `${name} is an SVG drawing; Gemini takes ${ACCEPTED_TYPES_LABEL}. Export it as PNG first.`;
  }
  return `${name} isn't a ${ACCEPTED_TYPES_LABEL} image.`;
}

/** A result image dragged from the studio: the custom payload, else a same-origin /api/images URL. */
function readStoredImageDrag(dataTransfer: DataTransfer): (Pick<StoredImageDrag, "hash"> & Partial<StoredImageDrag>) | null {
  const custom = dataTransfer.getData(STORED_IMAGE_DRAG_TYPE);
  if (custom) {
    try {
      const parsed = storedImageDragSchema.safeParse(JSON.parse(custom));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: fall through to the URL.
    }
  }
  const uri = dataTransfer
    .getData("text/uri-list")
    .split(/\r?\n/)
    .find((line) => line.trim() !== "" && !line.startsWith("#"));
  const hash = uri ? hashFromImageUrl(uri, window.location.origin) : null;
  return hash ? { hash } : null;
}

function isEditable(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || target instanceof HTMLTextAreaElement || (target instanceof HTMLInputElement && target.type !== "file"))
  );
}

function describeCounts(counts: RoleCounts, limits: TrayLimits): string {
  const of = (count: number, limit: number | null) => (limit === null ? `${count}` : `${count}/${limit}`);
  const parts = [`Objects ${of(counts.object, limits.objects)}`, `Characters ${of(counts.character, limits.characters)}`];
  if (counts.style > 0) parts.push(`Styles ${counts.style}`);
  parts.push(`${counts.total}/${capacity(limits)} images`);
  return parts.join(" · ");
}

/** Limits the tray already exceeds, e.g. after switching to a model that takes fewer. */
function describeOverLimits(counts: RoleCounts, limits: TrayLimits): string[] {
  const warnings: string[] = [];
  const name = limits.modelName;
  if (counts.total > capacity(limits)) {
    warnings.push(`${name} takes up to ${capacity(limits)} reference images; remove ${counts.total - capacity(limits)}.`);
  } else if (!limits.totalEnforced && counts.total > limits.total) {
    warnings.push(`${name} works best with up to ${limits.total} reference images.`);
  }
  if (limits.objects !== null && counts.object > limits.objects) {
    warnings.push(`${name} keeps up to ${limits.objects} objects faithful; ${counts.object} are marked as objects.`);
  }
  if (limits.characters !== null && counts.character > limits.characters) {
    warnings.push(`${name} keeps up to ${limits.characters} characters consistent; ${counts.character} are marked as characters.`);
  }
  return warnings;
}

/**
 * The reference-image tray: drop, pick or paste files, or drag a result in; tag each image's role;
 * reorder by drag or keyboard; see what the request will weigh. Everything it holds lives in
 * `store`, so the composer reads the ready references (hashes and roles) from the same store.
 */
export function ReferenceTray({ store, limits, modelName }: ReferenceTrayProps) {
  const hydrated = useHydrated();
  const headingId = useId();
  const hintId = useId();
  const totalEnforced = limits.totalEnforced ?? true;
  useEffect(() => {
    store.getState().setLimits({ modelName, total: limits.total, objects: limits.objects, characters: limits.characters, totalEnforced });
  }, [store, modelName, limits.total, limits.objects, limits.characters, totalEnforced]);

  const items = useStore(store, (state) => state.items);
  const rejections = useStore(store, (state) => state.rejections);
  const cleared = useStore(store, (state) => state.cleared);
  const trayLimits = useStore(store, (state) => state.limits);
  const counts = useStore(store, useShallow(selectCounts));
  const requestBytes = useStore(store, selectRequestBytes);
  const full = counts.total >= capacity(trayLimits);

  // Creating an uploader has no side effects, and a disposed one still works, so React's
  // development double-mount (dispose, then reuse) is harmless.
  const uploader = useMemo(() => createTrayUploader(store), [store]);
  useEffect(() => () => uploader.dispose(), [uploader]);

  const [announcement, setAnnouncement] = useState("");
  const [draggingId, setDraggingId] = useState<string | null>(null);
  const [dropTargetId, setDropTargetId] = useState<string | null>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const addButtonRef = useRef<HTMLButtonElement>(null);
  const undoButtonRef = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useRef<(() => void) | null>(null);

  useEffect(() => {
    focusAfterRender.current?.();
    focusAfterRender.current = null;
  });

  const addFiles = useCallback(
    (files: readonly File[]) => {
      const accepted: File[] = [];
      for (const file of files) {
        if (isAcceptableFile(file)) accepted.push(file);
        else store.getState().reject({ name: file.name || "Pasted file", code: "unsupported_type", message: wrongTypeMessage(file) });
      }
      if (accepted.length > 0) void uploader.addFiles(accepted);
    },
    [store, uploader],
  );

  const onDrop = useCallback(
    (accepted: File[], refused: FileRejection[]) => {
      for (const { file } of refused) {
        store.getState().reject({ name: file.name, code: "unsupported_type", message: wrongTypeMessage(file) });
      }
      if (accepted.length > 0) void uploader.addFiles(accepted);
    },
    [store, uploader],
  );

  const { getRootProps, getInputProps, open, isDragActive } = useDropzone({
    accept: ACCEPT,
    onDrop,
    // The add button opens the picker: a clickable or focusable root would swallow clicks and keys
    // meant for the tiles' controls. Paste is handled for the whole page below.
    noClick: true,
    noKeyboard: true,
    noPaste: true,
  });

  // Paste anywhere in the studio adds images, except when a text field has focus and the clipboard
  // also holds text: then the designer is pasting words that merely came with a picture.
  useEffect(() => {
    function onPaste(event: ClipboardEvent) {
      const data = event.clipboardData;
      if (event.defaultPrevented || !data) return;
      const files = [...data.files];
      if (files.length === 0) return;
      const inTray = event.target instanceof Node && sectionRef.current?.contains(event.target);
      if (!inTray && isEditable(event.target) && data.types.includes("text/plain")) return;
      event.preventDefault();
      addFiles(files);
    }
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, [addFiles]);

  // Runs before react-dropzone's own drop handling: a result dragged in is added by hash, not as a file.
  function onDropStored(event: DragEvent<HTMLElement>) {
    if (event.dataTransfer.types.includes(REFERENCE_REORDER_TYPE)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    const stored = readStoredImageDrag(event.dataTransfer);
    if (!stored) return;
    event.preventDefault();
    event.stopPropagation();
    void uploader.addStored(stored);
  }

  function move(from: number, to: number) {
    const item = store.getState().items[from];
    if (!item) return;
    store.getState().reorder(from, to);
    setAnnouncement(`${item.name} moved to position ${to + 1} of ${store.getState().items.length}.`);
  }

  function remove(id: string) {
    const current = store.getState().items;
    const index = current.findIndex((item) => item.id === id);
    const neighbour = current[index + 1] ?? current[index - 1];
    const removed = current[index];
    store.getState().remove(id);
    if (removed) setAnnouncement(`${removed.name} removed.`);
    // Focus stays in the tray: on the next tile's remove button, else on the add button.
    focusAfterRender.current = () => {
      const next = neighbour
        ? sectionRef.current?.querySelector<HTMLElement>(`[data-reference-id="${neighbour.id}"] [data-testid="reference-remove"]`)
        : null;
      (next ?? addButtonRef.current)?.focus();
    };
  }

  function clearAll() {
    const count = store.getState().items.length;
    store.getState().clear();
    setAnnouncement(`${count} ${count === 1 ? "image" : "images"} cleared.`);
    focusAfterRender.current = () => (undoButtonRef.current ?? addButtonRef.current)?.focus();
  }

  function undoClear() {
    store.getState().undoClear();
    setAnnouncement("Images restored.");
    focusAfterRender.current = () => addButtonRef.current?.focus();
  }

  function setRole(id: string, role: ReferenceRole | null) {
    const result = store.getState().setRole(id, role);
    if (!result.ok) setAnnouncement(result.reason);
  }

  const overLimits = describeOverLimits(counts, trayLimits);
  const requestSize = base64Size(requestBytes);
  const dragOverFromOutside = isDragActive && draggingId === null;

  return (
    <section
      ref={sectionRef}
      data-testid="reference-tray"
      // Lets tests (and scripts) wait until drops, picks and pastes are actually handled.
      data-hydrated={hydrated}
      aria-labelledby={headingId}
      className="flex flex-col gap-2 text-zinc-900 dark:text-zinc-100"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
        <h2 id={headingId} className="text-sm font-medium">
          Reference images
        </h2>
        <p data-testid="reference-count" className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400">
          {describeCounts(counts, trayLimits)}
        </p>
      </div>

      <div
        {...getRootProps({ onDrop: onDropStored, role: "group" })}
        data-testid="reference-dropzone"
        data-drag-active={dragOverFromOutside}
        aria-label="Drop zone for reference images"
        aria-describedby={hintId}
        className={`flex flex-col gap-3 rounded-lg border-2 border-dashed p-3 transition-colors ${
          dragOverFromOutside
            ? "border-banana-500 bg-banana-300/20 dark:bg-banana-500/10"
            : "border-zinc-300 bg-white/50 dark:border-zinc-700 dark:bg-zinc-900/50"
        }`}
      >
        <input {...getInputProps()} data-testid="reference-file-input" aria-label="Choose reference images" />

        {items.length > 0 && (
          <ol aria-label="Reference images, in the order they are sent" className="grid grid-cols-[repeat(auto-fill,minmax(7.5rem,1fr))] gap-2">
            {items.map((item, index) => (
              <ReferenceTile
                key={item.id}
                item={item}
                index={index}
                count={items.length}
                roleOptions={roleOptions({ items, limits: trayLimits }, item.id)}
                dropIndicator={dropTargetId === item.id && draggingId !== item.id}
                onRole={(role) => setRole(item.id, role)}
                onMove={(to) => move(index, to)}
                onRemove={() => remove(item.id)}
                onReorderDragStart={() => setDraggingId(item.id)}
                onReorderDragOver={() => setDropTargetId(item.id)}
                onReorderDrop={() => {
                  const from = items.findIndex((candidate) => candidate.id === draggingId);
                  if (from !== -1) move(from, index);
                  setDraggingId(null);
                  setDropTargetId(null);
                }}
                onReorderDragEnd={() => {
                  setDraggingId(null);
                  setDropTargetId(null);
                }}
              />
            ))}
          </ol>
        )}

        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <button
            ref={addButtonRef}
            type="button"
            aria-disabled={full}
            onClick={() => {
              if (full) setAnnouncement(`${trayLimits.modelName} takes up to ${capacity(trayLimits)} reference images.`);
              else open();
            }}
            className="rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-zinc-100 aria-disabled:cursor-not-allowed aria-disabled:opacity-50 dark:border-zinc-600 dark:bg-zinc-800 dark:hover:bg-zinc-700"
          >
            Add images
          </button>
          <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
            {full
              ? `Full: ${trayLimits.modelName} takes up to ${capacity(trayLimits)} images.`
              : `Drop, paste or drag a result here. ${ACCEPTED_TYPES_LABEL}, up to ${formatBytes(MAX_UPLOAD_BYTES)} each; large images are downscaled first.`}
          </p>
        </div>
      </div>

      {rejections.length > 0 && (
        <ul aria-label="Files not added" className="flex flex-col gap-1">
          {rejections.map((rejection) => (
            <li
              key={rejection.id}
              role="alert"
              data-testid="reference-error"
              data-code={rejection.code}
              className="flex items-start justify-between gap-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-xs text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
            >
              <span>{rejection.message}</span>
              <button
                type="button"
                aria-label={`Dismiss: ${rejection.message}`}
                onClick={() => store.getState().dismissRejection(rejection.id)}
                className="shrink-0 rounded px-1 hover:bg-red-100 dark:hover:bg-red-900"
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}

      {overLimits.map((warning) => (
        <p key={warning} className="text-xs text-amber-700 dark:text-amber-400">
          {warning}
        </p>
      ))}

      <div className="flex flex-wrap items-center justify-between gap-2 text-xs text-zinc-600 dark:text-zinc-400">
        <p
          data-testid="reference-request-size"
          data-bytes={requestBytes}
          title="References travel base64-encoded inside the request, which adds a third to their size."
          className="tabular-nums"
        >
          Images {formatBytes(requestBytes)} · request ≈ {formatBytes(requestSize)}
          {requestSize > GEMINI_REQUEST_LIMIT_BYTES && (
            <span className="ml-1 font-medium text-red-700 dark:text-red-400">
              — over Gemini&apos;s {GEMINI_REQUEST_LIMIT_BYTES / MB} MB limit; remove some images.
            </span>
          )}
        </p>
        {cleared && cleared.length > 0 && items.length === 0 ? (
          <p role="status" className="flex items-center gap-2">
            Cleared {cleared.length} {cleared.length === 1 ? "image" : "images"}.
            <button
              ref={undoButtonRef}
              type="button"
              data-testid="reference-undo-clear"
              onClick={undoClear}
              className="rounded px-2 py-1 font-medium text-zinc-900 underline hover:bg-zinc-200 dark:text-zinc-100 dark:hover:bg-zinc-800"
            >
              Undo
            </button>
          </p>
        ) : (
          items.length > 0 && (
            <button
              type="button"
              data-testid="reference-clear"
              onClick={clearAll}
              className="rounded px-2 py-1 font-medium text-zinc-700 hover:bg-zinc-200 dark:text-zinc-300 dark:hover:bg-zinc-800"
            >
              Clear all
            </button>
          )
        )}
      </div>

      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
    </section>
  );
}
