/**
 * Geometry of the before/after comparison. Pure, so the slider's behaviour is tested without a
 * browser: both images are fitted into one frame, and the divider's position is a percentage of
 * that frame's width, which is therefore the same place on both images.
 */

export interface Size {
  width: number;
  height: number;
}

/** A size as stored: either side may be unknown (an image whose header the server could not read). */
export interface MaybeSize {
  width: number | null;
  height: number | null;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

export function clampPercent(value: number): number {
  if (Number.isNaN(value)) return 50;
  return Math.min(100, Math.max(0, value));
}

/** The divider position for a pointer at `clientX` over a frame spanning `frame.left` .. `+ frame.width`. */
export function percentFromPointer(clientX: number, frame: { left: number; width: number }): number {
  if (frame.width <= 0) return 50;
  return clampPercent(((clientX - frame.left) / frame.width) * 100);
}

/**
 * The new position for a key on the divider (WAI-ARIA slider pattern): arrows move 1%, 10% with
 * Shift; Page Up/Down 10%; Home/End to the ends. Null for keys the slider does not handle, so
 * they keep their usual meaning (Tab, Escape).
 */
export function stepPercent(current: number, key: string, shiftKey: boolean): number | null {
  const step = shiftKey ? 10 : 1;
  switch (key) {
    case "ArrowLeft":
    case "ArrowDown":
      return clampPercent(current - step);
    case "ArrowRight":
    case "ArrowUp":
      return clampPercent(current + step);
    case "PageDown":
      return clampPercent(current - 10);
    case "PageUp":
      return clampPercent(current + 10);
    case "Home":
      return 0;
    case "End":
      return 100;
    default:
      return null;
  }
}

/**
 * The CSS clips for the two images: the left ("before") shows up to the divider, the right
 * ("after") from it onwards. Each is clipped rather than stacked over the other, so where one
 * image is letterboxed (another shape than the frame) the other never shows through. `inset`
 * rather than a width change: the images keep their size and position, so nothing shifts while
 * dragging.
 */
export function leftClipPath(percent: number): string {
  return `inset(0 ${100 - clampPercent(percent)}% 0 0)`;
}

export function rightClipPath(percent: number): string {
  return `inset(0 0 0 ${clampPercent(percent)}%)`;
}

/** `content` scaled to fit inside `box` without cropping, centered (CSS `object-fit: contain`). */
export function fitRect(content: Size, box: Size): Rect {
  if (content.width <= 0 || content.height <= 0 || box.width <= 0 || box.height <= 0) {
    return { x: 0, y: 0, width: Math.max(0, box.width), height: Math.max(0, box.height) };
  }
  const scale = Math.min(box.width / content.width, box.height / content.height);
  const width = content.width * scale;
  const height = content.height * scale;
  return { x: (box.width - width) / 2, y: (box.height - height) / 2, width, height };
}

/**
 * The shape of the shared frame: the left image's, so "before" fills it and "after" (usually an
 * edit of the same shape) lines up pixel for pixel; an "after" of another shape is letterboxed
 * inside the same frame rather than stretched. Falls back to the right image's shape, then square.
 */
export function frameSize(left: MaybeSize | null, right: MaybeSize | null): Size {
  for (const candidate of [left, right]) {
    if (candidate?.width && candidate.height && candidate.width > 0 && candidate.height > 0) {
      return { width: candidate.width, height: candidate.height };
    }
  }
  return { width: 1, height: 1 };
}
