"use client";

import { useState } from "react";
import type { StoredImageRef, Turn } from "@/lib/storage/types";
import { retrySecondsLeft, type LiveProgress } from "@/lib/store/live-progress";
import { needsEdit, type GenerationSettings, type StudioError } from "@/lib/gemini/types";
import { CompareMenu } from "./compare-menu";
import { FinishMessage } from "./finish-message";
import { NoGroundingNotice } from "./no-grounding-notice";
import { ResultControls } from "@/components/library/result-controls";
import { ImageViewer } from "./image-viewer";
import { ThoughtFilmstrip } from "./thought-filmstrip";
import { UsageSummary, billingNote } from "./usage-summary";
import { TurnStatusBadge } from "./turn-status";
import { batchWaitLabel, isWaitingForBatch } from "@/lib/studio/batch-wait";

interface TurnViewProps {
  turn: Turn;
  /** The turn's number in its session, as the timeline and the compare picker show it. */
  number?: number | null;
  live: LiveProgress | null;
  now: number;
  onRetry(turn: Turn): void;
  /** Puts the turn's prompt, settings and references back in the composer, focused, to edit before sending. */
  onEditAndRetry?(turn: Turn): void;
  /** Sends the turn again with these settings changed (the error's one-click fix). */
  onApplyFix?(turn: Turn, settings: Partial<GenerationSettings>): void;
  onReuse(turn: Turn): void;
  onUseAsReference(image: StoredImageRef): void;
  /** Opens the region edit of this image: mark an area, say what should change there. */
  onEditRegion?(image: StoredImageRef): void;
  /** Renders grounding beside the image (sources, citations, search suggestions). */
  renderGrounding?(turn: Turn): React.ReactNode;
  /** Other versions in the session this result can be compared with. */
  compareCandidates?: Array<{ id: string; label: string }>;
  onCompare?(otherTurnId: string): void;
  /** A model that would avoid this turn's failure (lib/studio/model-switch.ts), if any. */
  switchTarget?: { id: string; label: string } | null;
  /** Puts this turn's prompt and settings back in the composer with another model. */
  onSwitchModel?(turn: Turn, modelId: string): void;
}

const PHASE_LABELS = { sending: "Sending", thinking: "Thinking", rendering: "Rendering" } as const;

function imageUrl(hash: string): string {
  return `/api/images/${hash}`;
}

const PRIMARY_BUTTON = "mt-3 mr-2 rounded-lg bg-red-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-800";
const SECONDARY_BUTTON =
  "mt-3 mr-2 rounded-lg border border-red-700 px-3 py-1.5 text-sm font-semibold text-red-800 hover:bg-red-100 dark:text-red-100 dark:hover:bg-red-900";

