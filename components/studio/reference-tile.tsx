"use client";

import { useId, useState, type DragEvent, type KeyboardEvent } from "react";
import type { ReferenceRole } from "@/lib/gemini/types";
import { formatBytes } from "@/lib/images/limits";
import type { ReferenceItem, RoleOption } from "@/lib/store/reference-tray-store";

/** Marks a drag that started on a tile, so a drop reorders instead of adding. */
export const REFERENCE_REORDER_TYPE = "application/x-nano-banana-reference";

const ROLE_NAMES: Record<ReferenceRole, string> = { object: "Object", character: "Character", style: "Style" };

const STATUS_TEXT: Record<ReferenceItem["status"], string> = {
  preparing: "Preparing…",
  uploading: "Uploading…",
  ready: "Ready",
};

interface ReferenceTileProps {
  item: ReferenceItem;
  index: number;
  count: number;
  roleOptions: RoleOption[];
  /** A reorder drag is over this tile: show where the dragged tile will land. */
  dropIndicator: boolean;
  onRole(role: ReferenceRole | null): void;
  onMove(to: number): void;
  onRemove(): void;
  onReorderDragStart(): void;
  onReorderDragOver(): void;
  onReorderDrop(): void;
  onReorderDragEnd(): void;
}

function isReorderDrag(event: DragEvent): boolean {
  return event.dataTransfer.types.includes(REFERENCE_REORDER_TYPE);
}

/** The thumbnail: the stored image, the server's JPEG preview for HEIC, or a named placeholder. */
function Thumbnail({ item }: { item: ReferenceItem }) {
  const [broken, setBroken] = useState(false);
  const source = item.previewUrl ?? item.url;
  if (item.status !== "ready" || !source || broken) {
    const heif = item.mimeType === "image/heic" || item.mimeType === "image/heif";
    return (
      <div className="flex h-full w-full flex-col items-center justify-center gap-1 p-2 text-center text-[11px] text-zinc-500 dark:text-zinc-400">
        {item.status === "ready" ? (
          <>
            <svg aria-hidden viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.5">
              <rect x="3" y="5" width="18" height="14" rx="2" />
              <circle cx="9" cy="10" r="1.5" />
              <path d="m4 17 5-5 4 4 3-3 4 4" />
            </svg>
            <span>{heif ? "HEIC — no preview in this browser" : "No preview"}</span>
          </>
        ) : (
          <span className="animate-pulse">{STATUS_TEXT[item.status]}</span>
        )}
      </div>
    );
  }
  return (
    // eslint-disable-next-line @next/next/no-img-element -- stored images are served as-is by hash; next/image would re-encode them
    <img
      src={source}
      alt=""
      draggable={false}
      // Safari shows HEIC natively; elsewhere the original fails to load and the placeholder takes over.
      onError={() => setBroken(true)}
      className="h-full w-full object-cover"
    />
  );
}

