import { describe, expect, it } from "vitest";
import { readFixtureJson } from "@/lib/gemini/__fixtures__/load";
import { normalizeGrounding, type WireGroundingMetadata } from "@/lib/gemini/response";
import type { GroundingSource, GroundingSupport } from "@/lib/gemini/types";
import { describeSource, safeHttpUrl, segmentTextWithCitations, utf8ToUtf16Map, type CitedTextPart } from "./citations";

const recording = readFixtureJson<{ groundingMetadata: WireGroundingMetadata }>("grounding/grounding-metadata.json");
const recorded = normalizeGrounding(recording.groundingMetadata);

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Pads `text` with spaces to exactly `size` UTF-8 bytes. */
function padToBytes(text: string, size: number): string {
  const missing = size - bytes(text);
  if (missing < 0) throw new Error(`"${text}" is already ${bytes(text)} bytes`);
  return text + " ".repeat(missing);
}

function webSource(index: number, uri = `https://example.com/${index}`): GroundingSource {
  return { index, kind: "web", uri, title: `source ${index}`, domain: null };
}

/**
 * A support for `quote` as the service would send it: UTF-8 byte offsets of its first occurrence.
 * Without `withQuote` the segment text is left out, so only the byte offsets can place the marker.
 */
function supportFor(text: string, quote: string, sourceIndices: number[], withQuote = true): GroundingSupport {
  const at = text.indexOf(quote);
  if (at === -1) throw new Error(`"${quote}" not in text`);
  const startByte = bytes(text.slice(0, at));
  return { startByte, endByte: startByte + bytes(quote), text: withQuote ? quote : "", sourceIndices };
}

/** The text with each marker written as [i,j] (chunk indices), to compare placements at a glance. */
function render(parts: CitedTextPart[]): string {
  return parts.map((part) => (part.kind === "text" ? part.text : `[${part.sourceIndices.join(",")}]`)).join("");
}

function plain(parts: CitedTextPart[]): string {
  return parts.map((part) => (part.kind === "text" ? part.text : "")).join("");
}

describe("segmentTextWithCitations with the real recording", () => {
  const first = recorded.supports[0]!;
  const second = recorded.supports[1]!;

  /** The answer text is not in the recording; this one puts the quoted segments at the recorded byte ranges. */
  function recordedAnswer(prefix: string, middle: string): string {
    return `${padToBytes(prefix, first.startByte)}${first.text}${padToBytes(middle, second.startByte - first.endByte)}${second.text} Happy building!`;
  }

  it("has two supports citing the two sources", () => {
    expect(recorded.sources.map((source) => source.title)).toEqual(["google.dev", "github.com"]);
    expect(recorded.supports.map((support) => [support.startByte, support.endByte, support.sourceIndices])).toEqual([
      [240, 323, [0]],
      [434, 563, [1]],
    ]);
  });

  it("places the markers right after the recorded segments in ASCII text", () => {
    const text = recordedAnswer("Here is where to find the Gemini API documentation and guides for tool use.", "For worked examples:");
    const parts = segmentTextWithCitations(text, recorded.supports, recorded.sources);
    expect(render(parts)).toContain(`${first.text}[0]`);
    expect(render(parts)).toContain(`${second.text}[1]`);
    expect(parts.filter((part) => part.kind === "cite")).toEqual([
      { kind: "cite", sourceIndices: [0] },
      { kind: "cite", sourceIndices: [1] },
    ]);
    expect(plain(parts)).toBe(text);
  });

  it.each([
    ["with", recorded.supports],
    ["without", recorded.supports.map((support) => ({ ...support, text: "" }))],
  ])("places them right when accented, CJK and emoji text comes first (%s the quoted text)", (_label, supports) => {
    const text = recordedAnswer("Voilà — “tool use” 指南 🍌 ready: café, naïve, e\u0301.", "Ensuite, à voir 🚀 aussi — 例:");
    // Proof the test bites: slicing the JS string with the byte offsets misses the segment.
    expect(text.slice(first.startByte, first.endByte)).not.toBe(first.text);
    const parts = segmentTextWithCitations(text, supports, recorded.sources);
    expect(render(parts)).toContain(`${first.text}[0]`);
    expect(render(parts)).toContain(`${second.text}[1]`);
    expect(plain(parts)).toBe(text);
  });

  it("falls back to the quoted segment text when the answer it came with differs", () => {
    const text = `Docs first. ${first.text}\n\nThen examples. ${second.text}`;
    const parts = segmentTextWithCitations(text, recorded.supports, recorded.sources);
    expect(render(parts)).toBe(`Docs first. ${first.text}[0]\n\nThen examples. ${second.text}[1]`);
  });
});

