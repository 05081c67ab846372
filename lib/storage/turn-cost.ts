import { costOfUsage, billedUsage } from "@/lib/gemini/prices";
import type { Timestamp, TurnCost, TurnOutcome, TurnRequest } from "./types";

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
    microUsd: cost.microUsd,
    unpriced: cost.status === "priced" ? cost.unpriced : [],
    pricesReadOn: cost.status === "priced" ? cost.pricesReadOn : null,
    billedAt,
  };
}
