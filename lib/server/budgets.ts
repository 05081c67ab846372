import "server-only";

import { findModel, tokensPerImage } from "@/lib/gemini/catalog";
import { estimateRequestMicroUsd, formatUsd } from "@/lib/gemini/prices";
import type { GenerationSettings } from "@/lib/gemini/types";
import { BATCH_PRICE_FACTOR } from "@/lib/storage/turn-cost";
import type { BudgetLimit, OwnerId, Storage, TurnRequest } from "@/lib/storage/types";

/**
 * Monthly budgets. A user's limit is their override if an admin set one, else the studio's
 * default; no limit until an admin sets either. Months are calendar months in UTC, so every member
 * of a team spread over time zones resets at the same instant.
 *
 * A start is refused when what the user has been billed this month, plus the estimate of their
 * turns still queued or running, plus the estimate of this request, would pass the limit. Counting
 * the turns in flight keeps a burst of parallel starts from overspending before any is billed.
 */

export interface MonthRange {
  from: string;
  to: string;
}

/** The UTC calendar month holding `now`, as [first instant, first instant of the next month). */
export function monthOf(now: Date): MonthRange {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from: from.toISOString(), to: to.toISOString() };
}

/** "2026-12" -> that month; null for anything else. */
export function parseMonth(value: string): MonthRange | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!match) return null;
  return monthOf(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}

export function formatMonth(range: MonthRange): string {
  return range.from.slice(0, 7);
}

/** "1 January 2027" */
export function formatResetDate(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

export interface BudgetStatus {
  limitMicroUsd: BudgetLimit;
  /** Whether the limit is the user's own override or the studio default. */
  source: "override" | "default";
  spentMicroUsd: number;
  /** Estimates of the user's queued and running turns. */
  committedMicroUsd: number;
  /** null without a limit; never below 0. */
  leftMicroUsd: number | null;
  /** When the month's spending starts again from zero. */
  resetsAt: string;
}

/**
 * What a request will probably cost; 0 when the studio has no price for it (its real cost still
 * counts once billed). A batch request is estimated at what the ledger bills it (turn-cost.ts:
 * half, rounded per turn), so a batch that fits the budget at half price is not refused at full.
 */
export function estimateMicroUsd(settings: Pick<GenerationSettings, "model" | "imageSize">, { batch = false }: { batch?: boolean } = {}): number {
  const profile = findModel(settings.model);
  const tokens = profile ? tokensPerImage(profile, settings.imageSize) : null;
  const full = estimateRequestMicroUsd(settings, tokens) ?? 0;
  return batch ? Math.round(full * BATCH_PRICE_FACTOR) : full;
}

/** A request as the budget sees it: a stored one is batched when it carries its batch reference. */
export type BudgetedRequest = Pick<TurnRequest, "settings"> & { batch?: TurnRequest["batch"] | true };

export async function budgetStatus(storage: Storage, ownerId: OwnerId, now: Date = new Date()): Promise<BudgetStatus> {
  const month = monthOf(now);
  const { limitMicroUsd, source, spentMicroUsd, activeRequests: active } = await storage.budgets.standing(ownerId, month);
  const committedMicroUsd = active.reduce((sum, request) => sum + estimateMicroUsd(request.settings, { batch: request.batch !== undefined }), 0);
  const leftMicroUsd = limitMicroUsd === null ? null : Math.max(0, limitMicroUsd - spentMicroUsd - committedMicroUsd);
  return { limitMicroUsd, source, spentMicroUsd, committedMicroUsd, leftMicroUsd, resetsAt: month.to };
}

export interface BudgetRefusal {
  code: "budget_exceeded";
  message: string;
  action: string;
  leftMicroUsd: number;
  resetsAt: string;
}

/**
 * The refusal of a set of requests (one, or the N of a variations or comparison set) against a
 * budget status, or null when their estimates together fit what is left. Pure, so the sum is
 * tested without storage: a set is all or nothing, never the first few that fit.
 */
export function refuseOverBudget(status: BudgetStatus, estimates: readonly number[]): BudgetRefusal | null {
  if (status.limitMicroUsd === null || status.leftMicroUsd === null) return null;
  const total = estimates.reduce((sum, estimate) => sum + estimate, 0);
  // An unpriced request (estimate 0) still fits only while something is left.
  if (status.leftMicroUsd > 0 && total <= status.leftMicroUsd) return null;
  const reset = formatResetDate(status.resetsAt);
  const pending = status.committedMicroUsd > 0 ? `, ${formatUsd(status.committedMicroUsd)} more is reserved by images still being made` : "";
  const what = estimates.length > 1 ? `These ${estimates.length} images (about ${formatUsd(total)} together)` : `This image (about ${formatUsd(total)})`;
  return {
    code: "budget_exceeded",
    message:
      `${what} would go over your monthly budget of ${formatUsd(status.limitMicroUsd)}: ` +
      `${formatUsd(status.leftMicroUsd)} is left${pending}. The budget resets on ${reset} (UTC).`,
    action:
      estimates.length > 1
        ? "Ask for fewer images, pick a smaller size or a cheaper model, wait for the reset, or ask an admin to raise your budget."
        : "Pick a smaller size or a cheaper model, wait for the reset, or ask an admin to raise your budget.",
    leftMicroUsd: status.leftMicroUsd,
    resetsAt: status.resetsAt,
  };
}

/**
 * null when the request (or every request of a set, summed) fits the user's budget; otherwise the
 * refusal to show, with what is left and when it resets.
 */
export async function checkBudget(
  storage: Storage,
  ownerId: OwnerId,
  request: BudgetedRequest | ReadonlyArray<BudgetedRequest>,
  now: Date = new Date(),
): Promise<BudgetRefusal | null> {
  const requests = Array.isArray(request) ? request : [request as BudgetedRequest];
  const status = await budgetStatus(storage, ownerId, now);
  return refuseOverBudget(
    status,
    requests.map((one) => estimateMicroUsd(one.settings, { batch: one.batch !== undefined })),
  );
}
