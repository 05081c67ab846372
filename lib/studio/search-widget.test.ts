import { describe, expect, it } from "vitest";
import { readFixtureJson, readFixtureText } from "@/lib/gemini/__fixtures__/load";
import { normalizeGrounding, type WireGroundingMetadata } from "@/lib/gemini/response";
import {
  SEARCH_WIDGET_HEIGHT_PX,
  SEARCH_WIDGET_SANDBOX,
  buildSearchWidgetDocument,
  hasSearchWidget,
  searchWidgetSchemeClass,
} from "./search-widget";

const recording = readFixtureJson<{ groundingMetadata: WireGroundingMetadata }>("grounding/grounding-metadata.json");
const widget = normalizeGrounding(recording.groundingMetadata).searchEntryPointHtml ?? "";
const widgetFile = readFixtureText("grounding/search-entry-point.html");

describe("buildSearchWidgetDocument", () => {
  const srcDoc = buildSearchWidgetDocument(widget);

  it("contains Google's widget byte for byte", () => {
    expect(widget).toBe(widgetFile);
    const start = srcDoc.indexOf(widget);
    expect(start).toBeGreaterThan(0);
    expect(srcDoc.slice(start, start + widget.length)).toBe(widget);
    // Nothing but the wrapper around it.
    expect(srcDoc.replace(widget, "")).toBe(
      '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">' +
        '<meta name="referrer" content="no-referrer"><meta name="color-scheme" content="light dark">' +
        '</head><body style="margin:1px"></body></html>',
    );
  });

  it("keeps the recording's two chips and their redirect links as they are", () => {
    const chips = [...srcDoc.matchAll(/<a class="chip" href="([^"]+)">([^<]+)<\/a>/g)];
    expect(chips.map((chip) => chip[2])).toEqual(["Gemini tool use documentation", "Google AI Gemini API tool use guide"]);
    for (const chip of chips) expect(chip[1]).toMatch(/^https:\/\/vertexaisearch\.cloud\.google\.com\/grounding-api-redirect\//);
  });

  it("opens chips in a new tab without sending a referrer", () => {
    expect(srcDoc).toContain('<base target="_blank">');
    expect(srcDoc).toContain('<meta name="referrer" content="no-referrer">');
  });

  it("does not rewrite content it is given, even markup that looks dangerous", () => {
    // The sandbox, not the wrapper, is what makes hostile markup harmless (no scripts, opaque origin).
    const hostile = '<script>parent.document.cookie</script><a href="javascript:alert(1)">x</a>';
    expect(buildSearchWidgetDocument(hostile)).toContain(hostile);
  });
});

describe("the frame's sandbox", () => {
  const tokens = SEARCH_WIDGET_SANDBOX.split(/\s+/);

  it("allows only popups that open as normal tabs", () => {
    expect(tokens.sort()).toEqual(["allow-popups", "allow-popups-to-escape-sandbox"]);
  });

  it("never allows scripts or the studio's origin", () => {
    expect(tokens).not.toContain("allow-scripts");
    expect(tokens).not.toContain("allow-same-origin");
    expect(tokens).not.toContain("allow-top-navigation");
  });
});

describe("frame sizing and theme", () => {
  it("fits the widget's one-row layout: 48 px measured, plus the 1 px body margin on each side", () => {
    expect(SEARCH_WIDGET_HEIGHT_PX).toBe(50);
  });

  it("pins the frame's color-scheme to the studio theme, or inherits it", () => {
    expect(searchWidgetSchemeClass("dark")).toBe("scheme-dark");
    expect(searchWidgetSchemeClass("light")).toBe("scheme-light");
    expect(searchWidgetSchemeClass(undefined)).toBe("");
  });
});

describe("hasSearchWidget", () => {
  it("is true for the recording and false for nothing", () => {
    expect(hasSearchWidget(widget)).toBe(true);
    expect(hasSearchWidget(null)).toBe(false);
    expect(hasSearchWidget(undefined)).toBe(false);
    expect(hasSearchWidget("  \n")).toBe(false);
  });
});
