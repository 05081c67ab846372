"use client";

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { fitRect, type Size } from "@/lib/studio/compare";
import {
  checkRegionEdit,
  clampRegion,
  describeRegion,
  pointInFrame,
  regionForKey,
  regionFromPoints,
  type Region,
  type RegionEdit,
  type RegionEditProblem,
} from "@/lib/studio/region-edit";

export interface RegionEditImage {
  url: string;
  /** Says which result this is, e.g. "Turn 2 · A harbour at dawn". */
  label: string;
  width: number;
  height: number;
}

interface RegionEditDialogProps {
  image: RegionEditImage;
  /** A box and instruction to start from (Edit and retry of an earlier region edit). */
  initial?: RegionEdit | null;
  /** Sends the edit; resolves to a message when it could not be sent (the dialog stays open), null when it was. */
  onApply(edit: RegionEdit): Promise<string | null>;
  onClose(): void;
}

const FIELDS: ReadonlyArray<{ key: keyof Region; label: string; testId: string }> = [
  { key: "x", label: "X (% from left)", testId: "region-x" },
  { key: "y", label: "Y (% from top)", testId: "region-y" },
  { key: "width", label: "Width (%)", testId: "region-width" },
  { key: "height", label: "Height (%)", testId: "region-height" },
];

const INPUT = "w-full rounded-lg border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-900";
const INVALID = "aria-invalid:border-red-600 dark:aria-invalid:border-red-400";

/**
 * Marks the area of a result to change and says how. The box is drawn with the mouse or a finger,
 * moved and resized with the keyboard, or typed in percent; Esc or Cancel closes without sending.
 * Mounted only while open, so each opening starts afresh.
 */