describe.each([
  ["with the quoted segment text", true],
  ["from the byte offsets alone", false],
])("segmentTextWithCitations with multi-byte text, %s", (_label, withQuote) => {
  const sources = [webSource(0), webSource(1), webSource(2)];
  const cite = (text: string, quote: string, sourceIndices: number[]) => supportFor(text, quote, sourceIndices, withQuote);

  it("handles the emulator's answer (à, em dash and curly quotes before the cited sentences)", () => {
    const first = "It follows what wikipedia.org says about a banana.";
    const second = "Colours, names and details were checked against recent results from bbc.com and reuters.com.";
    const text = `Voilà — here is your image of “a banana”. ${first} ${second}`;
    const parts = segmentTextWithCitations(text, [cite(text, first, [0]), cite(text, second, [1, 2])], sources);
    expect(render(parts)).toBe(`Voilà — here is your image of “a banana”. ${first}[0] ${second}[1,2]`);
  });

  it("handles CJK text, where each character is three bytes", () => {
    const first = "東京タワーは高さ333メートルです。";
    const second = "夜はライトアップされます。";
    const text = `${first}${second}`;
    const parts = segmentTextWithCitations(text, [cite(text, first, [0]), cite(text, second, [1])], sources);
    expect(render(parts)).toBe(`${first}[0]${second}[1]`);
  });

  it("handles emoji outside the BMP (four bytes, two UTF-16 units)", () => {
    const cited = "Bananas 🍌 are berries.";
    const text = `🍌🍌🍌 Fun fact! ${cited} 🎉 Enjoy.`;
    const parts = segmentTextWithCitations(text, [cite(text, cited, [2])], sources);
    expect(render(parts)).toBe(`🍌🍌🍌 Fun fact! ${cited}[2] 🎉 Enjoy.`);
  });

  it("handles decomposed accents (a letter plus a combining mark)", () => {
    const cited = "Cre\u0300me bru\u0302le\u0301e is French.";
    const text = `Cafe\u0301 menu: ${cited} Bon appe\u0301tit.`;
    const parts = segmentTextWithCitations(text, [cite(text, cited, [0])], sources);
    expect(render(parts)).toBe(`Cafe\u0301 menu: ${cited}[0] Bon appe\u0301tit.`);
  });

  it("never puts a marker between a letter and its combining accent", () => {
    const text = "Un cafe\u0301 noir.";
    const endOfE = bytes("Un cafe");
    const parts = segmentTextWithCitations(text, [{ startByte: 0, endByte: endOfE, text: "", sourceIndices: [0] }], sources);
    expect(render(parts)).toBe("Un cafe\u0301[0] noir.");
  });

  it("never splits an emoji ZWJ sequence or a flag", () => {
    const family = "👩‍👩‍👧";
    const flag = "🇯🇵";
    const text = `A ${family} trip to ${flag} Japan.`;
    const insideFamily = bytes(`A ${family.slice(0, 2)}`);
    const insideFlag = bytes(`A ${family} trip to ${flag.slice(0, 2)}`);
    const parts = segmentTextWithCitations(
      text,
      [
        { startByte: 0, endByte: insideFamily, text: "", sourceIndices: [0] },
        { startByte: 0, endByte: insideFlag, text: "", sourceIndices: [1] },
      ],
      sources,
    );
    expect(render(parts)).toBe(`A ${family}[0] trip to ${flag}[1] Japan.`);
  });

  it("snaps an offset inside a multi-byte character to the next character", () => {
    const text = "Prix: 5€ seulement.";
    const insideEuro = bytes("Prix: 5") + 1;
    const parts = segmentTextWithCitations(text, [{ startByte: 0, endByte: insideEuro, text: "", sourceIndices: [0] }], sources);
    expect(render(parts)).toBe("Prix: 5€[0] seulement.");
  });
});

