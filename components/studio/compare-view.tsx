"use client";

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Dialog, DialogClose, DialogContent, DialogTitle } from "@/components/ui/dialog";
import { fitRect, frameSize, leftClipPath, percentFromPointer, rightClipPath, stepPercent, type Size } from "@/lib/studio/compare";

export interface CompareImage {
  url: string;
  /** Says which version this is, e.g. "Turn 2 · Make it night". */
  label: string;
  /** Null when unknown; the size the browser decodes is used instead. */
  width: number | null;
  height: number | null;
}

export type CompareMode = "side" | "slider";

interface CompareViewProps {
  /** The "before": on the left side by side, under the slider's left part. */
  left: CompareImage;
  /** The "after": on the right side by side, revealed right of the slider's divider. */
  right: CompareImage;
  onClose(): void;
  initialMode?: CompareMode;
}

const MODES: ReadonlyArray<{ value: CompareMode; label: string }> = [
  { value: "side", label: "Side by side" },
  { value: "slider", label: "Slider" },
];

// Transparent pixels and letterbox bands read as "no image" instead of blending into the other version.
const CHECKERBOARD =
  "bg-[repeating-conic-gradient(#e4e4e7_0%_25%,#f4f4f5_0%_50%)] bg-size-[16px_16px] dark:bg-[repeating-conic-gradient(#27272a_0%_25%,#18181b_0%_50%)]";

function knownSize(image: CompareImage, decoded: Size | null): Size | null {
  if (image.width && image.height) return { width: image.width, height: image.height };
  return decoded;
}

/**
 * Both versions in one modal: side by side, or stacked under a before/after divider. Esc or a click
 * outside closes it, and focus returns to what opened it.
 */
export function CompareView({ left, right, onClose, initialMode = "side" }: CompareViewProps) {
  const [mode, setMode] = useState<CompareMode>(initialMode);
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const ids = { panel: useId(), tab: useId() };

  function onTabKeyDown(event: React.KeyboardEvent, index: number) {
    const targets: Record<string, number> = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: MODES.length - 1 };
    const target = targets[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = MODES[(target + MODES.length) % MODES.length];
    if (!next) return;
    setMode(next.value);
    tabs.current[MODES.indexOf(next)]?.focus();
  }

  return (
    // Mounted only while open: the studio unmounts it to close, and Radix then returns focus.
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        data-testid="compare-view"
        data-mode={mode}
        aria-describedby={undefined}
        onOpenAutoFocus={(event) => {
          event.preventDefault();
          tabs.current.find((tab) => tab?.getAttribute("aria-selected") === "true")?.focus();
        }}
        // Radix marks the Escape it handles as handled (defaultPrevented), so the studio does not
        // also take it as "cancel the running generation".
        className="inset-2 mx-auto flex max-w-7xl flex-col gap-3 p-3 sm:inset-6 sm:p-4"
      >
        <header className="flex flex-wrap items-center gap-3">
          <DialogTitle className="text-sm font-semibold">Compare versions</DialogTitle>
          <div role="tablist" aria-label="Comparison mode" className="flex gap-1 rounded-lg bg-zinc-100 p-1 dark:bg-zinc-800">
            {MODES.map((option, index) => {
              const selected = option.value === mode;
              return (
                <button
                  key={option.value}
                  ref={(element) => {
                    tabs.current[index] = element;
                  }}
                  type="button"
                  role="tab"
                  id={`${ids.tab}-${option.value}`}
                  aria-selected={selected}
                  aria-controls={ids.panel}
                  // Roving tabindex: Tab reaches the selected mode, the arrows move between modes.
                  tabIndex={selected ? 0 : -1}
                  data-testid={`compare-mode-${option.value}`}
                  onClick={() => setMode(option.value)}
                  onKeyDown={(event) => onTabKeyDown(event, index)}
                  className="rounded-md px-3 py-1 text-sm aria-selected:bg-white aria-selected:font-semibold aria-selected:shadow-sm dark:aria-selected:bg-zinc-950"
                >
                  {option.label}
                </button>
              );
            })}
          </div>
          <span className="flex-1" />
          <DialogClose
            data-testid="compare-close"
            aria-label="Close comparison"
            aria-keyshortcuts="Escape"
            title="Close (Esc)"
            className="rounded-lg px-2 py-1 text-lg leading-none text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
          >
            ×
          </DialogClose>
        </header>

        <div
          role="tabpanel"
          id={ids.panel}
          aria-labelledby={`${ids.tab}-${mode}`}
          className="flex min-h-0 flex-1 flex-col"
        >
          {mode === "side" ? <SideBySide left={left} right={right} /> : <Slider left={left} right={right} />}
        </div>
      </DialogContent>
    </Dialog>
  );
}

function SideBySide({ left, right }: { left: CompareImage; right: CompareImage }) {
  return (
    <div className="grid min-h-0 flex-1 grid-cols-1 gap-3 md:grid-cols-2">
      {[
        { image: left, testId: "compare-left", side: "Before" },
        { image: right, testId: "compare-right", side: "After" },
      ].map(({ image, testId, side }) => (
        <figure key={testId} className="flex min-h-[30vh] min-w-0 flex-col gap-2 md:min-h-[60vh]">
          <figcaption className="flex min-w-0 items-baseline gap-2 text-xs">
            <span className="shrink-0 font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{side}</span>
            <span className="truncate" title={image.label}>
              {image.label}
            </span>
            {image.width && image.height ? (
              <span className="ml-auto shrink-0 text-zinc-500 tabular-nums dark:text-zinc-400">
                {image.width} × {image.height}
              </span>
            ) : null}
          </figcaption>
          {/* Equal boxes, each image contained and centered in its own: both appear at the same place and scale. */}
          <div className={`relative min-h-0 flex-1 overflow-hidden rounded-xl ${CHECKERBOARD}`}>
            {/* eslint-disable-next-line @next/next/no-img-element -- stored originals, served as files at full resolution */}
            <img
              src={image.url}
              alt={`${side}: ${image.label}`}
              data-testid={testId}
              draggable={false}
              className="absolute inset-0 size-full object-contain"
            />
          </div>
        </figure>
      ))}
    </div>
  );
}

