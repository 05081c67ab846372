"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { TurnSummary } from "@/lib/studio/turn-summary";
import { siblingsOf, type TurnTree } from "@/lib/studio/turn-tree";
import { TurnStatusBadge } from "./turn-status";

interface TimelineProps {
  tree: TurnTree<TurnSummary>;
  path: TurnSummary[];
  /** Each turn's number in the session (lib/studio/turn-tree.ts numberTurns), as every view shows it. */
  numbers: ReadonlyMap<string, number>;
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
/**
 * Animation frames a scroll to a row keeps correcting itself: rows measured on the way in (taller or
 * shorter than estimated) move the target after the virtualizer's own scroll has settled.
 */
const SETTLE_FRAMES = 30;

const KEY_MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowUp: (index) => index - 1,
  ArrowDown: (index) => index + 1,
  Home: () => 0,
  End: (_, count) => count - 1,
};

function settingsChips(turn: TurnSummary): string[] {
  const { settings } = turn;
  const chips = [settings.model.replace(/^gemini-/, ""), settings.imageSize, settings.aspectRatio === "match-input" ? "match input" : settings.aspectRatio];
  if (settings.webSearch) chips.push("search");
  if (settings.imageSearch) chips.push("image search");
  if (settings.thinkingLevel === "high") chips.push("thinking high");
  return chips;
}

function estimateHeight(tree: TurnTree<TurnSummary>, turn: TurnSummary): number {
  const row = turn.prompt.length > PROMPT_ONE_LINE_CHARS ? ROW_TWO_LINES : ROW_ONE_LINE;
  return siblingsOf(tree, turn).siblings.length > 1 ? row + BRANCH_SWITCHER : row;
}

/** Whether the element lies wholly inside the scroller's visible box. */
function isWithin(element: HTMLElement, scroller: HTMLElement): boolean {
  const box = element.getBoundingClientRect();
  const view = scroller.getBoundingClientRect();
  return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
}

/** The visible branch of a session, oldest first, with a switcher wherever a turn has siblings. */
export function Timeline(props: TimelineProps) {
  if (props.path.length === 0) {
    return <p className="p-4 text-sm text-zinc-500 dark:text-zinc-400">No turns yet. Write a prompt to start.</p>;
  }
  return <WindowedTimeline {...props} />;
}

/**
 * Only the rows in view (plus overscan) are in the DOM, windowed by @tanstack/react-virtual; padding
 * above and below the list stands in for the rest, so the scrollbar covers the whole branch and the
 * rendered rows stay in normal flow. Rows are measured as they render, and until then count at an
 * estimated height; a row above the top edge that measures taller or shorter than counted moves the
 * scroll position by the difference, so the rows in view stay where they are.
 */