describe("segmentTextWithCitations edge cases", () => {
  const sources = [webSource(0), webSource(1), webSource(2)];
  const text = "Alpha is first. Beta is second. Gamma is third.";

  it("returns the text alone without supports", () => {
    expect(segmentTextWithCitations(text, [], sources)).toEqual([{ kind: "text", text }]);
    expect(segmentTextWithCitations("", [], sources)).toEqual([]);
  });

  it("merges duplicate supports and supports ending at the same place into one marker", () => {
    const parts = segmentTextWithCitations(
      text,
      [supportFor(text, "Beta is second.", [1]), supportFor(text, "Beta is second.", [1]), supportFor(text, "is second.", [2, 0, 1])],
      sources,
    );
    expect(render(parts)).toBe("Alpha is first. Beta is second.[0,1,2] Gamma is third.");
  });

  it("puts a marker at the end of each overlapping support, in text order", () => {
    const parts = segmentTextWithCitations(
      text,
      [supportFor(text, "Beta is second. Gamma is third.", [2]), supportFor(text, "Alpha is first. Beta is second.", [0])],
      sources,
    );
    expect(render(parts)).toBe("Alpha is first. Beta is second.[0] Gamma is third.[2]");
  });

  it("drops citations of sources that do not exist", () => {
    const parts = segmentTextWithCitations(
      text,
      [supportFor(text, "Alpha is first.", [0, 7]), supportFor(text, "Beta is second.", [9]), supportFor(text, "Gamma is third.", [])],
      sources,
    );
    expect(render(parts)).toBe("Alpha is first.[0] Beta is second. Gamma is third.");
  });

  it("drops supports out of range unless their quoted text can be found", () => {
    const parts = segmentTextWithCitations(
      text,
      [
        { startByte: 500, endByte: 520, text: "", sourceIndices: [0] },
        { startByte: 10, endByte: 5, text: "", sourceIndices: [0] },
        { startByte: 500, endByte: 515, text: "Gamma is third.", sourceIndices: [2] },
        { startByte: 0, endByte: 15, text: "Not in the answer.", sourceIndices: [1] },
      ],
      sources,
    );
    // The last one's offsets are valid, so they are kept even though its quote is nowhere.
    expect(render(parts)).toBe("Alpha is first.[1] Beta is second. Gamma is third.[2]");
  });

  it("picks the occurrence of a repeated quote nearest to the offsets", () => {
    const repeated = "Same words. Other words. Same words.";
    // Offsets one byte off (as if counted differently) near the second "Same words.".
    const parts = segmentTextWithCitations(repeated, [{ startByte: 26, endByte: 37, text: "Same words.", sourceIndices: [0] }], sources);
    expect(render(parts)).toBe("Same words. Other words. Same words.[0]");
  });

  it("reads a missing startIndex as 0 (proto3 omits zeros)", () => {
    const parts = segmentTextWithCitations(text, [{ startByte: 0, endByte: 15, text: "Alpha is first.", sourceIndices: [0] }], sources);
    expect(render(parts)).toBe("Alpha is first.[0] Beta is second. Gamma is third.");
  });

  it("keeps a segment's trailing line break after the marker", () => {
    const lines = "First line.\nSecond line.";
    const parts = segmentTextWithCitations(lines, [supportFor(lines, "First line.\n", [0])], sources);
    expect(render(parts)).toBe("First line.[0]\nSecond line.");
  });
});