export function ReferenceTile(props: ReferenceTileProps) {
  const { item, index, count, roleOptions, dropIndicator } = props;
  const roleId = useId();
  const first = index === 0;
  const last = index === count - 1;
  const resized = item.preparedBytes !== null && item.preparedBytes < item.originalBytes;

  function onKeyDown(event: KeyboardEvent) {
    // Alt+Arrow moves the tile from any of its controls; Alt+Left would otherwise go back a page.
    if (!event.altKey || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    event.preventDefault();
    const to = index + (event.key === "ArrowLeft" ? -1 : 1);
    if (to >= 0 && to < count) props.onMove(to);
  }

  const moveButton =
    "rounded px-1.5 py-0.5 text-xs text-zinc-700 hover:bg-zinc-200 aria-disabled:cursor-not-allowed aria-disabled:opacity-40 aria-disabled:hover:bg-transparent dark:text-zinc-300 dark:hover:bg-zinc-700";

  return (
    <li
      data-testid="reference-item"
      data-status={item.status}
      data-reference-id={item.id}
      data-name={item.name}
      data-role={item.role ?? ""}
      data-width={item.width ?? ""}
      data-height={item.height ?? ""}
      data-original-bytes={item.originalBytes}
      data-prepared-bytes={item.preparedBytes ?? ""}
      aria-label={`${item.name}, image ${index + 1} of ${count}`}
      aria-busy={item.status !== "ready"}
      draggable
      onDragStart={(event) => {
        event.dataTransfer.setData(REFERENCE_REORDER_TYPE, item.id);
        event.dataTransfer.effectAllowed = "move";
        props.onReorderDragStart();
      }}
      onDragOver={(event) => {
        if (!isReorderDrag(event)) return;
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = "move";
        props.onReorderDragOver();
      }}
      onDrop={(event) => {
        if (!isReorderDrag(event)) return;
        event.preventDefault();
        event.stopPropagation();
        props.onReorderDrop();
      }}
      onDragEnd={props.onReorderDragEnd}
      onKeyDown={onKeyDown}
      className={`relative flex cursor-grab flex-col gap-1 rounded-lg border bg-white p-1.5 shadow-sm active:cursor-grabbing dark:bg-zinc-900 ${
        dropIndicator ? "border-banana-500 ring-2 ring-banana-400" : "border-zinc-200 dark:border-zinc-700"
      }`}
    >
      <div className="aspect-square overflow-hidden rounded-md bg-zinc-100 dark:bg-zinc-800">
        <Thumbnail item={item} />
      </div>
      <p className="truncate text-xs font-medium" title={item.name}>
        <span className="text-zinc-500 tabular-nums dark:text-zinc-400">{index + 1}.</span> {item.name}
      </p>
      <p className="text-[11px] leading-tight text-zinc-500 tabular-nums dark:text-zinc-400">
        <span className="block">{item.width && item.height ? `${item.width} × ${item.height}` : STATUS_TEXT[item.status]}</span>
        {item.preparedBytes !== null && (
          <span className="block">
            {formatBytes(item.preparedBytes)}
            {resized && <span title="Downscaled and re-encoded in the browser before upload"> (was {formatBytes(item.originalBytes)})</span>}
          </span>
        )}
      </p>
      <label htmlFor={roleId} className="sr-only">
        Role of {item.name}
      </label>
      <select
        id={roleId}
        data-testid="reference-role"
        value={item.role ?? ""}
        onChange={(event) => props.onRole(event.target.value === "" ? null : (event.target.value as ReferenceRole))}
        className="w-full rounded border border-zinc-300 bg-white px-1 py-0.5 text-xs dark:border-zinc-600 dark:bg-zinc-800"
      >
        {roleOptions.map((option) =>
          option.role === null ? (
            <option key="none" value="">
              No role
            </option>
          ) : (
            // A disabled option says why in its own text: titles on options are not read out.
            <option key={option.role} value={option.role} disabled={!option.enabled}>
              {ROLE_NAMES[option.role]}
              {option.reason ? ` — ${option.reason}` : ""}
            </option>
          ),
        )}
      </select>
      <div className="flex items-center justify-between">
        <div className="flex gap-0.5">
          {/* aria-disabled, not disabled: a button that disables itself under the keyboard drops focus to the page. */}
          <button
            type="button"
            aria-label={`Move ${item.name} earlier`}
            aria-keyshortcuts="Alt+ArrowLeft"
            aria-disabled={first}
            onClick={() => !first && props.onMove(index - 1)}
            className={moveButton}
          >
            ←
          </button>
          <button
            type="button"
            aria-label={`Move ${item.name} later`}
            aria-keyshortcuts="Alt+ArrowRight"
            aria-disabled={last}
            onClick={() => !last && props.onMove(index + 1)}
            className={moveButton}
          >
            →
          </button>
        </div>
        <button
          type="button"
          data-testid="reference-remove"
          aria-label={`Remove ${item.name}`}
          onClick={props.onRemove}
          className="rounded px-1.5 py-0.5 text-xs text-zinc-600 hover:bg-red-100 hover:text-red-800 dark:text-zinc-300 dark:hover:bg-red-950 dark:hover:text-red-200"
        >
          ✕
        </button>
      </div>
    </li>
  );
}
