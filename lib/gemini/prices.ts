import type { GenerationSettings, ImageSize, Usage } from "./types";
import { formatInteger } from "@/lib/format/integer";

// What Google charges, as data with its provenance. Prices change and several of these are only
// reported by third parties, so every figure carries the date it was read, where from, and whether
// Google itself published it. Costs are computed in integer micro-dollars: summed over any number
// of turns they stay exact, and a figure shown to the cent is the rounded sum, not a sum of roundings.
//
// No SDK import: the usage page and the composer's estimate read this too.

export interface Price {
  usd: number;
  readOn: string;
  source: string;
  /** Only third parties report this figure; Google's own pricing page was not seen saying it. */
  thirdParty: boolean;
}

/** Components of a bill, each priced per million tokens (search per 1,000 queries). */
export const COST_COMPONENTS = ["input", "thinking", "outputImage", "outputText", "toolUse", "search"] as const;
export type CostComponent = (typeof COST_COMPONENTS)[number];

export interface ModelPrices {
  model: string;
  /** Text and image input, per million tokens. Tool-use prompt tokens are billed at this rate too. */
  input: Price | null;
  /** Thinking tokens, billed as output text, per million. */
  thinking: Price | null;
  outputImage: Price | null;
  outputText: Price | null;
  /** Per 1,000 search queries, where Google bills grounding per query. */
  searchPer1000Queries: Price | null;
  /** The usual price of one output image per size (output tokens x rate), for estimates before a request. */
  perImage: Partial<Record<ImageSize, Price>>;
}

const FACTS = "docs/gemini-facts.md, update of 2026-12-05 (prices per image = output tokens x rate)";
const FACTS_DATE = "2026-12-05";
// Input, thinking and text-output rates are not in gemini-facts.md. These are Google's published
// rates for the preview ids of the same models (ai.google.dev/gemini-api/docs/pricing), carried
// over to the stable ids; nobody re-read them for this build, hence thirdParty.
const PREVIEW_PAGE = "ai.google.dev/gemini-api/docs/pricing, rates of the preview ids (not re-read for the stable ids)";
const PREVIEW_DATE = "2026-02-01";

const fact = (usd: number, thirdParty = true): Price => ({ usd, readOn: FACTS_DATE, source: FACTS, thirdParty });
const preview = (usd: number): Price => ({ usd, readOn: PREVIEW_DATE, source: PREVIEW_PAGE, thirdParty: true });

export const PRICE_TABLE: readonly ModelPrices[] = [
  {
    model: "gemini-3.1-flash-image",
    input: preview(0.5),
    thinking: preview(3),
    outputImage: fact(60),
    outputText: preview(3),
    searchPer1000Queries: null,
    perImage: { "512": fact(0.045), "1K": fact(0.067), "2K": fact(0.101), "4K": fact(0.151) },
  },
  {
    model: "gemini-3-pro-image",
    input: preview(2),
    thinking: preview(12),
    // 1K/2K images are 1120 tokens at $0.134 and 4K 2000 tokens at $0.24: $120 per million.
    outputImage: fact(120),
    outputText: preview(12),
    searchPer1000Queries: null,
    perImage: { "1K": fact(0.134), "2K": fact(0.134), "4K": fact(0.24) },
  },
  {
    model: "gemini-2.5-flash-image",
    input: preview(0.3),
    thinking: null,
    // 1290 tokens at about $0.039.
    outputImage: fact(30),
    outputText: preview(2.5),
    searchPer1000Queries: null,
    perImage: { "1K": fact(0.039) },
  },
  {
    model: "gemini-3.1-flash-lite-image",
    input: null,
    thinking: null,
    // 1120 tokens at $0.0336.
    outputImage: fact(30),
    outputText: null,
    searchPer1000Queries: null,
    perImage: { "1K": fact(0.0336) },
  },
  {
    model: "gemini-nano-banana-2.1",
    input: null,
    thinking: null,
    outputImage: fact(30),
    outputText: null,
    searchPer1000Queries: null,
    perImage: { "1K": fact(0.0336) },
  },
];