describe("utf8ToUtf16Map", () => {
  it("maps every character boundary's byte offset to its string index", () => {
    const text = "aé€🍌e\u0301東👩‍👧z";
    const map = utf8ToUtf16Map(text);
    expect(map.length).toBe(bytes(text) + 1);
    for (let index = 0; index <= text.length; index++) {
      const isBoundary = index === text.length || !/[\udc00-\udfff]/.test(text.charAt(index));
      if (isBoundary) expect(map[bytes(text.slice(0, index))]).toBe(index);
    }
  });

  it("counts a lone surrogate as the three bytes of U+FFFD, as encoders do", () => {
    const text = "a\ud800b";
    expect(utf8ToUtf16Map(text)).toEqual(new Uint32Array([0, 1, 2, 2, 2, 3]));
    expect(bytes(text)).toBe(5);
  });
});

describe("safeHttpUrl", () => {
  it("keeps absolute http and https URLs", () => {
    expect(safeHttpUrl("https://example.com/a?b=c#d")).toBe("https://example.com/a?b=c#d");
    expect(safeHttpUrl("http://example.com")).toBe("http://example.com/");
    expect(safeHttpUrl("  HTTPS://Example.com/x ")).toBe("https://example.com/x");
    expect(safeHttpUrl(recorded.sources[0]!.uri)).toBe(recorded.sources[0]!.uri);
  });

  it.each([
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "mailto:someone@example.com",
    "ftp://example.com/file",
    "blob:https://example.com/uuid",
    "/relative/path",
    "//evil.example/path",
    "example.com",
    "https://trusted.example@evil.example/",
    "https://user:pass@example.com/",
    "",
    "   ",
  ])("rejects %j", (url) => {
    expect(safeHttpUrl(url)).toBeNull();
  });

  it("rejects missing values", () => {
    expect(safeHttpUrl(null)).toBeNull();
    expect(safeHttpUrl(undefined)).toBeNull();
  });
});

describe("describeSource", () => {
  it("uses the title as the domain behind Google's redirect links (the real recording)", () => {
    expect(recorded.sources.map((source, position) => describeSource(source, position + 1))).toEqual([
      { number: 1, index: 0, kind: "web", title: "google.dev", domain: "google.dev", href: recorded.sources[0]!.uri, imageSrc: null },
      { number: 2, index: 1, kind: "web", title: "github.com", domain: "github.com", href: recorded.sources[1]!.uri, imageSrc: null },
    ]);
  });

  it("prefers the service's domain, then the link's host", () => {
    expect(describeSource({ index: 0, kind: "web", uri: "https://x.example/a", title: "A page", domain: "example.org" }, 1).domain).toBe("example.org");
    expect(describeSource({ index: 0, kind: "web", uri: "https://www.Example.com/a", title: "A page", domain: null }, 1).domain).toBe("example.com");
    const redirect = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/abc";
    expect(describeSource({ index: 0, kind: "web", uri: redirect, title: "Not a domain", domain: null }, 1).domain).toBeNull();
  });

  it("falls back to the domain, then a number, for the title", () => {
    expect(describeSource({ index: 0, kind: "web", uri: "https://example.com/", title: null, domain: null }, 3).title).toBe("example.com");
    expect(describeSource({ index: 0, kind: "web", uri: "", title: "  ", domain: null }, 3).title).toBe("Source 3");
  });

  it("links only http(s) pages and thumbnails", () => {
    const image = describeSource(
      { index: 4, kind: "image", uri: "https://example.com/page", title: "Photo", domain: "example.com", imageUri: "https://images.example/t.jpg" },
      5,
    );
    expect(image).toMatchObject({ href: "https://example.com/page", imageSrc: "https://images.example/t.jpg", kind: "image" });
    const hostile = describeSource(
      { index: 4, kind: "image", uri: "javascript:alert(1)", title: "Photo", domain: null, imageUri: "data:image/svg+xml,<svg/>" },
      5,
    );
    expect(hostile).toMatchObject({ href: null, imageSrc: null });
  });
});
