import { describe, expect, it } from "vitest";
import { findPlaceholders, insertTemplate, nextPlaceholder, PROMPT_TEMPLATES } from "./prompt-templates";

describe("prompt templates", () => {
  it("cover the guide's create and edit templates, each with placeholders", () => {
    const ids = PROMPT_TEMPLATES.map((template) => template.id);
    for (const id of ["photorealistic", "sticker", "text-in-image", "product-mockup", "minimalist", "comic-panel", "search-grounded"]) {
      expect(ids).toContain(id);
    }
    for (const id of ["add-remove", "inpainting", "style-transfer", "combine", "keep-details", "sketch", "character"]) {
      expect(ids).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const template of PROMPT_TEMPLATES) expect(findPlaceholders(template.text).length).toBeGreaterThan(0);
    expect(PROMPT_TEMPLATES.find((template) => template.id === "search-grounded")?.suggests?.webSearch).toBe(true);
  });

  it("finds placeholders with their brackets", () => {
    const text = "A [style] sticker of [subject].";
    expect(findPlaceholders(text).map((range) => text.slice(range.start, range.end))).toEqual(["[style]", "[subject]"]);
  });

  it("moves forward and backward between placeholders, wrapping around", () => {
    const text = "A [one] and [two] and [three]";
    const one = findPlaceholders(text)[0]!;
    const two = findPlaceholders(text)[1]!;
    const three = findPlaceholders(text)[2]!;
    expect(nextPlaceholder(text, 0)).toEqual(one);
    expect(nextPlaceholder(text, one.end)).toEqual(two);
    expect(nextPlaceholder(text, three.end)).toEqual(one);
    expect(nextPlaceholder(text, two.start, true)).toEqual(one);
    expect(nextPlaceholder(text, one.start, true)).toEqual(three);
    expect(nextPlaceholder("no slots here", 3)).toBeNull();
  });

  it("inserts at the cursor and selects the first placeholder of the inserted text", () => {
    const result = insertTemplate("Keep this.", { start: 10, end: 10 }, "Then a [thing].");
    expect(result.text).toBe("Keep this. Then a [thing].");
    expect(result.text.slice(result.select!.start, result.select!.end)).toBe("[thing]");
  });

  it("replaces the selected text", () => {
    const result = insertTemplate("old text", { start: 0, end: 8 }, "A [new] one");
    expect(result.text).toBe("A [new] one");
  });
});
