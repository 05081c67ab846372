import * as z from "zod/mini";
import { MAX_PROMPT_LENGTH } from "./limits";

/**
 * Region edit: the designer marks a box on a result and says what should change there. The studio
 * sends a follow-up turn whose only new image is a mask (black, the box white, the result's pixel
 * size; role "mask") and whose prompt is the prompting guide's inpainting template ("Using the
 * provided image, change only the [element] to [description]. Keep everything else in the image
 * exactly the same, preserving the original style, lighting, and composition."). Pure: the dialog,
 * the mask drawing and the tests share it; zod/mini because the browser loads it (lib/gemini/types.ts).
 */

/** A box in percent of the image: x and y from the top-left corner, 0–100. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Smaller than this (in either direction) counts as no box: a click without a drag. */
export const MIN_REGION_PERCENT = 1;
/** Room left in the prompt for the template around the designer's words. */
export const MAX_REGION_INSTRUCTION_LENGTH = MAX_PROMPT_LENGTH - 1_000;

export const EMPTY_REGION_MESSAGE = "Mark the area to change: drag a box on the image, or set its width and height.";
export const EMPTY_INSTRUCTION_MESSAGE = "Write what should change in the marked area.";

const OFF_THE_IMAGE_MESSAGE = "The marked area runs past the edge of the image.";
const percent = z.number({ error: OFF_THE_IMAGE_MESSAGE }).check(z.minimum(0, OFF_THE_IMAGE_MESSAGE), z.maximum(100, OFF_THE_IMAGE_MESSAGE));

export const regionSchema = z.object({ x: percent, y: percent, width: percent, height: percent }).check(
  z.refine((region) => region.width >= MIN_REGION_PERCENT && region.height >= MIN_REGION_PERCENT, { message: EMPTY_REGION_MESSAGE }),
  z.refine((region) => region.x + region.width <= 100.001 && region.y + region.height <= 100.001, { message: OFF_THE_IMAGE_MESSAGE }),
);

export const regionEditSchema = z.object({
  region: regionSchema,
  instruction: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, EMPTY_INSTRUCTION_MESSAGE),
      z.maxLength(MAX_REGION_INSTRUCTION_LENGTH, `Keep the instruction under ${MAX_REGION_INSTRUCTION_LENGTH} characters.`),
    ),
});
export type RegionEdit = z.output<typeof regionEditSchema>;

export type RegionEditProblem = { field: "region" | "instruction"; message: string };

/** The edit as it may be sent, or every reason it can't be, each naming its field. */
export function checkRegionEdit(input: { region: Region | null; instruction: string }): { ok: true; edit: RegionEdit } | { ok: false; problems: RegionEditProblem[] } {
  const parsed = regionEditSchema.safeParse({ region: input.region ?? { x: 0, y: 0, width: 0, height: 0 }, instruction: input.instruction });
  if (parsed.success) return { ok: true, edit: parsed.data };
  const problems: RegionEditProblem[] = [];
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] === "instruction" ? "instruction" : "region";
    // One message per field: a box that is both empty and oddly placed needs only "mark the area".
    if (!problems.some((problem) => problem.field === field)) problems.push({ field, message: issue.message });
  }
  return { ok: false, problems };
}

function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return min;
  return Math.min(max, Math.max(min, value));
}