export function RegionEditDialog({ image, initial = null, onApply, onClose }: RegionEditDialogProps) {
  const [region, setRegion] = useState<Region | null>(initial?.region ?? null);
  const [instruction, setInstruction] = useState(initial?.instruction ?? "");
  const [attempted, setAttempted] = useState(false);
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ key: keyof Region; text: string } | null>(null);
  const ids = { description: useId(), help: useId(), regionError: useId(), instructionError: useId(), summary: useId() };
  const surface = useRef<HTMLDivElement>(null);
  const instructionField = useRef<HTMLTextAreaElement>(null);

  const checked = checkRegionEdit({ region, instruction });
  // Problems show once Apply was pressed, then follow the fields as they are fixed.
  const problems: RegionEditProblem[] = attempted && !checked.ok ? checked.problems : [];
  const problemFor = (field: RegionEditProblem["field"]) => problems.find((problem) => problem.field === field)?.message ?? null;
  const regionProblem = problemFor("region");
  const instructionProblem = problemFor("instruction");

  async function apply(event: React.FormEvent) {
    event.preventDefault();
    setAttempted(true);
    setFailure(null);
    if (!checked.ok) {
      // Nothing is sent; focus goes to the first thing to fix.
      if (checked.problems[0]?.field === "region") surface.current?.focus();
      else instructionField.current?.focus();
      return;
    }
    setSending(true);
    try {
      const message = await onApply(checked.edit);
      if (message) setFailure(message);
    } finally {
      setSending(false);
    }
  }

  const summary = region && region.width > 0 && region.height > 0 ? `Marked: ${describeRegion(region)}.` : "Nothing marked yet.";

  return (
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        data-testid="region-edit-dialog"
        aria-describedby={ids.description}
        onOpenAutoFocus={(event) => {
          event.preventDefault();
          surface.current?.focus();
        }}
        className="inset-2 mx-auto flex max-w-6xl flex-col overflow-y-auto p-3 sm:inset-6 sm:p-4"
      >
        {/* Stacked below lg, where the dialog scrolls as a whole; side by side from lg, the image taking the height left. */}
        <form onSubmit={(event) => void apply(event)} noValidate className="flex flex-col gap-3 lg:min-h-0 lg:flex-1 lg:flex-row">
          <div className="flex min-w-0 flex-col gap-2 lg:min-h-0 lg:flex-1">
            <header className="flex items-baseline gap-3">
              <DialogTitle className="shrink-0 text-base font-semibold">Edit a region</DialogTitle>
              <span className="min-w-0 truncate text-xs text-zinc-600 dark:text-zinc-400" title={image.label}>
                {image.label}
              </span>
            </header>
            <DialogDescription id={ids.description} className="text-sm text-zinc-700 dark:text-zinc-300">
              Mark what should change. The rest of the image is asked to stay exactly as it is.
            </DialogDescription>
            <MarkingSurface
              surfaceRef={surface}
              image={image}
              region={region}
              invalid={regionProblem !== null}
              describedBy={[ids.summary, ids.help, regionProblem ? ids.regionError : null].filter(Boolean).join(" ")}
              onRegion={(next) => {
                setDraft(null);
                setRegion(next);
              }}
            />
            <p id={ids.summary} data-testid="region-summary" className="text-sm font-medium" aria-live="polite">
              {summary}
            </p>
            <p id={ids.help} className="text-xs text-zinc-600 dark:text-zinc-400">
              Drag over the image to mark an area. On the image, the arrow keys move the area (Shift: 10%) and Alt+arrows resize it. Esc cancels.
            </p>
          </div>

          <div className="flex w-full shrink-0 flex-col gap-3 lg:w-80">
            <fieldset className="grid grid-cols-2 gap-2" aria-describedby={regionProblem ? ids.regionError : undefined}>
              <legend className="mb-1 text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">Area, in % of the image</legend>
              {FIELDS.map((field) => (
                <label key={field.key} className="flex flex-col gap-1 text-xs font-medium">
                  {field.label}
                  <input
                    type="number"
                    inputMode="decimal"
                    min={0}
                    max={100}
                    step={1}
                    data-testid={field.testId}
                    aria-invalid={regionProblem !== null}
                    value={draft?.key === field.key ? draft.text : String(region?.[field.key] ?? 0)}
                    onChange={(event) => {
                      const text = event.target.value;
                      setDraft({ key: field.key, text });
                      const value = Number(text);
                      if (text.trim() === "" || !Number.isFinite(value)) return;
                      setRegion((current) => clampRegion({ ...(current ?? { x: 0, y: 0, width: 0, height: 0 }), [field.key]: value }));
                    }}
                    onBlur={() => setDraft(null)}
                    className={`${INPUT} ${INVALID} tabular-nums`}
                  />
                </label>
              ))}
            </fieldset>
            {regionProblem && (
              <p id={ids.regionError} role="alert" data-testid="region-error" className="text-sm text-red-800 dark:text-red-300">
                {regionProblem}
              </p>
            )}
            <label className="flex flex-col gap-1 text-sm font-medium">
              What should the marked area become?
              <textarea
                ref={instructionField}
                data-testid="region-instruction"
                rows={4}
                value={instruction}
                aria-invalid={instructionProblem !== null}
                aria-describedby={instructionProblem ? ids.instructionError : undefined}
                placeholder="e.g. a red kite with a long tail"
                onChange={(event) => setInstruction(event.target.value)}
                onKeyDown={(event) => {
                  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                    event.preventDefault();
                    event.currentTarget.form?.requestSubmit();
                  }
                }}
                className={`${INPUT} ${INVALID} font-normal`}
              />
            </label>
            {instructionProblem && (
              <p id={ids.instructionError} role="alert" data-testid="instruction-error" className="text-sm text-red-800 dark:text-red-300">
                {instructionProblem}
              </p>
            )}
            {failure && (
              <p role="alert" data-testid="region-edit-failure" className="rounded-lg border border-red-300 bg-red-50 p-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                {failure}
              </p>
            )}
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              Sent as the next turn of this conversation, with a mask of the area; the result opens beside the original.
            </p>
            {/* Below lg the dialog scrolls as a whole; the buttons stay in reach at its bottom edge. */}
            <div className="sticky bottom-0 -mx-3 mt-auto flex justify-end gap-2 border-t border-zinc-200 bg-white px-3 py-2 sm:-mx-4 sm:px-4 lg:static lg:mx-0 lg:border-0 lg:bg-transparent lg:p-0 dark:border-zinc-800 dark:bg-zinc-900">
              <DialogClose
                type="button"
                data-testid="region-cancel"
                className="rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
              >
                Cancel
              </DialogClose>
              <button
                type="submit"
                data-testid="region-apply"
                disabled={sending}
                className="rounded-lg bg-banana-400 px-3 py-1.5 text-sm font-semibold text-zinc-950 hover:bg-banana-500 disabled:cursor-wait disabled:opacity-60"
              >
                {sending ? "Sending…" : "Apply edit"}
              </button>
            </div>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}