function Slider({ left, right }: { left: CompareImage; right: CompareImage }) {
  const [percent, setPercent] = useState(50);
  const [area, setArea] = useState<Size | null>(null);
  const [decoded, setDecoded] = useState<{ left: Size | null; right: Size | null }>({ left: null, right: null });
  const areaRef = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const handle = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);

  const measure = useCallback(() => {
    const box = areaRef.current?.getBoundingClientRect();
    if (box) setArea({ width: box.width, height: box.height });
  }, []);

  useEffect(() => {
    measure();
    const observer = new ResizeObserver(measure);
    if (areaRef.current) observer.observe(areaRef.current);
    return () => observer.disconnect();
  }, [measure]);

  // One frame for both images, shaped like the left one and as large as the area allows; each
  // image is contained in the full frame, so the divider crosses both at the same point.
  const frame = frameSize(knownSize(left, decoded.left), knownSize(right, decoded.right));
  const box = area ? fitRect(frame, area) : null;

  function moveTo(clientX: number) {
    const rect = stage.current?.getBoundingClientRect();
    if (rect) setPercent(percentFromPointer(clientX, rect));
  }

  const rounded = Math.round(percent);
  const onLoad = (side: "left" | "right") => (event: React.SyntheticEvent<HTMLImageElement>) => {
    const { naturalWidth: width, naturalHeight: height } = event.currentTarget;
    if (width && height) setDecoded((current) => ({ ...current, [side]: { width, height } }));
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col gap-2">
      <div ref={areaRef} className="relative flex min-h-[40vh] flex-1 items-center justify-center md:min-h-[60vh]">
        <div
          ref={stage}
          data-testid="compare-stage"
          // touch-none: a horizontal drag on a touch screen moves the divider instead of scrolling the page.
          className={`relative cursor-ew-resize touch-none overflow-hidden rounded-xl select-none ${CHECKERBOARD}`}
          style={box ? { width: box.width, height: box.height } : { width: "100%", height: "100%" }}
          onPointerDown={(event) => {
            if (event.button !== 0) return;
            event.currentTarget.setPointerCapture(event.pointerId);
            dragging.current = true;
            moveTo(event.clientX);
            // Keyboard control continues from where the pointer left the divider.
            handle.current?.focus({ preventScroll: true });
            event.preventDefault();
          }}
          onPointerMove={(event) => {
            if (dragging.current) moveTo(event.clientX);
          }}
          onPointerUp={() => {
            dragging.current = false;
          }}
          onPointerCancel={() => {
            dragging.current = false;
          }}
          onLostPointerCapture={() => {
            dragging.current = false;
          }}
        >
          {/* eslint-disable-next-line @next/next/no-img-element -- stored originals, served as files at full resolution */}
          <img
            src={left.url}
            alt={`Before: ${left.label}`}
            data-testid="compare-left"
            draggable={false}
            onLoad={onLoad("left")}
            className="pointer-events-none absolute inset-0 size-full object-contain"
            style={{ clipPath: leftClipPath(percent) }}
          />
          {/* eslint-disable-next-line @next/next/no-img-element -- stored originals, served as files at full resolution */}
          <img
            src={right.url}
            alt={`After: ${right.label}`}
            data-testid="compare-right"
            draggable={false}
            onLoad={onLoad("right")}
            className="pointer-events-none absolute inset-0 size-full object-contain"
            style={{ clipPath: rightClipPath(percent) }}
          />
          <span className="pointer-events-none absolute top-2 left-2 max-w-[45%] truncate rounded bg-zinc-950/70 px-2 py-0.5 text-xs text-white">
            Before · {left.label}
          </span>
          <span className="pointer-events-none absolute top-2 right-2 max-w-[45%] truncate rounded bg-zinc-950/70 px-2 py-0.5 text-xs text-white">
            After · {right.label}
          </span>
          <div
            ref={handle}
            role="slider"
            tabIndex={0}
            aria-label={`Divider between ${left.label} and ${right.label}`}
            aria-orientation="horizontal"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={rounded}
            aria-valuetext={`${rounded}% before, ${100 - rounded}% after`}
            data-testid="compare-slider"
            onKeyDown={(event) => {
              const next = stepPercent(percent, event.key, event.shiftKey);
              if (next === null) return;
              event.preventDefault();
              setPercent(next);
            }}
            className="group absolute inset-y-0 flex w-8 -translate-x-1/2 justify-center outline-none"
            style={{ left: `${percent}%` }}
          >
            <span className="h-full w-0.5 bg-white shadow-[0_0_0_1px_rgb(0_0_0/0.35)]" aria-hidden />
            <span
              aria-hidden
              className="absolute top-1/2 flex size-8 -translate-y-1/2 items-center justify-center rounded-full border border-zinc-300 bg-white text-xs text-zinc-700 shadow-md group-focus-visible:outline-2 group-focus-visible:outline-offset-2 group-focus-visible:outline-banana-500 dark:border-zinc-600 dark:bg-zinc-800 dark:text-zinc-200"
            >
              ◀▶
            </span>
          </div>
        </div>
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        Drag anywhere on the image, or focus the divider and use ← → (Shift for 10%), Home and End.
      </p>
    </div>
  );
}
