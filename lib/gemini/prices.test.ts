import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "./catalog";
import { PRICE_TABLE, billedUsage, costOfUsage, estimateRequestMicroUsd, findPrices, formatUsd, formatUsdPrecise } from "./prices";
import { normalizeUsage } from "./response";

describe("price table", () => {
  it("prices every model of the catalog, each figure with a date and a source", () => {
    for (const profile of MODEL_CATALOG) expect(findPrices(profile.id), profile.id).not.toBeNull();
    for (const prices of PRICE_TABLE) {
      const all = [prices.input, prices.thinking, prices.outputImage, prices.outputText, prices.searchPer1000Queries, ...Object.values(prices.perImage)];
      for (const price of all) {
        if (!price) continue;
        expect(price.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(price.source.length).toBeGreaterThan(10);
      }
    }
  });

  it("agrees with the per-image figures: output tokens x image rate", () => {
    // 3 Pro: 1120 tokens x $120/M = $0.1344, quoted as $0.134; 4K 2000 x $120/M = $0.24.
    expect(costOfUsage("gemini-3-pro-image", { inputTokens: 0, thinkingTokens: 0, outputImageTokens: 2000, outputTextTokens: 0, toolUsePromptTokens: 0, searchQueries: 0 }).microUsd).toBe(240_000);
    // 3.1 Flash 1K: 1120 x $60/M = $0.0672.
    expect(costOfUsage("gemini-3.1-flash-image", { inputTokens: 0, thinkingTokens: 0, outputImageTokens: 1120, outputTextTokens: 0, toolUsePromptTokens: 0, searchQueries: 0 }).microUsd).toBe(67_200);
  });
});

describe("costOfUsage", () => {
  it("bills input, thinking (as text output), image and text output and tool-use prompt tokens, rounded once", () => {
    // 3.1 Flash: input $0.50/M, thinking and text $3/M, image $60/M.
    // 1234 x 0.5 = 617; 230 x 3 = 690; 1120 x 60 = 67 200; 15 x 3 = 45; 88 x 0.5 = 44 => 68 596 µ$.
    const cost = costOfUsage("gemini-3.1-flash-image", {
      promptTokens: 1234,
      outputTokens: 1135,
      imageTokens: 1120,
      thoughtsTokens: 230,
      totalTokens: 2687,
      toolUsePromptTokens: 88,
    });
    expect(cost).toEqual({ status: "priced", microUsd: 68_596, unpriced: [], pricesReadOn: "2026-02-01" });
  });

  it("rounds fractional micro-dollars once, at the end", () => {
    // 2.5 Flash input $0.30/M: 3 tokens = 0.9 µ$, 1 more text token at $2.50/M = 2.5 µ$ => 3.4 => 3.
    expect(costOfUsage("gemini-2.5-flash-image", { promptTokens: 3, outputTokens: 1, imageTokens: 0, thoughtsTokens: 0, totalTokens: 4 }).microUsd).toBe(3);
    // 5 input tokens = 1.5 µ$ -> 2 (half away from zero), not 0 + ... per-part roundings.
    expect(costOfUsage("gemini-2.5-flash-image", { promptTokens: 5, outputTokens: 0, imageTokens: 0, thoughtsTokens: 0, totalTokens: 5 }).microUsd).toBe(2);
  });

  it("bills the thinking of a safety-blocked image (no output tokens)", () => {
    // Pro: 400 prompt tokens x $2/M = 800; 312 thoughts x $12/M = 3 744 => 4 544 µ$.
    const cost = costOfUsage("gemini-3-pro-image", { promptTokens: 400, outputTokens: 0, imageTokens: 0, thoughtsTokens: 312, totalTokens: 712 });
    expect(cost.status).toBe("priced");
    expect(cost.microUsd).toBe(4_544);
  });

  it("says 'not reported' for missing usage, never 0", () => {
    const cost = costOfUsage("gemini-3.1-flash-image", null);
    expect(cost.status).toBe("not_reported");
    expect(cost.microUsd).toBeNull();
    expect(costOfUsage("gemini-3.1-flash-image", undefined).status).toBe("not_reported");
  });

  it("names a model it has no prices for instead of guessing", () => {
    const cost = costOfUsage("gemini-9-image", { promptTokens: 1, outputTokens: 1, imageTokens: 1, thoughtsTokens: 0, totalTokens: 2 });
    expect(cost).toMatchObject({ status: "unknown_model", microUsd: null });
  });

  it("lists used components without a known price, billing the rest", () => {
    // Lite: only the image rate is known ($30/M): 1120 x 30 = 33 600.
    const cost = costOfUsage("gemini-3.1-flash-lite-image", { promptTokens: 100, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1220 });
    expect(cost).toEqual({ status: "priced", microUsd: 33_600, unpriced: ["input"], pricesReadOn: "2026-12-05" });
  });

  it("accepts models/ prefixed ids", () => {
    expect(costOfUsage("models/gemini-3-pro-image", { promptTokens: 0, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1120 }).microUsd).toBe(134_400);
  });

  it("sums exactly to the cent over many turns", () => {
    // 1000 turns of 1120 image tokens on 3.1 Flash: 1000 x $0.0672 = $67.20 exactly.
    const one = costOfUsage("gemini-3.1-flash-image", { promptTokens: 0, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1120 }).microUsd ?? 0;
    let sum = 0;
    for (let index = 0; index < 1000; index += 1) sum += one;
    expect(formatUsd(sum)).toBe("$67.20");
  });
});

describe("billedUsage", () => {
  it("splits candidates into image and text tokens and ignores junk counts", () => {
    expect(billedUsage({ promptTokens: 10, outputTokens: 30, imageTokens: 25, thoughtsTokens: -3, totalTokens: 40 }, 2)).toEqual({
      inputTokens: 10,
      thinkingTokens: 0,
      outputImageTokens: 25,
      outputTextTokens: 5,
      toolUsePromptTokens: 0,
      searchQueries: 2,
    });
  });
});

describe("from Google's wire usage (normalizeUsage, then the ledger)", () => {
  it("bills a grounded answer's toolUsePromptTokenCount at the input rate", () => {
    // 3.1 Flash: 100 x 0.5 = 50; 1120 image x 60 = 67 200; 150 search tool tokens x 0.5 = 75 => 67 325 µ$.
    const usage = normalizeUsage({
      promptTokenCount: 100,
      candidatesTokenCount: 1120,
      totalTokenCount: 1370,
      toolUsePromptTokenCount: 150,
      candidatesTokensDetails: [{ modality: "IMAGE", tokenCount: 1120 }],
    });
    expect(billedUsage(usage)).toMatchObject({ toolUsePromptTokens: 150, outputImageTokens: 1120, outputTextTokens: 0 });
    expect(costOfUsage("gemini-3.1-flash-image", usage)).toMatchObject({ status: "priced", microUsd: 67_325, unpriced: [] });
  });

  it("bills output of unknown image/text split as a lower bound, never as plain text", () => {
    // An image came back with no candidatesTokensDetails: 1120 x the cheaper rate ($3/M text) =
    // 3 360 µ$, and the image part is named as unpriced, so the ledger says "at least".
    const usage = normalizeUsage({ promptTokenCount: 0, candidatesTokenCount: 1120, totalTokenCount: 1120 }, { imagesReturned: true });
    expect(usage?.notReported).toEqual(["imageTokens", "textTokens"]);
    expect(billedUsage(usage)).toMatchObject({ outputImageTokens: 0, outputTextTokens: 1120, outputSplitUnknown: true });
    expect(costOfUsage("gemini-3.1-flash-image", usage)).toEqual({ status: "priced", microUsd: 3_360, unpriced: ["outputImage"], pricesReadOn: "2026-02-01" });
    // With no text rate there is no lower bound for the output at all.
    expect(costOfUsage("gemini-3.1-flash-lite-image", usage)).toMatchObject({ microUsd: 0, unpriced: ["outputText", "outputImage"] });
  });

  it("keeps a text-only answer's output as text without a breakdown", () => {
    const usage = normalizeUsage({ promptTokenCount: 10, candidatesTokenCount: 40, totalTokenCount: 50 });
    expect(billedUsage(usage)).toEqual({ inputTokens: 10, thinkingTokens: 0, outputImageTokens: 0, outputTextTokens: 40, toolUsePromptTokens: 0, searchQueries: 0 });
  });

  it("has nothing to bill when Google sent only trafficType", () => {
    expect(costOfUsage("gemini-3.1-flash-image", normalizeUsage({ trafficType: "ON_DEMAND" })).status).toBe("not_reported");
  });
});

describe("estimateRequestMicroUsd", () => {
  it("uses the per-image price for the size, or the one size of a fixed-size model", () => {
    expect(estimateRequestMicroUsd({ model: "gemini-3.1-flash-image", imageSize: "4K" })).toBe(151_000);
    expect(estimateRequestMicroUsd({ model: "gemini-2.5-flash-image", imageSize: "2K" })).toBe(39_000);
    expect(estimateRequestMicroUsd({ model: "unknown", imageSize: "1K" })).toBeNull();
  });
});

describe("formatUsd", () => {
  it("rounds to the cent", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(4_999)).toBe("$0.00");
    expect(formatUsd(5_000)).toBe("$0.01");
    expect(formatUsd(1_234_567_890)).toBe("$1,234.57");
    expect(formatUsd(-20_000)).toBe("-$0.02");
  });

  it("shows sub-cent figures precisely", () => {
    expect(formatUsdPrecise(67_200)).toBe("$0.0672");
    expect(formatUsdPrecise(4_544)).toBe("$0.004544");
    expect(formatUsdPrecise(0)).toBe("$0.00");
    expect(formatUsdPrecise(1_000_000)).toBe("$1.00");
  });
});
