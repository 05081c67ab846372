"use client";

import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Turn } from "@/lib/storage/types";
import { siblingsOf, type TurnTree } from "@/lib/studio/turn-tree";
import { computeOffsets, computeWindow, scrollToReveal, windowAround } from "./timeline-window";
import { TurnStatusBadge } from "./turn-status";

interface TimelineProps {
  tree: TurnTree<Turn>;
  path: Turn[];
  selectedId: string | null;
  onSelect(turnId: string): void;
}

/** Rows rendered beyond each edge of the visible part of the timeline. */
const OVERSCAN = 10;
/**
 * Heights of rows not measured yet, in px, with the 8 px gap below each, as measured in the 220–240 px
 * sidebar: the settings chips take two lines there, a two-line prompt (most of them) adds one, and
 * a branch switcher adds a line above. Narrow screens, where the sidebar is full width, have
 * shorter rows; measuring corrects either.
 */
const ROW_ONE_LINE = 108;
const ROW_TWO_LINES = 128;
const PROMPT_ONE_LINE_CHARS = 14;
const BRANCH_SWITCHER = 21;
/**
 * Before the first layout (server render, hydration) the viewport is unknown: render the rows
 * around the selected turn, which is where the timeline scrolls to once it is known.
 */
const INITIAL_BEFORE = 12;
const INITIAL_AFTER = 4;

const KEY_MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowUp: (index) => index - 1,
  ArrowDown: (index) => index + 1,
  Home: () => 0,
  End: (_, count) => count - 1,
};

function settingsChips(turn: Turn): string[] {
  const { settings } = turn.request;
  const chips = [settings.model.replace(/^gemini-/, ""), settings.imageSize, settings.aspectRatio === "match-input" ? "match input" : settings.aspectRatio];
  if (settings.webSearch) chips.push("search");
  if (settings.imageSearch) chips.push("image search");
  if (settings.thinkingLevel === "high") chips.push("thinking high");
  return chips;
}

function estimateHeight(tree: TurnTree<Turn>, turn: Turn): number {
  const row = turn.request.prompt.length > PROMPT_ONE_LINE_CHARS ? ROW_TWO_LINES : ROW_ONE_LINE;
  return siblingsOf(tree, turn).siblings.length > 1 ? row + BRANCH_SWITCHER : row;
}

/** The visible branch of a session, oldest first, with a switcher wherever a turn has siblings. */
export function Timeline(props: TimelineProps) {
  if (props.path.length === 0) {
    return <p className="p-4 text-sm text-zinc-500">No turns yet. Write a prompt to start.</p>;
  }
  return <WindowedTimeline {...props} />;
}

interface Viewport {
  top: number;
  height: number;
}

/**
 * Only the rows in view (plus overscan) are in the DOM; padding above and below the list stands in
 * for the rest, so the scrollbar covers the whole branch. Rows are measured as they render, and
 * until then count at an estimated height.
 */
