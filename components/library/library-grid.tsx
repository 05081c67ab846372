"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useLayoutEffect, useRef, useState } from "react";
import type { Board, LibraryItem } from "@/lib/storage/types";
import { LibraryTile } from "./library-tile";

export interface ResultControls {
  boards: Board[];
  onBoardsChange(boards: Board[]): void;
  onUpdate(item: LibraryItem, patch: Partial<LibraryItem>): void;
  onError(message: string): void;
}

const MIN_TILE = 200;
const GAP = 16;
/** The text and buttons under a tile's image. */
const CAPTION = 96;

/**
 * The results in rows of square tiles, only the rows near the window's viewport rendered: a
 * library of thousands of images stays as light as one screenful. The page itself scrolls.
 */
export function LibraryGrid({ items, onOpen, ...controls }: { items: LibraryItem[]; onOpen(item: LibraryItem): void } & ResultControls) {
  const container = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [offset, setOffset] = useState(0);

  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const measure = () => {
      setWidth(element.clientWidth);
      setOffset(element.getBoundingClientRect().top + window.scrollY);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const columns = Math.max(2, Math.floor((width + GAP) / (MIN_TILE + GAP)));
  const tile = width > 0 ? (width - GAP * (columns - 1)) / columns : MIN_TILE;
  const rows = Math.ceil(items.length / columns);
  const virtualizer = useWindowVirtualizer({
    count: rows,
    estimateSize: () => tile + CAPTION + GAP,
    overscan: 3,
    scrollMargin: offset,
  });

  return (
    <div ref={container} data-testid="library-grid" role="list" aria-label="Results" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
      {virtualizer.getVirtualItems().map((row) => (
        <div
          key={row.key}
          data-index={row.index}
          ref={virtualizer.measureElement}
          role="presentation"
          className="absolute left-0 grid w-full"
          style={{ top: row.start - offset, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gap: GAP, paddingBottom: GAP }}
        >
          {items.slice(row.index * columns, row.index * columns + columns).map((item) => (
            <LibraryTile key={`${item.turnId}/${item.hash}`} item={item} onOpen={() => onOpen(item)} {...controls} />
          ))}
        </div>
      ))}
    </div>
  );
}
