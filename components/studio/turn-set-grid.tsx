"use client";

import type { ModelProfile } from "@/lib/gemini/catalog";
import { formatUsdPrecise } from "@/lib/gemini/prices";
import type { Turn } from "@/lib/storage/types";
import type { LiveProgress } from "@/lib/store/live-progress";
import { imagePriceEstimate } from "@/lib/studio/price-estimate";
import { batchWaitLabel } from "@/lib/studio/batch-wait";
import { BATCH_PRICE_FACTOR } from "@/lib/storage/turn-cost";
import { TurnStatusBadge } from "./turn-status";

interface TurnSetGridProps {
  /** The set's turns, in the order they were asked for. */
  turns: Turn[];
  /** The session's one turn numbering (lib/studio/turn-tree.ts). */
  numbers: Map<string, number>;
  live: Record<string, LiveProgress | undefined>;
  now: number;
  models: readonly ModelProfile[];
  /** Continues the conversation from this turn (the others stay as its siblings). */
  onContinue(turn: Turn): void;
  /** Stops this run alone; the others go on. */
  onCancel(turn: Turn): void;
  /** A sibling with the same request (a batch turn goes as a batch again). */
  onRetry(turn: Turn): void;
  /** Opens the turn on its own, with every detail. */
  onOpen(turn: Turn): void;
  onClose(): void;
}

const PHASE_LABELS = { sending: "Sending", thinking: "Thinking", rendering: "Rendering" } as const;

function isActive(turn: Turn): boolean {
  return turn.status === "queued" || turn.status === "running";
}

/** Whether the runs differ in model or settings (a comparison) or repeat one request (variations). */
export function isComparison(turns: readonly Turn[]): boolean {
  const first = turns[0]?.request.settings;
  return turns.some((turn) => turn.request.settings.model !== first?.model || turn.request.settings.imageSize !== first?.imageSize);
}

/** Seconds a turn took (finished) or has taken so far (running), from its server timestamps. */
export function secondsOf(turn: Pick<Turn, "createdAt" | "updatedAt" | "status">, now: number): number {
  const from = Date.parse(turn.createdAt);
  const to = isActive(turn as Turn) ? now : Date.parse(turn.updatedAt);
  return Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, Math.round((to - from) / 1000)) : 0;
}

function costLabel(turn: Turn, profile: ModelProfile | undefined): string {
  if (turn.cost && turn.cost.microUsd !== null) return `${formatUsdPrecise(turn.cost.microUsd)}${turn.cost.unpriced.length ? "+" : ""}`;
  // Shown after "Cost", so the value never repeats the word; the same wording as the usage ledger.
  if (turn.cost) return turn.cost.status === "unknown_model" ? `no prices known for ${turn.cost.model}` : "not reported by Google";
  const price = profile ? imagePriceEstimate(profile, turn.request.settings.imageSize) : null;
  if (!price) return "price not published";
  // A batch is billed at half price (lib/storage/turn-cost.ts).
  return `≈ $${(turn.request.batch ? price.usd * BATCH_PRICE_FACTOR : price.usd).toFixed(3)}${turn.request.batch ? " (batch)" : ""}`;
}

/**
 * The N turns of one set side by side: variations of one request, or one request sent to several
 * models and sizes. Each cell has its own progress, cost and time; "Continue from this one" makes
 * that turn the conversation's tip.
 */