function WindowedTimeline({ tree, path, selectedId, onSelect }: TimelineProps) {
  const scrollerRef = useRef<HTMLDivElement>(null);
  const [heights, setHeights] = useState<ReadonlyMap<string, number>>(() => new Map());
  // Null until the first layout: the server and hydration render without the padding.
  const [viewport, setViewport] = useState<Viewport | null>(null);

  // No selection means the newest turn, as the studio shows it.
  const selectedIndex = selectedId === null ? path.length - 1 : path.findIndex((turn) => turn.id === selectedId);
  const indexById = useMemo(() => new Map(path.map((turn, index) => [turn.id, index])), [path]);
  const offsets = useMemo(
    () => computeOffsets(path.map((turn) => heights.get(turn.id) ?? estimateHeight(tree, turn))),
    [path, tree, heights],
  );
  const range =
    viewport === null
      ? windowAround(offsets, selectedIndex - INITIAL_BEFORE, selectedIndex + INITIAL_AFTER)
      : computeWindow({ offsets, scrollTop: viewport.top, viewportHeight: viewport.height, overscan: OVERSCAN });

  // What the resize observer's callback needs of the latest render.
  const latest = useRef({ offsets, indexById, heights });
  useLayoutEffect(() => {
    latest.current = { offsets, indexById, heights };
  });

  // Renders again only when the scroll position or the viewport changed.
  const followScroll = useCallback((top: number, height: number) => {
    setViewport((current) => (current && current.top === top && current.height === height ? current : { top, height }));
  }, []);
  const observerRef = useRef<ResizeObserver | null>(null);
  const onResize = useCallback((entries: ResizeObserverEntry[]) => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const { offsets, indexById, heights } = latest.current;
    let next: Map<string, number> | null = null;
    let shift = 0;
    for (const entry of entries) {
      if (entry.target === scroller) continue;
      const row = entry.target as HTMLElement;
      const id = row.dataset.turnId;
      const index = id === undefined ? undefined : indexById.get(id);
      const size = entry.borderBoxSize[0]?.blockSize ?? row.getBoundingClientRect().height;
      if (id === undefined || index === undefined || size === 0) continue;
      const start = offsets[index] as number;
      const counted = (offsets[index + 1] as number) - start;
      if (heights.get(id) === size) continue;
      next ??= new Map(heights);
      next.set(id, size);
      // A row above the top edge that turned out taller or shorter than counted has already moved
      // everything below it: follow, so the rows in view stay where they are.
      if (start < scroller.scrollTop) shift += size - counted;
    }
    if (shift !== 0) scroller.scrollTop += shift;
    if (next) setHeights(next);
    followScroll(scroller.scrollTop, scroller.clientHeight);
  }, [followScroll]);

  const observe = useCallback(
    (element: HTMLElement | null) => {
      if (!element) return;
      observerRef.current ??= new ResizeObserver(onResize);
      const observer = observerRef.current;
      observer.observe(element);
      return () => {
        observer.unobserve(element);
        // The row holding focus leaves the window (scrolled away): keep focus in the timeline,
        // where the arrow keys still move the selection, rather than lose it to the page.
        const scroller = scrollerRef.current;
        if (scroller && element !== scroller && element.contains(document.activeElement)) scroller.focus({ preventScroll: true });
      };
    },
    [onResize],
  );
  useEffect(() => () => observerRef.current?.disconnect(), []);
  const attachScroller = useCallback(
    (element: HTMLDivElement | null) => {
      scrollerRef.current = element;
      if (!element) return;
      const detach = observe(element);
      return () => {
        detach?.();
        scrollerRef.current = null;
      };
    },
    [observe],
  );

  // A new selection (and the one the page opened with) scrolls into view once it is rendered.
  const shownSelection = useRef<string | null | undefined>(undefined);
  const pendingReveal = useRef<{ id: string; focus: boolean; scrolled?: boolean } | null>(null);
  const focusNext = useRef(false);
  const selectedRowId = path[selectedIndex]?.id ?? null;
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    if (selectedRowId !== shownSelection.current) {
      shownSelection.current = selectedRowId;
      pendingReveal.current = selectedRowId === null ? null : { id: selectedRowId, focus: focusNext.current };
      focusNext.current = false;
    }
    if (viewport === null) {
      // First layout: apply the padding, with the window where the reveal below will scroll.
      const height = scroller.clientHeight;
      const top = selectedIndex < 0 ? 0 : scrollToReveal(offsets, selectedIndex, 0, height);
      setViewport({ top, height });
      return;
    }
    const pending = pendingReveal.current;
    if (!pending) return;
    const index = indexById.get(pending.id);
    if (index === undefined) {
      pendingReveal.current = null;
      return;
    }
    const row = scroller.querySelector<HTMLElement>(`[data-turn-id="${CSS.escape(pending.id)}"]`);
    if (!row) {
      if (pending.scrolled) {
        pendingReveal.current = null;
        return;
      }
      // Not rendered yet: scroll to where it is counted to be; the next render brings it in.
      pending.scrolled = true;
      const top = scrollToReveal(offsets, index, scroller.scrollTop, scroller.clientHeight);
      scroller.scrollTop = top;
      setViewport({ top: scroller.scrollTop, height: scroller.clientHeight });
      return;
    }
    const box = row.getBoundingClientRect();
    const frame = scroller.getBoundingClientRect();
    if (box.top < frame.top || box.height > frame.height) scroller.scrollTop += box.top - frame.top;
    else if (box.bottom > frame.bottom) scroller.scrollTop += box.bottom - frame.bottom;
    if (pending.focus) row.querySelector<HTMLElement>("button[aria-current]")?.focus({ preventScroll: true });
    pendingReveal.current = null;
  }, [selectedRowId, viewport, indexById, selectedIndex, offsets]);

  function onKeyDown(event: React.KeyboardEvent) {
    const move = KEY_MOVES[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = path[Math.min(path.length - 1, Math.max(0, move(selectedIndex, path.length)))];
    event.preventDefault();
    if (!target) return;
    if (target.id === selectedRowId) {
      // Already selected (first or last): still bring it into view and focus it.
      pendingReveal.current = { id: target.id, focus: true };
      setViewport((current) => (current ? { ...current } : current));
      return;
    }
    focusNext.current = true;
    onSelect(target.id);
  }

  return (
    <div
      ref={attachScroller}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      onScroll={(event) => followScroll(event.currentTarget.scrollTop, event.currentTarget.clientHeight)}
      // The rows adjust the scroll position themselves as they are measured.
      className="min-h-0 flex-1 overflow-y-auto [overflow-anchor:none]"
    >
      <ol
        aria-label="Timeline"
        data-testid="timeline"
        className="flex flex-col"
        style={viewport === null ? undefined : { paddingTop: range.paddingTop, paddingBottom: range.paddingBottom }}
      >
        {path.slice(range.first, range.last + 1).map((turn, offset) => {
          const position = range.first + offset;
          return (
            <TimelineRow
              key={turn.id}
              tree={tree}
              turn={turn}
              position={position}
              count={path.length}
              selected={position === selectedIndex}
              onSelect={onSelect}
              measure={observe}
            />
          );
        })}
      </ol>
    </div>
  );
}