export function findPrices(model: string, table: readonly ModelPrices[] = PRICE_TABLE): ModelPrices | null {
  const id = model.trim().replace(/^models\//, "");
  return table.find((prices) => prices.model === id) ?? null;
}

/** What a response used, as the cost calculation reads it. */
export interface BilledUsage {
  inputTokens: number;
  thinkingTokens: number;
  outputImageTokens: number;
  outputTextTokens: number;
  toolUsePromptTokens: number;
  searchQueries: number;
  /**
   * Google counted output tokens for an answer with an image but no per-modality breakdown: the
   * output sits in outputTextTokens, and its image/text split is unknown.
   */
  outputSplitUnknown?: boolean;
}

/** Google's usage (as lib/gemini/response.ts keeps it) in billing terms; null when none was reported. */
export function billedUsage(usage: Usage | null | undefined, searchQueries = 0): BilledUsage | null {
  if (!usage) return null;
  const count = (value: number | undefined) => (Number.isFinite(value) && (value ?? 0) > 0 ? Math.floor(value ?? 0) : 0);
  const splitUnknown = usage.notReported?.includes("imageTokens") === true && count(usage.outputTokens) > 0;
  return {
    inputTokens: count(usage.promptTokens),
    thinkingTokens: count(usage.thoughtsTokens),
    outputImageTokens: count(usage.imageTokens),
    // candidatesTokenCount is image plus text; thoughts are counted apart from it.
    outputTextTokens: Math.max(0, count(usage.outputTokens) - count(usage.imageTokens)),
    toolUsePromptTokens: count(usage.toolUsePromptTokens),
    searchQueries: count(searchQueries),
    ...(splitUnknown ? { outputSplitUnknown: true } : {}),
  };
}

export type UsageCost =
  | {
      status: "priced";
      /** Rounded once, to the nearest micro-dollar. */
      microUsd: number;
      /** Components that were used but have no known price: the bill is at least microUsd. */
      unpriced: CostComponent[];
      /** The oldest date among the prices used. */
      pricesReadOn: string | null;
    }
  | { status: "not_reported"; microUsd: null; reason: string }
  | { status: "unknown_model"; microUsd: null; reason: string };

/**
 * The cost of one response from the usage Google returned. Missing usage is "not reported", never
 * 0: a cancelled or cut-off request may well have been billed.
 */
export function costOfUsage(
  model: string,
  usage: Usage | BilledUsage | null | undefined,
  table: readonly ModelPrices[] = PRICE_TABLE,
): UsageCost {
  if (!usage) return { status: "not_reported", microUsd: null, reason: "Google reported no usage for this request." };
  const billed = "inputTokens" in usage ? usage : billedUsage(usage);
  if (!billed) return { status: "not_reported", microUsd: null, reason: "Google reported no usage for this request." };
  const prices = findPrices(model, table);
  if (!prices) return { status: "unknown_model", microUsd: null, reason: `The studio has no prices for ${model}.` };

  const parts: Array<[CostComponent, number, Price | null, number]> = [
    ["input", billed.inputTokens, prices.input, 1_000_000],
    ["thinking", billed.thinkingTokens, prices.thinking ?? prices.outputText, 1_000_000],
    ["outputImage", billed.outputImageTokens, prices.outputImage, 1_000_000],
    ["outputText", billed.outputTextTokens, billed.outputSplitUnknown ? cheaperOutputRate(prices) : prices.outputText, 1_000_000],
    ["toolUse", billed.toolUsePromptTokens, prices.input, 1_000_000],
    ["search", billed.searchQueries, prices.searchPer1000Queries, 1_000],
  ];
  // Each term is count x (USD x 1e6) / per, in micro-dollars. Scaled to an integer numerator over
  // a common denominator of 1e6 so nothing is rounded until the end.
  let numerator = 0;
  const unpriced: CostComponent[] = [];
  let oldest: string | null = null;
  for (const [component, count, price, per] of parts) {
    if (count === 0) continue;
    if (!price) {
      unpriced.push(component);
      continue;
    }
    const microUsdPerUnitTimesPer = Math.round(price.usd * 1_000_000);
    numerator += count * microUsdPerUnitTimesPer * (1_000_000 / per);
    if (oldest === null || price.readOn < oldest) oldest = price.readOn;
  }
  // Output of unknown split was priced at the cheaper rate (or not at all): what the image part
  // cost beyond that is unknown, so the figure is a lower bound.
  if (billed.outputSplitUnknown && billed.outputTextTokens > 0 && !unpriced.includes("outputImage")) unpriced.push("outputImage");
  return { status: "priced", microUsd: Math.round(numerator / 1_000_000), unpriced, pricesReadOn: oldest };
}

/**
 * The rate that makes output of unknown image/text split a lower bound: the cheaper of the two, and
 * none when either is unknown (the unknown one might be the cheaper).
 */
function cheaperOutputRate(prices: ModelPrices): Price | null {
  if (!prices.outputImage || !prices.outputText) return null;
  return prices.outputImage.usd <= prices.outputText.usd ? prices.outputImage : prices.outputText;
}

/**
 * What a request will probably cost before it is sent: the per-image price for its size, or the
 * image tokens at the image rate. Input and thinking are not known in advance and are left out,
 * which the budget check accepts (it also counts every finished turn's real cost). null when the
 * studio has no price for the model.
 */
export function estimateRequestMicroUsd(
  settings: Pick<GenerationSettings, "model" | "imageSize">,
  tokensPerImage: number | null = null,
  table: readonly ModelPrices[] = PRICE_TABLE,
): number | null {
  const prices = findPrices(settings.model, table);
  if (!prices) return null;
  const perImage = prices.perImage[settings.imageSize] ?? (Object.keys(prices.perImage).length === 1 ? Object.values(prices.perImage)[0] : undefined);
  if (perImage) return Math.round(perImage.usd * 1_000_000);
  if (tokensPerImage !== null && prices.outputImage) return Math.round(tokensPerImage * prices.outputImage.usd);
  return null;
}

/** "$1.23" from micro-dollars, rounded half away from zero to the cent. */
export function formatUsd(microUsd: number): string {
  const cents = Math.sign(microUsd) * Math.round(Math.abs(microUsd) / 10_000);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}$${formatInteger(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, "0")}`;
}

/** "$0.0672" for sub-cent figures (a single turn), exact to the micro-dollar with trailing zeros cut. */
export function formatUsdPrecise(microUsd: number): string {
  if (Math.abs(microUsd) >= 10_000 && microUsd % 10_000 === 0) return formatUsd(microUsd);
  const sign = microUsd < 0 ? "-" : "";
  const abs = Math.abs(microUsd);
  const fraction = String(abs % 1_000_000).padStart(6, "0").replace(/0+$/, "");
  return `${sign}$${Math.floor(abs / 1_000_000)}.${fraction.length < 2 ? fraction.padEnd(2, "0") : fraction}`;
}

export function usdToMicro(usd: number): number {
  return Math.round(usd * 1_000_000);
}
