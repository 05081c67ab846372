import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { FinishMessage, parseFinishMessage } from "./finish-message";
import { UsageSummary, billingNote } from "./usage-summary";

// The IMAGE_SAFETY wording follows the shape gemini-facts.md describes (markdown links, a note on
// billing); no recording of a finishMessage is in test/fixtures/gemini.
const blocked =
  "Unable to show the generated image. The image was filtered out because it violated Google's [Generative AI Prohibited Use policy](https://policies.google.com/terms/generative-ai/use-policy). You will not be charged for blocked images. If you think this was an error, [send feedback](https://support.google.com/gemini/contact/feedback).";

describe("parseFinishMessage", () => {
  it("turns markdown links into links and keeps every other character as text", () => {
    const pieces = parseFinishMessage(blocked);
    expect(pieces.filter((piece) => piece.kind === "link")).toEqual([
      { kind: "link", text: "Generative AI Prohibited Use policy", href: "https://policies.google.com/terms/generative-ai/use-policy" },
      { kind: "link", text: "send feedback", href: "https://support.google.com/gemini/contact/feedback" },
    ]);
    expect(pieces.map((piece) => piece.text).join("")).toBe(
      blocked.replace(/\[([^\]]+)\]\([^)]+\)/g, "$1"),
    );
  });

  it("links bare http(s) URLs, without trailing punctuation", () => {
    expect(parseFinishMessage("See https://ai.google.dev/terms.")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", text: "https://ai.google.dev/terms", href: "https://ai.google.dev/terms" },
      { kind: "text", text: "." },
    ]);
  });

  it("never links another scheme, and never interprets markup", () => {
    const hostile = 'Click [here](javascript:alert(1)) or [there](data:text/html,<b>x</b>) <img src=x onerror="alert(1)">';
    expect(parseFinishMessage(hostile).every((piece) => piece.kind === "text")).toBe(true);
    const markup = renderToStaticMarkup(<FinishMessage message={hostile} />);
    expect(markup).not.toContain("<img");
    expect(markup).not.toMatch(/href="(javascript|data):/);
    expect(markup).toContain("&lt;img src=x");
  });

  it("renders links that open apart from the studio, without a referrer", () => {
    const markup = renderToStaticMarkup(<FinishMessage message={blocked} />);
    expect(markup.match(/<a [^>]*>/g)).toEqual([
      '<a href="https://policies.google.com/terms/generative-ai/use-policy" target="_blank" rel="noopener noreferrer" class="underline">',
      '<a href="https://support.google.com/gemini/contact/feedback" target="_blank" rel="noopener noreferrer" class="underline">',
    ]);
  });
});

describe("UsageSummary", () => {
  it("says usage was not reported instead of showing 0", () => {
    expect(renderToStaticMarkup(<UsageSummary usage={null} />)).toContain("not reported by Google");
    const markup = renderToStaticMarkup(
      <UsageSummary
        usage={{ promptTokens: 10, outputTokens: 1392, imageTokens: 0, thoughtsTokens: 0, totalTokens: 1402, textTokens: null, notReported: ["imageTokens", "textTokens"] }}
      />,
    );
    expect(markup).toMatch(/image<\/dt><dd[^>]*>not reported/);
    expect(markup).toMatch(/text<\/dt><dd[^>]*>not reported/);
  });

  it("breaks out Google Search, thinking, image and text tokens", () => {
    const markup = renderToStaticMarkup(
      <UsageSummary usage={{ promptTokens: 20, outputTokens: 1160, imageTokens: 1120, thoughtsTokens: 230, totalTokens: 1560, textTokens: 40, toolUsePromptTokens: 150 }} />,
    );
    for (const text of ["1,560 tokens in total", "Google Search</dt><dd class=\"tabular-nums\">150", "thinking</dt><dd class=\"tabular-nums\">230", "image</dt><dd class=\"tabular-nums\">1,120", "text</dt><dd class=\"tabular-nums\">40"]) {
      expect(markup).toContain(text);
    }
  });

  it("says a blocked attempt with thinking tokens was billed for them", () => {
    expect(billingNote({ promptTokens: 12, outputTokens: 0, imageTokens: 0, thoughtsTokens: 230, totalTokens: 242 })).toBe(
      "No image tokens were counted, but Google counted 242 tokens for this attempt (230 of them thinking): those are normally billed.",
    );
    expect(billingNote(null)).toMatch(/can't say whether it was billed/);
  });
});
