import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "@/lib/gemini/catalog";
import { imagePriceEstimate } from "./price-estimate";

describe("imagePriceEstimate", () => {
  const profile = (id: string) => MODEL_CATALOG.find((model) => model.id === id)!;

  it("prices every size of Nano Banana 2 with the date the price was read", () => {
    for (const size of ["512", "1K", "2K", "4K"] as const) {
      const price = imagePriceEstimate(profile("gemini-3.1-flash-image"), size);
      expect(price?.usd, size).toBeGreaterThan(0);
      expect(price?.readOn, size).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(imagePriceEstimate(profile("gemini-3.1-flash-image"), "4K")?.usd).toBe(0.151);
  });

  it("prices the default size of a model that ignores the size setting", () => {
    const flash25 = profile("gemini-2.5-flash-image");
    expect(imagePriceEstimate(flash25, "4K")).toEqual(imagePriceEstimate(flash25, flash25.defaultImageSize));
  });

  it("returns null, not a guess, for a model without published prices", () => {
    expect(imagePriceEstimate({ id: "gemini-unknown-image", acceptsImageSize: true, defaultImageSize: "1K" }, "1K")).toBeNull();
  });
});