/** One decimal is finer than any pointer needs and keeps the numeric fields readable. */
function tidy(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The box inside the image: position first, then the size that still fits. */
export function clampRegion(region: Region): Region {
  const x = tidy(clamp(region.x, 0, 100));
  const y = tidy(clamp(region.y, 0, 100));
  return { x, y, width: tidy(clamp(region.width, 0, 100 - x)), height: tidy(clamp(region.height, 0, 100 - y)) };
}

/** The box spanned by a drag from `a` to `b` (points in percent, any direction, outside points clamped). */
export function regionFromPoints(a: { x: number; y: number }, b: { x: number; y: number }): Region {
  const [x1, x2] = [clamp(a.x, 0, 100), clamp(b.x, 0, 100)].sort((p, q) => p - q) as [number, number];
  const [y1, y2] = [clamp(a.y, 0, 100), clamp(b.y, 0, 100)].sort((p, q) => p - q) as [number, number];
  return clampRegion({ x: x1, y: y1, width: x2 - x1, height: y2 - y1 });
}

/** A pointer position over `frame` (the image as shown) in percent of the image. */
export function pointInFrame(clientX: number, clientY: number, frame: { left: number; top: number; width: number; height: number }) {
  if (frame.width <= 0 || frame.height <= 0) return { x: 0, y: 0 };
  return { x: clamp(((clientX - frame.left) / frame.width) * 100, 0, 100), y: clamp(((clientY - frame.top) / frame.height) * 100, 0, 100) };
}

/** Where a keyboard user starts when there is no box yet: the middle of the image. */
export const DEFAULT_REGION: Region = { x: 30, y: 30, width: 40, height: 40 };

/**
 * The box after a key on the marking surface, or null for keys it does not handle (Tab, Escape
 * keep their meaning). Arrows move it 1% (10% with Shift); with Alt they resize it, right and down
 * growing, left and up shrinking. Without a box, an arrow first places the default one.
 */
export function regionForKey(region: Region | null, key: string, modifiers: { shiftKey: boolean; altKey: boolean }): Region | null {
  const delta: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const direction = delta[key];
  if (!direction) return null;
  if (!region) return DEFAULT_REGION;
  const step = modifiers.shiftKey ? 10 : 1;
  const [dx, dy] = [direction[0] * step, direction[1] * step];
  if (modifiers.altKey) return clampRegion({ ...region, width: Math.max(0, region.width + dx), height: Math.max(0, region.height + dy) });
  // Moving keeps the size: the box stops at the edge instead of shrinking against it.
  return clampRegion({ ...region, x: clamp(region.x + dx, 0, 100 - region.width), y: clamp(region.y + dy, 0, 100 - region.height) });
}

/** The box in whole pixels of an image of `size`; at least one pixel each way for any marked box. */
export function regionToPixels(region: Region, size: { width: number; height: number }): PixelBox {
  const left = clamp(Math.round((region.x / 100) * size.width), 0, size.width - 1);
  const top = clamp(Math.round((region.y / 100) * size.height), 0, size.height - 1);
  const right = clamp(Math.round(((region.x + region.width) / 100) * size.width), left + 1, size.width);
  const bottom = clamp(Math.round(((region.y + region.height) / 100) * size.height), top + 1, size.height);
  return { left, top, width: right - left, height: bottom - top };
}

/** "20–50% across, 10–40% down": the box in words, so the model has it even if it misreads the mask. */
export function describeRegion(region: Region): string {
  const span = (from: number, size: number) => `${Math.round(from)}–${Math.round(from + size)}%`;
  return `${span(region.x, region.width)} across and ${span(region.y, region.height)} down`;
}

/**
 * The prompt of a region edit. The designer's words come first, so the timeline and the turn's
 * header read as what was asked; then the guide's semantic-masking sentences, naming the mask by its
 * position among the turn's images (request.ts labels it "Image N (mask):").
 */
export function buildRegionInstruction(edit: RegionEdit, maskImageNumber: number): string {
  const instruction = edit.instruction.trim().replace(/[.\s]+$/, "");
  return [
    `Change only the marked area: ${instruction}.`,
    "",
    `Using the image from your last answer, change only the area shown in white on the mask (image ${maskImageNumber}), ` +
      `which covers about ${describeRegion(edit.region)} the image, as described above. ` +
      "Keep everything else in the image exactly the same, preserving the original style, lighting, and composition. " +
      "The mask only marks the area; do not draw it.",
  ].join("\n");
}

const BUILT = /^Change only the marked area: ([\s\S]*)\.\n\nUsing the image from your last answer, [\s\S]*?which covers about (\d+)–(\d+)% across and (\d+)–(\d+)% down the image/;

/**
 * The edit a prompt from buildRegionInstruction asked for, to open it again ("Edit and retry"); null
 * for any other prompt. The box comes back in whole percents, as the prompt states it.
 */
export function readRegionEdit(prompt: string): RegionEdit | null {
  const match = BUILT.exec(prompt);
  if (!match) return null;
  const [x1, x2, y1, y2] = match.slice(2, 6).map(Number) as [number, number, number, number];
  const checked = checkRegionEdit({ region: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, instruction: match[1] ?? "" });
  return checked.ok ? checked.edit : null;
}

/**
 * The settings of a region edit: its result's own, so the answer comes back at the same model, size
 * and shape the mask was drawn for; search off, since the edit is about this image, not the web.
 */
export function regionEditSettings<T extends { webSearch: boolean; imageSearch: boolean }>(settings: T): T {
  return { ...settings, webSearch: false, imageSearch: false };
}
