/**
 * The arithmetic of a windowed list: which rows to render for a scroll position, and how much
 * empty space stands in for the rest so the scrollbar matches the whole list. No DOM, no React.
 */

/** offsets[i] is where row i starts; offsets[n] is the height of the whole list. */
export function computeOffsets(heights: readonly number[]): number[] {
  const offsets = new Array<number>(heights.length + 1);
  offsets[0] = 0;
  for (let index = 0; index < heights.length; index += 1) {
    offsets[index + 1] = (offsets[index] as number) + (heights[index] as number);
  }
  return offsets;
}

/** The row that covers `y` (clamped to the list): the last row whose start is at or above it. */
export function rowAt(offsets: readonly number[], y: number): number {
  const count = offsets.length - 1;
  if (count <= 0) return 0;
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((offsets[middle] as number) <= y) low = middle;
    else high = middle - 1;
  }
  return low;
}

export interface WindowRange {
  /** First rendered row. */
  first: number;
  /** Last rendered row, inclusive; -1 when the list is empty. */
  last: number;
  /** Space standing in for the rows above `first`. */
  paddingTop: number;
  /** Space standing in for the rows below `last`. */
  paddingBottom: number;
}

export interface WindowInput {
  offsets: readonly number[];
  /** Scroll position relative to the top of the list. */
  scrollTop: number;
  viewportHeight: number;
  /** Rows rendered beyond each edge of the viewport. */
  overscan: number;
}

export function computeWindow({ offsets, scrollTop, viewportHeight, overscan }: WindowInput): WindowRange {
  const count = offsets.length - 1;
  if (count <= 0) return { first: 0, last: -1, paddingTop: 0, paddingBottom: 0 };
  const top = Math.max(0, scrollTop);
  // The row at the bottom edge is the one that starts strictly above it.
  const bottom = Math.max(top, scrollTop + Math.max(0, viewportHeight) - 0.5);
  const first = Math.max(0, rowAt(offsets, top) - overscan);
  const last = Math.min(count - 1, rowAt(offsets, bottom) + overscan);
  return windowAround(offsets, first, last);
}

/** The range from `first` to `last` (clamped), with its padding. */
export function windowAround(offsets: readonly number[], first: number, last: number): WindowRange {
  const count = offsets.length - 1;
  if (count <= 0) return { first: 0, last: -1, paddingTop: 0, paddingBottom: 0 };
  const from = Math.min(Math.max(0, first), count - 1);
  const to = Math.min(Math.max(from, last), count - 1);
  const total = offsets[count] as number;
  return { first: from, last: to, paddingTop: offsets[from] as number, paddingBottom: total - (offsets[to + 1] as number) };
}

/**
 * The scroll position that brings row `index` fully into view, moving as little as possible;
 * the current position when it already is. A row taller than the viewport shows its top.
 */
export function scrollToReveal(offsets: readonly number[], index: number, scrollTop: number, viewportHeight: number): number {
  const start = offsets[index];
  const end = offsets[index + 1];
  if (start === undefined || end === undefined) return scrollTop;
  if (start < scrollTop || end - start > viewportHeight) return start;
  if (end > scrollTop + viewportHeight) return end - viewportHeight;
  return scrollTop;
}