function ErrorPanel({
  error,
  status,
  outcome,
  onRetry,
  onEditAndRetry,
  onApplyFix,
  switchTarget,
  onSwitchModel,
}: {
  error: StudioError | null;
  status: Turn["status"];
  outcome: Turn["outcome"];
  onRetry(): void;
  onEditAndRetry?(): void;
  onApplyFix?(settings: Partial<GenerationSettings>): void;
  switchTarget?: { id: string; label: string } | null;
  onSwitchModel?(modelId: string): void;
}) {
  // Sending the identical request again can't succeed for these: the way on is an edit.
  const editFirst = status === "failed" && error !== null && needsEdit(error) && onEditAndRetry !== undefined;
  const fix = error?.fix;
  const noImage = (outcome?.images.length ?? 0) === 0;
  const billed = status === "failed" && noImage && (error?.code === "safety_block" || error?.code === "no_image" || error?.code === "incomplete");
  const title =
    status === "interrupted"
      ? "This generation was interrupted (the server stopped while it ran)."
      : status === "cancelled"
        ? "You cancelled this generation."
        : (error?.message ?? "This generation failed.");
  return (
    <div
      role="alert"
      data-testid="turn-error"
      data-code={error?.code ?? status}
      className="rounded-xl border border-red-300 bg-red-50 p-4 text-sm text-red-950 dark:border-red-900 dark:bg-red-950/60 dark:text-red-100"
    >
      <p className="font-semibold">{title}</p>
      {error?.modelText && (
        <blockquote className="mt-2 border-l-2 border-red-300 pl-2 text-xs italic">The model said: {error.modelText}</blockquote>
      )}
      {outcome?.finishMessage && <FinishMessage message={outcome.finishMessage} />}
      {error?.action && status !== "cancelled" && <p className="mt-2">{error.action}</p>}
      {billed && (
        <p className="mt-2 text-xs" data-testid="billing-note">
          {billingNote(outcome?.usage ?? null)}
        </p>
      )}
      {fix?.settings && onApplyFix && (
        <button type="button" data-testid="apply-fix" data-control={fix.control} onClick={() => onApplyFix(fix.settings ?? {})} className={PRIMARY_BUTTON}>
          {fix.label}
        </button>
      )}
      {switchTarget && onSwitchModel && (
        <button type="button" data-testid="switch-model" onClick={() => onSwitchModel(switchTarget.id)} className={PRIMARY_BUTTON}>
          Switch to {switchTarget.label}
        </button>
      )}
      {editFirst ? (
        <button
          type="button"
          data-testid="edit-and-retry"
          onClick={onEditAndRetry}
          className={fix?.settings || switchTarget ? SECONDARY_BUTTON : PRIMARY_BUTTON}
        >
          {fix && !fix.settings ? fix.label.replace(/ and retry$/, "") + ", then retry" : "Edit and retry"}
        </button>
      ) : (
        // A retired model answers every retry the same way: switching is the only way forward. A
        // conversation too large answers the same too; its way on is under the prompt.
        error?.code !== "model_retired" &&
        error?.code !== "request_too_large" && (
          <button type="button" data-testid="retry" onClick={onRetry} className={PRIMARY_BUTTON}>
            Retry
          </button>
        )
      )}
    </div>
  );
}

/** A batch turn waits at Google, not in the studio's line; Cancel (beside Generate) withdraws it. */
function BatchNotice({ submittedAt, now }: { submittedAt: string; now: number }) {
  return (
    <div role="status" data-testid="batch-waiting" className="flex flex-wrap items-center gap-2 rounded-xl bg-white p-4 text-sm shadow-sm dark:bg-zinc-900">
      <span className="size-2 animate-pulse rounded-full bg-banana-500" aria-hidden />
      <span className="font-medium">{batchWaitLabel(submittedAt, now)}</span>
      <span className="text-zinc-500 dark:text-zinc-400">Half price; Google answers within 24 hours, usually much sooner. You can close the studio meanwhile.</span>
    </div>
  );
}

function QueuedNotice({ ahead }: { ahead: number | null }) {
  return (
    <div role="status" data-testid="queued" className="flex items-center gap-2 rounded-xl bg-white p-4 text-sm shadow-sm dark:bg-zinc-900">
      <span className="size-2 rounded-full bg-zinc-400" aria-hidden />
      <span className="font-medium">
        {ahead === null ? "Queued — starts when a slot frees" : `Waiting for a free slot — ${ahead === 0 ? "next in line" : `${ahead} ahead`}`}
      </span>
      <span className="text-zinc-500 dark:text-zinc-400">Cancel takes it out of the line.</span>
    </div>
  );
}

function Progress({ live, now }: { live: LiveProgress; now: number }) {
  const elapsed = Math.max(0, Math.floor((now - live.startedAt) / 1000));
  const retryIn = retrySecondsLeft(live.retry, now);
  return (
    <div role="status" data-testid="progress" className="flex flex-col gap-1 rounded-xl bg-white p-4 text-sm shadow-sm dark:bg-zinc-900">
      <div className="flex items-center gap-2">
        <span className="size-2 animate-pulse rounded-full bg-banana-500" aria-hidden />
        <span data-testid="progress-phase" className="font-medium">
          {live.retry && retryIn > 0 ? "Waiting to retry" : live.phase ? PHASE_LABELS[live.phase] : "Starting"}
        </span>
        <span className="text-zinc-500 dark:text-zinc-400 tabular-nums" data-testid="progress-elapsed">
          {elapsed} s
        </span>
        {live.maxAttempts > 1 && live.attempt > 1 && (
          <span className="text-zinc-500 dark:text-zinc-400">
            · attempt {live.attempt} of {live.maxAttempts}
          </span>
        )}
      </div>
      {live.retry && retryIn > 0 && (
        <p data-testid="progress-retry" className="text-xs text-amber-700 dark:text-amber-400">
          {live.retry.message} Retrying in {retryIn} s (attempt {live.retry.attempt} of {live.retry.maxAttempts}).
        </p>
      )}
    </div>
  );
}

