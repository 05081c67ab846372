import type { LibraryItem } from "@/lib/storage/types";

// The library's limits and filters, shared by the storage (server) and the library page (client).

export const MAX_BOARD_NAME_LENGTH = 80;
export const MAX_PROMPT_NAME_LENGTH = 80;
export const MAX_SAVED_PROMPT_LENGTH = 8_000;
export const MAX_PROMPT_TAGS = 10;
export const MAX_PROMPT_TAG_LENGTH = 32;

export interface LibraryFilter {
  /** Case-insensitive substring of the prompt. */
  query: string;
  /** "" for any. */
  model: string;
  imageSize: string;
  /** YYYY-MM-DD, inclusive, in UTC; "" for open-ended. */
  from: string;
  to: string;
  favouritesOnly: boolean;
  /** "" for any board. */
  boardId: string;
}

export const EMPTY_LIBRARY_FILTER: LibraryFilter = { query: "", model: "", imageSize: "", from: "", to: "", favouritesOnly: false, boardId: "" };

/** The items the filter lets through, in the order given (newest first). */
export function filterLibrary(items: readonly LibraryItem[], filter: LibraryFilter): LibraryItem[] {
  const needle = filter.query.trim().toLowerCase();
  return items.filter(
    (item) =>
      (needle === "" || item.prompt.toLowerCase().includes(needle)) &&
      (filter.model === "" || item.model === filter.model) &&
      (filter.imageSize === "" || item.imageSize === filter.imageSize) &&
      // createdAt is ISO UTC, so its first ten characters are the UTC day and compare as text.
      (filter.from === "" || item.createdAt.slice(0, 10) >= filter.from) &&
      (filter.to === "" || item.createdAt.slice(0, 10) <= filter.to) &&
      (!filter.favouritesOnly || item.favourite) &&
      (filter.boardId === "" || item.boardIds.includes(filter.boardId)),
  );
}

/** The distinct values of one field, sorted, for a filter's choices. */
export function choicesOf(items: readonly LibraryItem[], field: "model" | "imageSize"): string[] {
  return [...new Set(items.map((item) => item[field]))].sort();
}

/** Splits "a, b  c" into tags as the storage keeps them: trimmed, lower-case, unique. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((tag) => tag.trim().toLowerCase()).filter(Boolean))];
}
