import { costOfUsage, billedUsage } from "@/lib/gemini/prices";
import type { Timestamp, TurnCost, TurnOutcome, TurnRequest } from "./types";

export const BATCH_PRICE_FACTOR = 0.5;

/**
 * The ledger line a turn gets when it finishes, from the usage Google returned with whatever the
 * turn ended with (a blocked image's thinking tokens included). Every backend records it in the
 * same write as the final status, so no finished turn is ever without one.
 */
export function costOfTurn(request: TurnRequest, outcome: TurnOutcome | null, billedAt: Timestamp): TurnCost {
  const grounding = outcome?.grounding;
  const searchQueries = grounding ? grounding.webQueries.length + grounding.imageQueries.length : 0;
  const cost = costOfUsage(request.settings.model, billedUsage(outcome?.usage, searchQueries));
  return {
    model: request.settings.model,
    status: cost.status,
    // The Batch API bills half of every token (docs/gemini-facts.md); the same usage, half the price.
    microUsd: cost.microUsd !== null && request.batch ? Math.round(cost.microUsd * BATCH_PRICE_FACTOR) : cost.microUsd,
    unpriced: cost.status === "priced" ? cost.unpriced : [],
    pricesReadOn: cost.status === "priced" ? cost.pricesReadOn : null,
    billedAt,
  };
}