interface TimelineRowProps {
  tree: TurnTree<Turn>;
  turn: Turn;
  position: number;
  count: number;
  selected: boolean;
  onSelect(turnId: string): void;
  measure(element: HTMLElement | null): void;
}

const TimelineRow = memo(function TimelineRow({ tree, turn, position, count, selected, onSelect, measure }: TimelineRowProps) {
  const { siblings, index } = siblingsOf(tree, turn);
  const image = turn.outcome?.images[0];
  return (
    <li
      ref={measure}
      data-testid="timeline-turn"
      data-turn-id={turn.id}
      data-selected={selected}
      // Only a window of the list is in the DOM: tell assistive technology the full count.
      aria-setsize={count}
      aria-posinset={position + 1}
      className="pb-2"
    >
      {siblings.length > 1 && (
        <div className="mb-1 flex items-center gap-1 text-[11px] text-zinc-500" data-testid="branch-switcher">
          <button
            type="button"
            aria-label="Previous branch"
            disabled={index === 0}
            onClick={() => siblings[index - 1] && onSelect(siblings[index - 1]!.id)}
            className="rounded px-1 hover:bg-zinc-200 disabled:opacity-30 dark:hover:bg-zinc-800"
          >
            ‹
          </button>
          <span data-testid="branch-position">
            Branch {index + 1} of {siblings.length}
          </span>
          <button
            type="button"
            aria-label="Next branch"
            disabled={index === siblings.length - 1}
            onClick={() => siblings[index + 1] && onSelect(siblings[index + 1]!.id)}
            className="rounded px-1 hover:bg-zinc-200 disabled:opacity-30 dark:hover:bg-zinc-800"
          >
            ›
          </button>
        </div>
      )}
      <button
        type="button"
        onClick={() => onSelect(turn.id)}
        aria-current={selected ? "step" : undefined}
        className={`flex w-full gap-3 rounded-lg border p-2 text-left transition-colors ${
          selected
            ? "border-banana-500 bg-banana-300/20 dark:bg-banana-500/10"
            : "border-zinc-200 hover:border-zinc-300 hover:bg-white dark:border-zinc-800 dark:hover:border-zinc-700 dark:hover:bg-zinc-900"
        }`}
      >
        <span className="relative size-16 shrink-0 overflow-hidden rounded-md bg-zinc-200 dark:bg-zinc-800">
          {image && (
            // eslint-disable-next-line @next/next/no-img-element -- small thumbnail of a stored file
            <img
              src={`/api/images/${image.hash}/thumbnail?w=96`}
              srcSet={`/api/images/${image.hash}/thumbnail?w=96 1x, /api/images/${image.hash}/thumbnail?w=192 2x`}
              alt=""
              loading="lazy"
              decoding="async"
              className="size-full object-cover"
            />
          )}
        </span>
        <span className="flex min-w-0 flex-1 flex-col gap-1">
          <span className="flex items-center gap-2 text-[11px] text-zinc-500">
            <span>Turn {position + 1}</span>
            <TurnStatusBadge status={turn.status} />
            {turn.request.references.length > 0 && <span>{turn.request.references.length} ref.</span>}
          </span>
          <span className="line-clamp-2 text-sm" data-testid="timeline-prompt">
            {turn.request.prompt}
          </span>
          <span className="flex flex-wrap gap-1">
            {settingsChips(turn).map((chip) => (
              <span key={chip} className="rounded bg-zinc-100 px-1 text-[10px] text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
                {chip}
              </span>
            ))}
          </span>
        </span>
      </button>
    </li>
  );
});
