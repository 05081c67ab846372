"use client";

import { useCallback, useEffect, useRef, useState } from "react";

interface ImageViewerProps {
  src: string;
  alt: string;
  width: number | null;
  height: number | null;
  /** Data for dragging the image into the reference tray. */
  dragData?: { hash: string; url: string; mimeType: string; width: number | null; height: number | null };
  testId?: string;
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 8;

/**
 * A result at any size: fits the stage by default; zoom with the buttons, the
 * keyboard (+, -, 0, 1) or Ctrl+wheel, and pan by dragging or with the arrows.
 * Mount it with `key={src}` so another image starts fitted again.
 */
export function ImageViewer({ src, alt, width, height, dragData, testId = "result-image" }: ImageViewerProps) {
  const stage = useRef<HTMLDivElement>(null);
  const [zoom, setZoom] = useState<"fit" | number>("fit");
  const [offset, setOffset] = useState({ x: 0, y: 0 });
  const [fitScale, setFitScale] = useState(1);
  const drag = useRef<{ x: number; y: number; startX: number; startY: number } | null>(null);

  const measureFit = useCallback(() => {
    const box = stage.current?.getBoundingClientRect();
    if (!box || !width || !height) return;
    setFitScale(Math.min(box.width / width, box.height / height, 1));
  }, [width, height]);

  useEffect(() => {
    measureFit();
    const observer = new ResizeObserver(measureFit);
    if (stage.current) observer.observe(stage.current);
    return () => observer.disconnect();
  }, [measureFit]);

  const scale = zoom === "fit" ? fitScale : zoom;
  const setScale = (next: number) => {
    const clamped = Math.min(MAX_SCALE, Math.max(MIN_SCALE, next));
    setZoom(clamped);
    if (clamped <= fitScale) setOffset({ x: 0, y: 0 });
  };

  function onKeyDown(event: React.KeyboardEvent) {
    const step = 40;
    const actions: Record<string, () => void> = {
      "+": () => setScale(scale * 1.25),
      "=": () => setScale(scale * 1.25),
      "-": () => setScale(scale / 1.25),
      "0": () => {
        setZoom("fit");
        setOffset({ x: 0, y: 0 });
      },
      "1": () => setScale(1),
      ArrowLeft: () => setOffset((o) => ({ ...o, x: o.x + step })),
      ArrowRight: () => setOffset((o) => ({ ...o, x: o.x - step })),
      ArrowUp: () => setOffset((o) => ({ ...o, y: o.y + step })),
      ArrowDown: () => setOffset((o) => ({ ...o, y: o.y - step })),
    };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.startsWith("Arrow") && zoom === "fit") return;
    event.preventDefault();
    action();
  }

  const zoomed = zoom !== "fit" && scale > fitScale;
  const percent = Math.round(scale * 100);

  return (
    <div className="flex flex-1 flex-col gap-2">
      <div
        ref={stage}
        tabIndex={0}
        role="group"
        aria-label={`${alt}. Zoom ${percent}%. Use plus, minus, 0 to fit, 1 for actual size, arrows to pan.`}
        data-testid="image-stage"
        onKeyDown={onKeyDown}
        onWheel={(event) => {
          if (!event.ctrlKey && !event.metaKey) return;
          event.preventDefault();
          setScale(scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
        }}
        onPointerDown={(event) => {
          if (!zoomed || event.button !== 0) return;
          event.currentTarget.setPointerCapture(event.pointerId);
          drag.current = { x: offset.x, y: offset.y, startX: event.clientX, startY: event.clientY };
        }}
        onPointerMove={(event) => {
          const start = drag.current;
          if (!start) return;
          setOffset({ x: start.x + event.clientX - start.startX, y: start.y + event.clientY - start.startY });
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
        onDoubleClick={() => (zoom === "fit" ? setScale(1) : setZoom("fit"))}
        className={`relative flex h-72 flex-none items-center justify-center md:h-[max(18rem,40dvh)] xl:h-auto xl:min-h-72 xl:flex-1 overflow-hidden rounded-xl bg-[repeating-conic-gradient(#e4e4e7_0%_25%,#f4f4f5_0%_50%)] bg-size-[16px_16px] dark:bg-[repeating-conic-gradient(#27272a_0%_25%,#18181b_0%_50%)] ${zoomed ? "cursor-grab active:cursor-grabbing" : ""}`}
      >
        {/* eslint-disable-next-line @next/next/no-img-element -- originals are served as stored files, at full resolution */}
        <img
          src={src}
          alt={alt}
          width={width ?? undefined}
          height={height ?? undefined}
          data-testid={testId}
          draggable={Boolean(dragData) && !zoomed}
          onDragStart={(event) => {
            if (!dragData) return;
            event.dataTransfer.setData("application/x-nano-banana-image", JSON.stringify(dragData));
            event.dataTransfer.setData("text/uri-list", new URL(dragData.url, window.location.href).toString());
            event.dataTransfer.effectAllowed = "copy";
          }}
          style={
            width && height
              ? {
                  width: width * scale,
                  height: height * scale,
                  maxWidth: "none",
                  transform: `translate(${offset.x}px, ${offset.y}px)`,
                }
              : { maxWidth: "100%", maxHeight: "100%" }
          }
          className="shrink-0 select-none shadow-lg"
        />
      </div>
      <div className="flex items-center gap-1 text-xs text-zinc-600 dark:text-zinc-400" role="toolbar" aria-label="Zoom">
        <button type="button" className="rounded px-2 py-1 hover:bg-zinc-200 dark:hover:bg-zinc-800" onClick={() => setScale(scale / 1.25)} aria-label="Zoom out">
          −
        </button>
        <span className="w-12 text-center tabular-nums" data-testid="zoom-level">
          {percent}%
        </span>
        <button type="button" className="rounded px-2 py-1 hover:bg-zinc-200 dark:hover:bg-zinc-800" onClick={() => setScale(scale * 1.25)} aria-label="Zoom in">
          +
        </button>
        <button
          type="button"
          className="rounded px-2 py-1 hover:bg-zinc-200 aria-pressed:font-semibold dark:hover:bg-zinc-800"
          aria-pressed={zoom === "fit"}
          onClick={() => {
            setZoom("fit");
            setOffset({ x: 0, y: 0 });
          }}
        >
          Fit
        </button>
        <button type="button" className="rounded px-2 py-1 hover:bg-zinc-200 dark:hover:bg-zinc-800" onClick={() => setScale(1)}>
          100%
        </button>
      </div>
    </div>
  );
}