interface MarkingSurfaceProps {
  surfaceRef: React.RefObject<HTMLDivElement | null>;
  image: RegionEditImage;
  region: Region | null;
  invalid: boolean;
  describedBy: string;
  onRegion(region: Region | null): void;
}

/** The image, fitted to the space it has, with the marked area over it; the pointer and keys set the area. */
function MarkingSurface({ surfaceRef: frame, image, region, invalid, describedBy, onRegion }: MarkingSurfaceProps) {
  const area = useRef<HTMLDivElement>(null);
  const start = useRef<{ x: number; y: number } | null>(null);
  const [space, setSpace] = useState<Size | null>(null);

  const measure = useCallback(() => {
    const box = area.current?.getBoundingClientRect();
    if (box) setSpace({ width: box.width, height: box.height });
  }, []);
  useEffect(() => {
    measure();
    const observer = new ResizeObserver(measure);
    if (area.current) observer.observe(area.current);
    return () => observer.disconnect();
  }, [measure]);

  const fitted = space ? fitRect({ width: image.width, height: image.height }, space) : null;
  const point = (event: React.PointerEvent) => {
    const rect = frame.current?.getBoundingClientRect();
    return rect ? pointInFrame(event.clientX, event.clientY, rect) : { x: 0, y: 0 };
  };
  const marked = region && region.width > 0 && region.height > 0 ? region : null;

  return (
    <div ref={area} className="relative flex h-[36vh] items-center justify-center md:h-[50vh] lg:h-auto lg:min-h-[50vh] lg:flex-1">
      <div
        ref={frame}
        role="application"
        aria-roledescription="area marker"
        aria-label={`Area to change on ${image.label}`}
        aria-describedby={describedBy}
        aria-invalid={invalid}
        tabIndex={0}
        data-testid="region-surface"
        // touch-none: a drag on a touch screen draws the area instead of scrolling the dialog.
        className="relative cursor-crosshair touch-none overflow-hidden rounded-lg bg-zinc-200 outline-none select-none focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-banana-500 aria-invalid:outline-2 aria-invalid:outline-red-600 dark:bg-zinc-800"
        style={fitted ? { width: fitted.width, height: fitted.height } : { width: "100%", height: "100%" }}
        onPointerDown={(event) => {
          if (event.button !== 0) return;
          event.currentTarget.setPointerCapture(event.pointerId);
          event.currentTarget.focus({ preventScroll: true });
          const at = point(event);
          start.current = at;
          onRegion(regionFromPoints(at, at));
          event.preventDefault();
        }}
        onPointerMove={(event) => {
          if (start.current) onRegion(regionFromPoints(start.current, point(event)));
        }}
        onPointerUp={(event) => {
          if (start.current) onRegion(regionFromPoints(start.current, point(event)));
          start.current = null;
        }}
        onPointerCancel={() => {
          start.current = null;
        }}
        onKeyDown={(event) => {
          if (event.ctrlKey || event.metaKey) return;
          const next = regionForKey(marked, event.key, { shiftKey: event.shiftKey, altKey: event.altKey });
          if (!next) return;
          event.preventDefault();
          onRegion(next);
        }}
      >
        {/* eslint-disable-next-line @next/next/no-img-element -- the stored original, served as a file at full resolution */}
        <img src={image.url} alt="" aria-hidden draggable={false} className="pointer-events-none absolute inset-0 size-full object-contain" />
        {marked && (
          <div
            data-testid="region-box"
            aria-hidden
            className="pointer-events-none absolute border-2 border-dashed border-banana-400 bg-banana-400/15 shadow-[0_0_0_9999px_rgb(9_9_11/0.5)]"
            style={{ left: `${marked.x}%`, top: `${marked.y}%`, width: `${marked.width}%`, height: `${marked.height}%` }}
          />
        )}
      </div>
    </div>
  );
}
