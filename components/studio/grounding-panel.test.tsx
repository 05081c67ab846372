import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { readFixtureJson } from "@/lib/gemini/__fixtures__/load";
import { normalizeGrounding, type WireGroundingMetadata } from "@/lib/gemini/response";
import type { Grounding } from "@/lib/gemini/types";
import { GroundingPanel } from "./grounding-panel";

const recording = readFixtureJson<{ groundingMetadata: WireGroundingMetadata }>("grounding/grounding-metadata.json");
const recorded = normalizeGrounding(recording.groundingMetadata);
const [first, second] = recorded.supports;
if (!first || !second) throw new Error("the recording has two supports");

function padToBytes(text: string, size: number): string {
  return text + " ".repeat(size - Buffer.byteLength(text, "utf8"));
}

/** An answer with accents, CJK and emoji before each recorded segment, at the recorded byte offsets. */
const answer = `${padToBytes("Voilà — “tool use” 指南 🍌:", first.startByte)}${first.text}${padToBytes(" Ensuite — à voir 🚀", second.startByte - first.endByte)}${second.text}`;

/** Every element with the given data-testid, as its opening tag. */
function tagsWithTestId(markup: string, testId: string): string[] {
  return [...markup.matchAll(new RegExp(`<[a-z0-9]+[^>]*data-testid="${testId}"[^>]*>`, "g"))].map((match) => match[0]);
}

function attribute(tag: string, name: string): string | null {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
}

function decode(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&");
}

describe("GroundingPanel with the real recording", () => {
  const markup = renderToStaticMarkup(<GroundingPanel grounding={recorded} text={answer} theme="dark" />);

  it("shows Google's widget in a sandboxed frame with no scripts and an opaque origin", () => {
    const [frame, ...others] = tagsWithTestId(markup, "search-suggestions");
    expect(others).toEqual([]);
    expect(frame).toMatch(/^<iframe\s/);
    if (!frame) return;
    expect(attribute(frame, "sandbox")).toBe("allow-popups allow-popups-to-escape-sandbox");
    expect(frame).not.toMatch(/allow-scripts|allow-same-origin|allow-top-navigation/);
    expect(attribute(frame, "title")).toBe("Google Search suggestions");
    expect(attribute(frame, "height")).toBe("50");
    expect(attribute(frame, "class")).toContain("scheme-dark");
    expect(attribute(frame, "style")).toBeNull();
    const srcDoc = decode(attribute(frame, "srcDoc") ?? attribute(frame, "srcdoc") ?? "");
    expect(srcDoc).toContain(recorded.searchEntryPointHtml);
    expect(srcDoc).toContain('<base target="_blank">');
  });

  it("never puts the widget's markup into the studio's own DOM", () => {
    expect(markup).not.toContain("<style");
    expect(markup).not.toContain('<a class="chip"');
  });

  it("lists the two sources, numbered, opening in a new tab without opener or referrer", () => {
    const items = [...markup.matchAll(/<li[^>]*data-testid="grounding-source"[^>]*>([\s\S]*?)<\/li>/g)].map((match) => match[1] ?? "");
    expect(items).toHaveLength(2);
    expect(items[0]).toContain("[1]");
    expect(items[0]).toContain("google.dev");
    expect(items[1]).toContain("[2]");
    expect(items[1]).toContain("github.com");
    for (const [position, item] of items.entries()) {
      const link = /<a [^>]*>/.exec(item)?.[0] ?? "";
      expect(decode(attribute(link, "href") ?? "")).toBe(recorded.sources[position]?.uri);
      expect(attribute(link, "target")).toBe("_blank");
      expect(attribute(link, "rel")).toBe("noopener noreferrer");
    }
  });

  it("places each citation right after its segment, despite the multi-byte text before it", () => {
    const citations = tagsWithTestId(markup, "citation");
    expect(citations.map((tag) => attribute(tag, "aria-label"))).toEqual(["Source 1: google.dev", "Source 2: github.com"]);
    for (const tag of citations) {
      expect(attribute(tag, "rel")).toBe("noopener noreferrer");
      expect(attribute(tag, "target")).toBe("_blank");
    }
    const text = decode(markup.replace(/<[^>]*>/g, ""));
    expect(text).toContain(`${first.text}[1]`);
    expect(text).toContain(`${second.text}[2]`);
  });

  it("shows the queries the model searched", () => {
    const [queries] = [...markup.matchAll(/data-testid="grounding-queries"[\s\S]*$/g)].map((match) => match[0]);
    expect(queries).toContain("Web:");
    expect(queries).toContain("Gemini tool use documentation");
    expect(queries).toContain("Google AI Gemini API tool use guide");
    expect(queries).not.toContain("Images:");
  });
});