export function TurnSetGrid({ turns, numbers, live, now, models, onContinue, onCancel, onRetry, onOpen, onClose }: TurnSetGridProps) {
  const comparison = isComparison(turns);
  const prompt = turns[0]?.request.prompt ?? "";
  const finished = turns.filter((turn) => !isActive(turn)).length;
  const title = comparison ? `Comparing ${turns.length} models` : `${turns.length} variations`;
  return (
    <section aria-label={title} data-testid="turn-set" data-kind={comparison ? "compare" : "variations"} className="flex min-h-0 flex-1 flex-col gap-3">
      <header className="flex flex-wrap items-baseline gap-2">
        <h2 className="text-sm font-semibold">{title}</h2>
        <p className="min-w-0 flex-1 truncate text-sm text-zinc-600 dark:text-zinc-400" data-testid="turn-set-prompt">
          {prompt}
        </p>
        <span role="status" className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="turn-set-progress">
          {finished} of {turns.length} finished
        </span>
        <button
          type="button"
          data-testid="turn-set-close"
          onClick={onClose}
          className="rounded border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          Close grid
        </button>
      </header>
      {/* Two columns at every width, each image at most about a third of the screen high: four cells
          fit one laptop screen, and a phone shows two side by side. */}
      <ul className="grid grid-cols-2 gap-2 sm:gap-3" data-testid="turn-set-cells">
        {turns.map((turn, index) => {
          const profile = models.find((model) => model.id === turn.request.settings.model);
          const modelName = profile?.nickname ?? profile?.displayName ?? turn.request.settings.model;
          const size = turn.request.settings.imageSize;
          const progress = live[turn.id];
          const images = turn.outcome?.images.length ? turn.outcome.images : (progress?.images ?? []);
          const image = images[0];
          const label = comparison ? `${modelName} at ${size}` : `Variation ${index + 1} of ${turns.length}`;
          const seconds = secondsOf(turn, now);
          return (
            <li key={turn.id}>
              <article
                aria-label={label}
                data-testid="turn-set-cell"
                data-turn-id={turn.id}
                data-status={turn.status}
                className="flex h-full min-w-0 flex-col gap-2 rounded-xl border border-zinc-200 bg-white p-2 shadow-sm sm:p-3 dark:border-zinc-800 dark:bg-zinc-900"
              >
                <header className="flex flex-wrap items-center gap-2 text-xs">
                  <span className="font-semibold" data-testid="cell-label">
                    {comparison ? modelName : `Variation ${index + 1}`}
                  </span>
                  <span className="text-zinc-600 dark:text-zinc-400" data-testid="cell-model">
                    {comparison ? size : `${modelName} · ${size}`}
                  </span>
                  <TurnStatusBadge status={turn.status} />
                  <span className="ml-auto text-zinc-600 dark:text-zinc-400" data-testid="cell-turn-number">
                    Turn {numbers.get(turn.id)}
                  </span>
                </header>
                <div className="flex h-[clamp(8rem,30dvh,22rem)] items-center justify-center overflow-hidden rounded-lg bg-zinc-100 dark:bg-zinc-950">
                  {image ? (
                    <button type="button" onClick={() => onOpen(turn)} aria-label={`Open ${label}`} className="size-full">
                      {/* eslint-disable-next-line @next/next/no-img-element -- the studio's own image route, already sized and cached */}
                      <img
                        src={`/api/images/${image.hash}`}
                        alt={`${label}: ${prompt}`}
                        width={image.width ?? undefined}
                        height={image.height ?? undefined}
                        data-testid="cell-image"
                        className="size-full object-contain"
                      />
                    </button>
                  ) : isActive(turn) ? (
                    <p role="status" data-testid="cell-progress" className="flex items-center gap-2 text-sm">
                      <span className="size-2 animate-pulse rounded-full bg-banana-500" aria-hidden />
                      {turn.request.batch
                        ? batchWaitLabel(turn.request.batch.submittedAt, now)
                        : turn.status === "queued"
                          ? "Waiting for a free slot"
                          : progress?.phase
                            ? PHASE_LABELS[progress.phase]
                            : "Starting"}
                    </p>
                  ) : (
                    <p data-testid="cell-error" className="p-3 text-center text-sm text-red-800 dark:text-red-300">
                      {turn.error?.message ?? "No image came back."}
                    </p>
                  )}
                </div>
                <dl className="flex flex-wrap gap-x-3 text-xs text-zinc-600 dark:text-zinc-400">
                  <div className="flex gap-1">
                    <dt>Cost</dt>
                    <dd data-testid="cell-cost" className="tabular-nums">
                      {costLabel(turn, profile)}
                    </dd>
                  </div>
                  <div className="flex gap-1">
                    <dt>Time</dt>
                    <dd data-testid="cell-time" className="tabular-nums">
                      {seconds} s
                    </dd>
                  </div>
                </dl>
                <div className="mt-auto flex flex-wrap gap-2">
                  {isActive(turn) && (
                    <button
                      type="button"
                      data-testid="cancel-cell"
                      aria-label={`Cancel ${label}`}
                      onClick={() => onCancel(turn)}
                      className="rounded-lg border border-zinc-300 px-3 py-1.5 text-xs font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                    >
                      Cancel
                    </button>
                  )}
                  {!isActive(turn) && turn.status !== "succeeded" && turn.error?.retryable && (
                    <button
                      type="button"
                      data-testid="retry-cell"
                      aria-label={`Retry ${label}`}
                      onClick={() => onRetry(turn)}
                      className="rounded-lg border border-zinc-300 px-3 py-1.5 text-xs font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                    >
                      Retry
                    </button>
                  )}
                  <button
                    type="button"
                    data-testid="continue-from-this"
                    disabled={turn.status !== "succeeded"}
                    aria-label={`Continue from this one: ${label}`}
                    onClick={() => onContinue(turn)}
                    className="rounded-lg bg-banana-400 px-3 py-1.5 text-xs font-semibold text-zinc-950 hover:bg-banana-500 disabled:cursor-not-allowed disabled:opacity-50"
                  >
                    Continue from this one
                  </button>
                  <button
                    type="button"
                    data-testid="open-cell"
                    onClick={() => onOpen(turn)}
                    aria-label={`Details of ${label}`}
                    className="rounded-lg border border-zinc-300 px-3 py-1.5 text-xs font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                  >
                    Details
                  </button>
                </div>
              </article>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
