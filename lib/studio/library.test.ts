import { describe, expect, it } from "vitest";
import type { LibraryItem } from "@/lib/storage/types";
import { EMPTY_LIBRARY_FILTER, choicesOf, filterLibrary, parseTags } from "./library";

function item(overrides: Partial<LibraryItem>): LibraryItem {
  return {
    turnId: "t",
    hash: "h",
    sessionId: "s",
    sessionTitle: "Session",
    index: 0,
    mimeType: "image/png",
    width: 1024,
    height: 1024,
    fileName: null,
    prompt: "A banana",
    model: "gemini-3.1-flash-image",
    imageSize: "1K",
    aspectRatio: "1:1",
    createdAt: "2026-12-01T10:00:00.000Z",
    favourite: false,
    boardIds: [],
    ...overrides,
  };
}

const items = [
  item({ turnId: "a", prompt: "A RED banana on slate", model: "gemini-3-pro-image", imageSize: "2K", createdAt: "2026-12-03T23:59:59.999Z", favourite: true }),
  item({ turnId: "b", prompt: "A green apple", createdAt: "2026-12-02T00:00:00.000Z", boardIds: ["board-1"] }),
  item({ turnId: "c", prompt: "Red sky", createdAt: "2026-11-30T12:00:00.000Z" }),
];
const ids = (list: LibraryItem[]) => list.map((each) => each.turnId);

describe("filterLibrary", () => {
  it("lets everything through with no filter, in the given order", () => {
    expect(ids(filterLibrary(items, EMPTY_LIBRARY_FILTER))).toEqual(["a", "b", "c"]);
  });

  it("searches prompts case-insensitively, ignoring surrounding spaces", () => {
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, query: "  red " }))).toEqual(["a", "c"]);
  });

  it("filters by model, size, favourites and board", () => {
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, model: "gemini-3-pro-image" }))).toEqual(["a"]);
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, imageSize: "1K" }))).toEqual(["b", "c"]);
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, favouritesOnly: true }))).toEqual(["a"]);
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, boardId: "board-1" }))).toEqual(["b"]);
  });

  it("treats the date range as whole UTC days, both ends included", () => {
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, from: "2026-12-02", to: "2026-12-03" }))).toEqual(["a", "b"]);
    expect(ids(filterLibrary(items, { ...EMPTY_LIBRARY_FILTER, to: "2026-12-01" }))).toEqual(["c"]);
  });
});

describe("choicesOf", () => {
  it("lists each value once, sorted", () => {
    expect(choicesOf(items, "imageSize")).toEqual(["1K", "2K"]);
  });
});

describe("parseTags", () => {
  it("splits on commas and spaces, lower-cases and drops repeats", () => {
    expect(parseTags(" Product, light  product,,")).toEqual(["product", "light"]);
  });
});