describe("GroundingPanel with hostile or unusual data", () => {
  const grounding: Grounding = {
    webQueries: [],
    imageQueries: ["red bicycle photos"],
    sources: [
      { index: 0, kind: "web", uri: "javascript:alert(document.cookie)", title: "Evil", domain: null },
      {
        index: 1,
        kind: "image",
        uri: "https://photos.example/page",
        title: "Red bicycle",
        domain: "photos.example",
        imageUri: "https://img.example/bike.jpg",
      },
      { index: 2, kind: "image", uri: "https://other.example/page", title: "Blue bicycle", domain: null, imageUri: "data:image/svg+xml,<svg onload=alert(1)>" },
    ],
    supports: [
      { startByte: 0, endByte: 5, text: "Bikes", sourceIndices: [0] },
      { startByte: 0, endByte: 10, text: "Bikes are ", sourceIndices: [1, 2] },
    ],
    searchEntryPointHtml: "<script>parent.document.body.remove()</script><p>chips</p>",
  };
  const markup = renderToStaticMarkup(<GroundingPanel grounding={grounding} text="Bikes are fun." />);

  it("drops links that are not http(s)", () => {
    expect(markup).not.toMatch(/href="(?!https?:)/);
    expect(markup).not.toContain("javascript:");
    const citations = tagsWithTestId(markup, "citation");
    expect(citations).toHaveLength(3);
    expect(citations[0]).toMatch(/^<sup\s/);
    expect(citations[0]).toContain('title="Source 1: Evil"');
    expect(citations.slice(1).every((tag) => tag.startsWith("<a "))).toBe(true);
  });

  it("shows image sources' pages, with a thumbnail only when it is http(s)", () => {
    const images = [...markup.matchAll(/<img [^>]*>/g)].map((match) => match[0]);
    expect(images).toHaveLength(1);
    const [thumbnail = ""] = images;
    expect(attribute(thumbnail, "src")).toBe("https://img.example/bike.jpg");
    expect(attribute(thumbnail, "referrerPolicy") ?? attribute(thumbnail, "referrerpolicy")).toBe("no-referrer");
    expect(attribute(thumbnail, "loading")).toBe("lazy");
    expect(markup).toContain('href="https://photos.example/page"');
    expect(markup).toContain('href="https://other.example/page"');
  });

  it("shows Image Search results as thumbnails that open their pages, a placeholder where the thumbnail is unusable", () => {
    const results = tagsWithTestId(markup, "image-result");
    expect(results).toHaveLength(2);
    expect(attribute(results[0] ?? "", "href")).toBe("https://photos.example/page");
    expect(attribute(results[0] ?? "", "aria-label")).toBe("[2] photos.example: image result, Red bicycle (opens its page)");
    expect(attribute(results[0] ?? "", "rel")).toBe("noopener noreferrer");
    expect(attribute(results[1] ?? "", "href")).toBe("https://other.example/page");
    expect(tagsWithTestId(markup, "image-result-thumbnail")).toHaveLength(1);
    expect(tagsWithTestId(markup, "image-result-missing")).toHaveLength(1);
    expect(markup).toContain("Image results");
  });

  it("keeps even a hostile widget inside the sandboxed frame only", () => {
    expect(markup).not.toContain("<script");
    expect(tagsWithTestId(markup, "search-suggestions")[0]).toContain("&lt;script&gt;");
  });

  it("labels image queries and leaves the frame's scheme to the page without a theme", () => {
    expect(markup).toContain("Images:");
    expect(markup).toContain("red bicycle photos");
    expect(attribute(tagsWithTestId(markup, "search-suggestions")[0] ?? "", "class")).not.toMatch(/scheme-/);
  });
});

describe("GroundingPanel without a widget or text", () => {
  it("renders the sources alone", () => {
    const markup = renderToStaticMarkup(
      <GroundingPanel grounding={{ ...recorded, searchEntryPointHtml: null, webQueries: [], supports: [] }} text="" />,
    );
    expect(tagsWithTestId(markup, "search-suggestions")).toEqual([]);
    expect(tagsWithTestId(markup, "grounded-text")).toEqual([]);
    expect(tagsWithTestId(markup, "grounding-queries")).toEqual([]);
    expect(tagsWithTestId(markup, "grounding-source")).toHaveLength(2);
  });
});