function WindowedTimeline({ tree, path, numbers, selectedId, onSelect }: TimelineProps) {
  const scrollerRef = useRef<HTMLDivElement>(null);
  // False for the server render and hydration, which know no viewport: they show the rows around
  // the selection, and the first layout switches to the window the virtualizer computes.
  const [laidOut, setLaidOut] = useState(false);

  // No selection means the newest turn, as the studio shows it.
  const selectedIndex = selectedId === null ? path.length - 1 : path.findIndex((turn) => turn.id === selectedId);
  const selectedRowId = path[selectedIndex]?.id ?? null;

  // Stable while the branch is: the virtualizer rebuilds every row's position (an estimate each)
  // whenever these two change identity, which would otherwise be on every render.
  const estimateSize = useCallback(
    (index: number) => {
      const turn = path[index];
      return turn ? estimateHeight(tree, turn) : ROW_ONE_LINE;
    },
    [path, tree],
  );
  const getItemKey = useCallback((index: number) => path[index]?.id ?? index, [path]);
  // The studio does not build with the React Compiler, and what this passes to memoized rows
  // (measureElement) is stable for the virtualizer's lifetime.
  // eslint-disable-next-line react-hooks/incompatible-library -- see above
  const virtualizer = useVirtualizer({
    count: path.length,
    getScrollElement: () => scrollerRef.current,
    estimateSize,
    getItemKey,
    overscan: OVERSCAN,
    // A new range renders in React's own batch rather than synchronously inside each scroll event.
    useFlushSync: false,
  });

  // scrollToIndex aims with estimated heights; rows measured while it moves (a jump from turn 1 to
  // turn 500 measures a whole new window) can leave the target just outside the view. Aim again each
  // frame until the row is inside the scroller, for a bounded number of frames.
  const settleFrame = useRef<number | null>(null);
  const scrollIntoView = useCallback(
    (turnId: string, index: number) => {
      if (settleFrame.current !== null) cancelAnimationFrame(settleFrame.current);
      virtualizer.scrollToIndex(index, { align: "auto" });
      let frames = 0;
      const check = () => {
        settleFrame.current = null;
        const scroller = scrollerRef.current;
        if (!scroller) return;
        const row = scroller.querySelector<HTMLElement>(`[data-turn-id="${CSS.escape(turnId)}"]`);
        if (row && isWithin(row, scroller)) return;
        if (++frames > SETTLE_FRAMES) return;
        virtualizer.scrollToIndex(index, { align: "auto" });
        settleFrame.current = requestAnimationFrame(check);
      };
      settleFrame.current = requestAnimationFrame(check);
    },
    [virtualizer],
  );
  useEffect(
    () => () => {
      if (settleFrame.current !== null) cancelAnimationFrame(settleFrame.current);
    },
    [],
  );

  // A new selection (and the one the page opened with) scrolls into view; a selection made with the
  // keyboard also takes focus once its row is rendered.
  const shownSelection = useRef<string | null | undefined>(undefined);
  const pendingFocus = useRef<string | null>(null);
  const focusNext = useRef(false);
  useLayoutEffect(() => {
    if (!laidOut) {
      setLaidOut(true);
      return;
    }
    if (selectedRowId === shownSelection.current) return;
    shownSelection.current = selectedRowId;
    pendingFocus.current = focusNext.current ? selectedRowId : null;
    focusNext.current = false;
    if (selectedIndex >= 0 && selectedRowId !== null) scrollIntoView(selectedRowId, selectedIndex);
  }, [laidOut, selectedRowId, selectedIndex, scrollIntoView]);
  // Runs after every render: the row to focus may arrive a render or two after the scroll.
  useLayoutEffect(() => {
    const id = pendingFocus.current;
    if (id === null) return;
    const row = scrollerRef.current?.querySelector<HTMLElement>(`[data-turn-id="${CSS.escape(id)}"] button[aria-current]`);
    if (!row) return;
    pendingFocus.current = null;
    row.focus({ preventScroll: true });
  });

  const measure = virtualizer.measureElement;
  const attachRow = useCallback(
    (element: HTMLElement | null) => {
      measure(element);
      if (!element) return;
      return () => {
        // A returned cleanup replaces React's ref(null) call, with which the virtualizer forgets rows that left.
        measure(null);
        // The row holding focus leaves the window (scrolled away): keep focus in the timeline,
        // where the arrow keys still move the selection, rather than lose it to the page.
        const scroller = scrollerRef.current;
        if (scroller && element.contains(document.activeElement)) scroller.focus({ preventScroll: true });
      };
    },
    [measure],
  );

  function onKeyDown(event: React.KeyboardEvent) {
    const move = KEY_MOVES[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const targetIndex = Math.min(path.length - 1, Math.max(0, move(selectedIndex, path.length)));
    const target = path[targetIndex];
    event.preventDefault();
    if (!target) return;
    if (target.id === selectedRowId) {
      // Already selected (first or last): still bring it into view and focus it.
      pendingFocus.current = target.id;
      scrollIntoView(target.id, targetIndex);
      return;
    }
    focusNext.current = true;
    onSelect(target.id);
  }

  const items = virtualizer.getVirtualItems();
  const initial = windowAround(path.length, selectedIndex - INITIAL_BEFORE, selectedIndex + INITIAL_AFTER);
  const rows = laidOut ? items.map((item) => item.index) : initial;
  const first = laidOut ? items[0] : undefined;
  const last = laidOut ? items.at(-1) : undefined;
  const padding =
    first && last ? { paddingTop: first.start, paddingBottom: Math.max(0, virtualizer.getTotalSize() - last.end) } : undefined;

  return (
    <div
      ref={scrollerRef}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      // The virtualizer adjusts the scroll position itself as rows above the view are measured.
      className="min-h-0 flex-1 overflow-y-auto [overflow-anchor:none]"
    >
      <ol aria-label="Timeline" data-testid="timeline" className="flex flex-col" style={padding}>
        {rows.map((position) => {
          const turn = path[position];
          if (!turn) return null;
          return (
            <TimelineRow
              key={turn.id}
              tree={tree}
              turn={turn}
              number={numbers.get(turn.id) ?? position + 1}
              position={position}
              count={path.length}
              selected={position === selectedIndex}
              onSelect={onSelect}
              measure={attachRow}
            />
          );
        })}
      </ol>
    </div>
  );
}

/** Row indexes from `first` to `last`, clamped to a list of `count` rows. */
function windowAround(count: number, first: number, last: number): number[] {
  const from = Math.min(Math.max(0, first), count - 1);
  const to = Math.min(Math.max(from, last), count - 1);
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, offset) => from + offset);
}

interface TimelineRowProps {
  tree: TurnTree<TurnSummary>;
  turn: TurnSummary;
  number: number;
  position: number;
  count: number;
  selected: boolean;
  onSelect(turnId: string): void;
  measure(element: HTMLElement | null): void | (() => void);
}

const TimelineRow = memo(function TimelineRow({ tree, turn, number, position, count, selected, onSelect, measure }: TimelineRowProps) {
  const { siblings, index } = siblingsOf(tree, turn);
  const { image } = turn;
  return (
    <li
      ref={measure}
      data-testid="timeline-turn"
      data-turn-id={turn.id}
      data-selected={selected}
      // The virtualizer finds the row it measures by this index.
      data-index={position}
      // Only a window of the list is in the DOM: tell assistive technology the full count.
      aria-setsize={count}
      aria-posinset={position + 1}
      className="pb-2"
    >
      {siblings.length > 1 && (
        <div className="mb-1 flex items-center gap-1 text-[11px] text-zinc-500 dark:text-zinc-400" data-testid="branch-switcher">
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
        className={`group flex w-full gap-3 rounded-lg border p-2 text-left transition-colors ${
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
          <span className="flex items-center gap-2 text-[11px] text-zinc-500 group-aria-[current=step]:text-zinc-600 dark:text-zinc-400 dark:group-aria-[current=step]:text-zinc-400">
            <span>Turn {number}</span>
            <TurnStatusBadge status={turn.status} />
            {turn.referenceCount > 0 && <span>{turn.referenceCount} ref.</span>}
          </span>
          <span className="line-clamp-2 text-sm" data-testid="timeline-prompt">
            {turn.prompt}
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
