import type { GroundingSource, GroundingSupport } from "@/lib/gemini/types";

/**
 * Inline citations for grounded answers. Pure: the grounding panel renders what this returns.
 *
 * The service counts a support's `startIndex`/`endIndex` in UTF-8 bytes of the model text, while
 * JavaScript strings index UTF-16 code units. Slicing with the byte offsets works for ASCII and
 * drifts by one or more positions for every "à", "—", CJK character or emoji before the segment,
 * so offsets are mapped through a byte -> code-unit table first.
 */

export type CitedTextPart = { kind: "text"; text: string } | { kind: "cite"; sourceIndices: number[] };

/**
 * Splits `text` into plain runs and citation markers, one marker at the end of each support
 * segment. `sourceIndices` are grounding-chunk indices (`GroundingSource.index`); indices with no
 * matching source are dropped, and a support left with none gets no marker. Supports ending at
 * the same place share one marker.
 */
export function segmentTextWithCitations(
  text: string,
  supports: readonly GroundingSupport[],
  sources: readonly GroundingSource[],
): CitedTextPart[] {
  const known = new Set(sources.map((source) => source.index));
  const markers = new Map<number, Set<number>>();
  let byteMap: Uint32Array | null = null;

  for (const support of supports) {
    const cited = support.sourceIndices.filter((index) => known.has(index));
    if (cited.length === 0) continue;
    byteMap ??= utf8ToUtf16Map(text);
    const range = locateSupport(text, byteMap, support);
    if (!range) continue;
    const at = markerPosition(text, range);
    const marker = markers.get(at) ?? new Set<number>();
    for (const index of cited) marker.add(index);
    markers.set(at, marker);
  }

  const parts: CitedTextPart[] = [];
  let from = 0;
  for (const at of [...markers.keys()].sort((a, b) => a - b)) {
    if (at > from) parts.push({ kind: "text", text: text.slice(from, at) });
    parts.push({ kind: "cite", sourceIndices: [...(markers.get(at) ?? [])].sort((a, b) => a - b) });
    from = at;
  }
  if (from < text.length) parts.push({ kind: "text", text: text.slice(from) });
  return parts;
}

interface Range {
  start: number;
  end: number;
}

/**
 * `map[byte]` is the UTF-16 index where the character containing that byte ends if the byte is
 * inside a multi-byte character (an offset that splits a character snaps forward), or where it
 * starts if the byte begins one. `map[byteLength]` is `text.length`. Lone surrogates count as the
 * three bytes of U+FFFD, which is what any UTF-8 encoder (and so the service) turns them into.
 */
export function utf8ToUtf16Map(text: string): Uint32Array {
  const map = new Uint32Array(utf8Length(text) + 1);
  let byte = 0;
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index) ?? 0;
    const units = codePoint > 0xffff ? 2 : 1;
    const bytes = utf8Width(codePoint);
    map[byte] = index;
    for (let inner = 1; inner < bytes; inner++) map[byte + inner] = index + units;
    byte += bytes;
    index += units;
  }
  map[byte] = text.length;
  return map;
}

function utf8Width(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index) ?? 0;
    bytes += utf8Width(codePoint);
    index += codePoint > 0xffff ? 2 : 1;
  }
  return bytes;
}

function byteToIndex(map: Uint32Array, byte: number): number | null {
  if (!Number.isInteger(byte) || byte < 0 || byte >= map.length) return null;
  return map[byte] ?? null;
}

/**
 * The byte offsets are the contract; the segment's quoted text is a cross-check. When the two
 * disagree (text rebuilt differently from what the service counted, offsets out of range) the
 * quoted text is searched for, nearest to where the offsets point, and the offsets are kept only
 * if the quote is nowhere to be found.
 */
function locateSupport(text: string, map: Uint32Array, support: GroundingSupport): Range | null {
  const start = byteToIndex(map, Math.max(0, support.startByte));
  const end = byteToIndex(map, support.endByte);
  const byOffsets = start !== null && end !== null && end > start ? { start, end } : null;

  const quote = support.text;
  if (!quote) return byOffsets;
  if (byOffsets && text.slice(byOffsets.start, byOffsets.end) === quote) return byOffsets;

  // A UTF-16 index is never larger than the UTF-8 offset of the same position.
  const hint = byOffsets?.start ?? Math.min(Math.max(0, support.startByte), text.length);
  const found = nearestOccurrence(text, quote, hint);
  return found === null ? byOffsets : { start: found, end: found + quote.length };
}

function nearestOccurrence(text: string, quote: string, hint: number): number | null {
  let best: number | null = null;
  for (let at = text.indexOf(quote); at !== -1; at = text.indexOf(quote, at + 1)) {
    if (best === null || Math.abs(at - hint) < Math.abs(best - hint)) best = at;
  }
  return best;
}

/**
 * After the segment's last visible character: trailing whitespace stays outside so a segment
 * ending in "\n" does not push its marker onto the next line, and a position inside a grapheme
 * (between a letter and its combining accent, inside an emoji ZWJ sequence or flag) moves past it
 * so the marker never splits what a reader sees as one character.
 */
function markerPosition(text: string, range: Range): number {
  let end = range.end;
  while (end - 1 > range.start && /\s/.test(text.charAt(end - 1))) end--;
  return nextGraphemeBoundary(text, end);
}

let graphemes: Intl.Segmenter | null | undefined;

function nextGraphemeBoundary(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return index;
  graphemes ??= typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  if (!graphemes) return index;
  const cluster = graphemes.segment(text).containing(index);
  if (!cluster || cluster.index === index) return index;
  return cluster.index + cluster.segment.length;
}

/** The URL normalised, if it is absolute http(s) without credentials; null for anything else. */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (typeof url !== "string" || url.trim() === "") return null;
  let parsed: URL;
  try {
    // No base URL: relative and protocol-relative links are rejected rather than resolved against the studio.
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  // "https://trusted.example@evil.example" reads as one host and goes to another.
  if (parsed.username !== "" || parsed.password !== "") return null;
  return parsed.href;
}

export interface SourceView {
  /** 1-based, as shown in the list and in the text's markers. */
  number: number;
  /** The grounding-chunk index supports refer to. */
  index: number;
  kind: GroundingSource["kind"];
  title: string;
  domain: string | null;
  /** The page to open (for image results, the page the image is on); null when not http(s). */
  href: string | null;
  /** A thumbnail for image results; null when absent or not http(s). */
  imageSrc: string | null;
}

// Web chunk uris are Google's redirect links, so their host says nothing about the source.
const REDIRECT_HOSTS = new Set(["vertexaisearch.cloud.google.com"]);
const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** What the sources list shows for one grounding chunk. */
export function describeSource(source: GroundingSource, number: number): SourceView {
  const href = safeHttpUrl(source.uri);
  const title = source.title?.trim() || null;
  const domain = source.domain?.trim() || deriveDomain(href, title);
  return {
    number,
    index: source.index,
    kind: source.kind,
    title: title ?? domain ?? `Source ${number}`,
    domain,
    href,
    imageSrc: source.kind === "image" ? safeHttpUrl(source.imageUri) : null,
  };
}

function deriveDomain(href: string | null, title: string | null): string | null {
  const host = href ? new URL(href).hostname.toLowerCase() : null;
  if (host && !REDIRECT_HOSTS.has(host)) return host.replace(/^www\./, "");
  // Behind a redirect link the service's title is usually the bare domain ("github.com").
  return title && HOST_NAME.test(title) ? title.toLowerCase() : null;
}