export function TurnView({
  turn,
  number = null,
  live,
  now,
  onRetry,
  onEditAndRetry,
  onApplyFix,
  onReuse,
  onUseAsReference,
  onEditRegion,
  renderGrounding,
  compareCandidates = [],
  onCompare,
  switchTarget = null,
  onSwitchModel,
}: TurnViewProps) {
  const [imageIndex, setImageIndex] = useState(0);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const running = turn.status === "queued" || turn.status === "running";
  // The studio updates the turn from its events when a queued one starts (use-live-turns.ts).
  const queued = turn.status === "queued";
  const batchWait = isWaitingForBatch(turn) ? turn.request.batch : undefined;
  const images = turn.outcome?.images.length ? turn.outcome.images : (live?.images ?? []);
  const thoughts = turn.outcome?.thoughts.length ? turn.outcome.thoughts : (live?.thoughts ?? []);
  const text = turn.outcome?.text || live?.text || "";
  const image = images[Math.min(imageIndex, images.length - 1)];
  const failed = turn.status === "failed" || turn.status === "interrupted" || turn.status === "cancelled";

  return (
    <article aria-label="Selected turn" data-testid="turn-view" data-turn-id={turn.id} data-status={turn.status} className="flex flex-1 flex-col gap-4">
      <header className="flex flex-wrap items-start gap-2">
        {number !== null && (
          <span className="text-xs font-medium text-zinc-600 dark:text-zinc-400" data-testid="turn-number">
            Turn {number}
          </span>
        )}
        <TurnStatusBadge status={turn.status} />
        <p className="min-w-48 flex-1 text-sm wrap-break-word" data-testid="turn-prompt">
          {turn.request.prompt}
        </p>
        <div className="flex gap-1 text-xs">
          <button
            type="button"
            data-testid="copy-prompt"
            onClick={() => void navigator.clipboard?.writeText(turn.request.prompt)}
            className="rounded border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Copy prompt
          </button>
          <button
            type="button"
            data-testid="reuse-settings"
            onClick={() => onReuse(turn)}
            className="rounded border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Reuse settings
          </button>
          <button
            type="button"
            data-testid="show-details"
            aria-expanded={detailsOpen}
            onClick={() => setDetailsOpen((open) => !open)}
            className="rounded border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Details
          </button>
        </div>
      </header>

      {detailsOpen && (
        <pre data-testid="turn-details" className="max-h-64 overflow-auto rounded-lg bg-zinc-100 p-3 text-[11px] dark:bg-zinc-900">
          {JSON.stringify(
            {
              model: turn.request.settings.model,
              modelVersion: turn.outcome?.modelVersion ?? null,
              settings: turn.request.settings,
              references: turn.request.references,
              usage: turn.outcome?.usage ?? null,
              finishReason: turn.outcome?.finishReason ?? null,
              finishMessage: turn.outcome?.finishMessage ?? null,
              sources: turn.outcome?.grounding?.sources.map((source) => source.uri) ?? [],
              createdAt: turn.createdAt,
              responseId: turn.outcome?.responseId ?? null,
              // The raw cause stays here, out of the error message, which speaks the studio's own words.
              ...(turn.error?.detail ? { errorDetail: turn.error.detail } : {}),
            },
            null,
            2,
          )}
        </pre>
      )}

      {batchWait && <BatchNotice submittedAt={batchWait.submittedAt} now={now} />}
      {queued && !batchWait && <QueuedNotice ahead={live?.ahead ?? null} />}
      {running && !queued && live && <Progress live={live} now={now} />}
      {running && !queued && !live && (
        <p role="status" data-testid="progress" className="text-sm text-zinc-500 dark:text-zinc-400">
          Connecting to the running generation…
        </p>
      )}

      {failed && (
        <ErrorPanel
          error={turn.error}
          status={turn.status}
          outcome={turn.outcome}
          onRetry={() => onRetry(turn)}
          onEditAndRetry={onEditAndRetry ? () => onEditAndRetry(turn) : undefined}
          onApplyFix={onApplyFix ? (settings) => onApplyFix(turn, settings) : undefined}
          switchTarget={switchTarget}
          onSwitchModel={onSwitchModel ? (modelId) => onSwitchModel(turn, modelId) : undefined}
        />
      )}


      {image && (
        // At least as tall as its content (no min-h-0): the notes beside the image, or a tall grounding
        // panel, push what follows down instead of running over it; the page area scrolls.
        <div className="flex flex-1 flex-col gap-3 lg:flex-row">
          <div className="flex min-h-72 min-w-0 flex-1 flex-col gap-2 xl:min-h-[50vh]">
            {images.length > 1 && (
              <div role="tablist" aria-label="Images in this response" className="flex gap-1">
                {images.map((candidate, index) => (
                  <button
                    key={candidate.hash}
                    role="tab"
                    aria-selected={index === imageIndex}
                    onClick={() => setImageIndex(index)}
                    className="rounded px-2 py-1 text-xs aria-selected:bg-zinc-200 dark:aria-selected:bg-zinc-800"
                  >
                    Image {index + 1}
                  </button>
                ))}
              </div>
            )}
            <ImageViewer
              key={image.hash}
              src={imageUrl(image.hash)}
              alt={`Result for: ${turn.request.prompt}`}
              width={image.width}
              height={image.height}
              dragData={{ hash: image.hash, url: imageUrl(image.hash), mimeType: image.mimeType, width: image.width, height: image.height }}
            />
            <div className="flex flex-wrap items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
              <span data-testid="image-meta">
                {image.width} × {image.height} · {image.mimeType.replace("image/", "").toUpperCase()}
              </span>
              {image.sizeMismatch && image.requested && (
                <span className="text-amber-700 dark:text-amber-400" data-testid="size-mismatch">
                  Asked for {image.requested.width} × {image.requested.height}: the service ignored the size setting.
                </span>
              )}
              <span className="flex-1" />
              {turn.status === "succeeded" && <ResultControls result={{ turnId: turn.id, hash: image.hash }} />}
              {image.fileName && (
                <a
                  href={imageUrl(image.hash)}
                  download={image.fileName}
                  data-testid="download"
                  className="rounded-lg bg-zinc-900 px-3 py-1.5 font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
                >
                  Download
                </a>
              )}
              {onCompare && compareCandidates.length > 0 && (
                <CompareMenu candidates={compareCandidates} onCompare={onCompare} />
              )}
              {onEditRegion && turn.status === "succeeded" && image.width && image.height ? (
                <button
                  type="button"
                  data-testid="edit-region"
                  aria-haspopup="dialog"
                  onClick={() => onEditRegion(image)}
                  className="rounded-lg border border-zinc-300 px-3 py-1.5 font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                >
                  Edit a region…
                </button>
              ) : null}
              <button
                type="button"
                data-testid="use-as-reference"
                onClick={() => onUseAsReference(image)}
                className="rounded-lg border border-zinc-300 px-3 py-1.5 font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
              >
                Use as reference
              </button>
            </div>
          </div>
          <aside className="flex w-full shrink-0 flex-col gap-3 text-sm lg:w-80" aria-label="About this result">
            {turn.outcome?.grounding && renderGrounding ? (
              renderGrounding(turn)
            ) : text ? (
              <p data-testid="model-text" className="whitespace-pre-wrap">
                {text}
              </p>
            ) : null}
            {turn.outcome && !turn.outcome.grounding && (turn.request.settings.webSearch || turn.request.settings.imageSearch) && (
              <NoGroundingNotice />
            )}
            {turn.outcome?.warnings.map((warning) => (
              <p key={warning} className="text-xs text-amber-700 dark:text-amber-400">
                {warning}
              </p>
            ))}
            {turn.outcome && <UsageSummary usage={turn.outcome.usage} />}
            <p className="text-xs text-zinc-500 dark:text-zinc-400">Every image Gemini makes carries an invisible SynthID watermark.</p>
          </aside>
        </div>
      )}

      {/* After the result: on a tablet or phone the image must be on the first screen, and while a
          turn runs (no image yet) the drafts are the first thing here anyway. */}
      {thoughts.length > 0 || (running && !queued && turn.request.settings.showThoughts) ? <ThoughtFilmstrip thoughts={thoughts} live={running} /> : null}
    </article>
  );
}
