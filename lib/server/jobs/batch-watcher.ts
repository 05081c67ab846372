import "server-only";

import type { GeminiGateway, GenerateResult } from "@/lib/gemini/client";
import { createStudioError } from "@/lib/gemini/errors";
import { unusableImageError } from "@/lib/gemini/unusable-answer";
import type { GenerationSettings, StudioError } from "@/lib/gemini/types";
import { redactStudioError } from "@/lib/server/redact";
import { StorageError, isBatchWaiting, type OwnerId, type Storage, type Turn, type TurnOutcome } from "@/lib/storage/types";
import { outputKind } from "@/lib/studio/file-names";
import { createHistoryBuilder } from "./history";
import { createOutcomeStore } from "./outcome-store";
import { replayBytesOf, sizedReferences } from "./request-size";

/**
 * Turns answered through the Gemini Batch API ("Cheaper, slower": half price, within 24 h). A
 * submit sends the request N times as one batch job and records N turns "queued" whose request
 * names the job (TurnRequest.batch); no job of the runner holds them, so the concurrency cap is
 * never held by a batch that waits at Google. A watcher per job polls it with backoff and, when it
 * ends, writes each answer into its turn as a direct answer would be written (images, thoughts,
 * model turn with signatures, usage; the ledger halves the price, turn-cost.ts). The job's name is
 * in storage, so after a restart resume() finds every waiting turn and watches its job again.
 *
 * With several instances on PostgreSQL each one watches every job; the first to record an end
 * wins, the others find the turn finished (an invalid transition) and leave it. Written by hand:
 * a job queue library would add a second store for what is one row per turn already.
 */

export interface BatchWatcherOptions {
  storage: Storage;
  gateway: () => GeminiGateway | null;
  secrets?: readonly (string | undefined)[];
  now?: () => Date;
  /** Waits between polls of one job: from `firstMs`, times `factor`, up to `maxMs`. */
  poll?: { firstMs: number; factor: number; maxMs: number };
}

export const DEFAULT_BATCH_POLL = { firstMs: 2_000, factor: 1.5, maxMs: 60_000 } as const;

export interface SubmitBatchInput {
  ownerId: OwnerId;
  sessionId: string;
  parentId: string | null;
  chain: readonly Turn[];
  request: Turn["request"];
  count: number;
}

export type SubmitBatchResult = { ok: true; turns: Turn[] } | { ok: false; error: StudioError };

export interface BatchWatcher {
  /** Sends the batch first and records its turns only once Google took it: a refusal leaves nothing behind. */
  submit(input: SubmitBatchInput): Promise<SubmitBatchResult>;
  /** Watches the job of every waiting turn in storage (after a restart). */
  resume(): Promise<void>;
  /** Looks at the job now, e.g. after one of its turns was cancelled. */
  nudge(batchName: string): void;
  /**
   * Cancels the job at Google right away when none of its turns waits for it any more (the last
   * one was just cancelled), and stops watching it; true when it did. Not left to the next poll,
   * which may be a minute away, nor to a nudge, which a poll already under way would swallow.
   */
  release(batchName: string, ownerId: OwnerId): Promise<boolean>;
  watching(): string[];
  close(): void;
}

const BATCH_FAILED: StudioError = createStudioError("service_unavailable", {
  message: "Google's batch job failed, so these images were not made.",
  action: "Retry sends the request again as a batch; or switch off “Cheaper, slower” to make it at once.",
  retryable: true,
});

const BATCH_EXPIRED: StudioError = createStudioError("timeout", {
  message: "Google did not finish the batch within 24 hours, so it expired.",
  action: "Retry sends the request again as a batch; or switch off “Cheaper, slower” to make it at once.",
  retryable: true,
});

const BATCH_GONE: StudioError = createStudioError("service_unavailable", {
  message: "Google no longer knows this batch job (it was deleted), so its images can't be fetched.",
  action: "Retry sends the request again.",
  retryable: true,
});

export function createBatchWatcher(options: BatchWatcherOptions): BatchWatcher {
  const { storage } = options;
  const now = options.now ?? (() => new Date());
  const poll = options.poll ?? DEFAULT_BATCH_POLL;
  const secrets = options.secrets ?? [];
  const { loadReferences, buildHistory } = createHistoryBuilder(storage);
  const { storeOutcome, knownInlineImages } = createOutcomeStore(storage);
  /** Job name -> its owner, its settings (the same for every turn), and the pending timer. */
  const watched = new Map<string, { ownerId: OwnerId; settings: GenerationSettings; timer: ReturnType<typeof setTimeout> | null; delayMs: number; busy: boolean }>();
  let closed = false;

  const clean = (error: StudioError) => redactStudioError(error, secrets);

  async function submit(input: SubmitBatchInput): Promise<SubmitBatchResult> {
    const batches = options.gateway()?.batches;
    if (!batches) {
      return { ok: false, error: createStudioError("internal", { message: "This server can't send batch jobs.", action: "Switch off “Cheaper, slower”." }) };
    }
    const { ownerId, sessionId, parentId, request, count } = input;
    const history = await buildHistory(ownerId, input.chain);
    const references = await loadReferences(request.references);
    const sent = await batches.submit({ history, prompt: request.prompt, references, settings: request.settings }, count);
    if (!sent.ok) return { ok: false, error: clean(sent.error) };
    const submittedAt = now().toISOString();
    const turns: Turn[] = [];
    try {
      for (let index = 0; index < count; index += 1) {
        turns.push(await storage.turns.create({ ownerId, sessionId, parentId, request: { ...request, batch: { name: sent.name, index, submittedAt } } }));
      }
    } catch (error) {
      // Not every turn could be recorded: nobody would see the rest of the answers, so stop paying for them.
      await batches.cancel(sent.name);
      for (const turn of turns) await storage.turns.update(ownerId, turn.id, { status: "cancelled", error: createStudioError("cancelled") }).catch(() => undefined);
      throw error;
    }
    watch(sent.name, ownerId, request.settings, poll.firstMs);
    return { ok: true, turns };
  }

  function watch(name: string, ownerId: OwnerId, settings: GenerationSettings, delayMs: number): void {
    if (closed || watched.has(name)) return;
    const entry = { ownerId, settings, timer: null, delayMs, busy: false };
    watched.set(name, entry);
    schedule(name, delayMs);
  }

  function schedule(name: string, delayMs: number): void {
    const entry = watched.get(name);
    if (!entry || closed) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void check(name), delayMs);
    entry.timer.unref?.();
  }

  /** The job's turns still waiting; none left (all cancelled or deleted) means nobody wants the answers. */
  async function waitingTurns(name: string, ownerId: OwnerId): Promise<Turn[]> {
    const all = await storage.turns.listBatchWaiting();
    return all.filter((turn) => turn.ownerId === ownerId && turn.request.batch?.name === name);
  }

  async function check(name: string): Promise<void> {
    const entry = watched.get(name);
    if (!entry || entry.busy || closed) return;
    entry.busy = true;
    entry.timer = null;
    let again = true;
    try {
      again = await step(name, entry.ownerId, entry.settings);
    } catch {
      // Storage refused a read or a write: the job is still at Google; look again later.
    } finally {
      entry.busy = false;
    }
    if (!again) {
      watched.delete(name);
      return;
    }
    // A job resumed after a restart is looked at at once (delay 0); the backoff starts from firstMs after that.
    entry.delayMs = Math.min(poll.maxMs, Math.max(poll.firstMs, Math.round(entry.delayMs * poll.factor)));
    schedule(name, entry.delayMs);
  }

  /** One look at the job; false once it needs no more watching. */
  async function step(name: string, ownerId: OwnerId, settings: GenerationSettings): Promise<boolean> {
    const batches = options.gateway()?.batches;
    if (!batches) return true;
    const turns = await waitingTurns(name, ownerId);
    if (turns.length === 0) {
      await batches.cancel(name);
      return false;
    }
    const polled = await batches.poll(name, settings);
    if (!polled.ok) {
      if (!polled.gone) return true;
      await endAll(turns, "failed", BATCH_GONE);
      return false;
    }
    switch (polled.state) {
      case "waiting":
        return true;
      case "failed":
        await endAll(turns, "failed", BATCH_FAILED);
        return false;
      case "expired":
        await endAll(turns, "failed", BATCH_EXPIRED);
        return false;
      case "cancelled":
        await endAll(turns, "cancelled", createStudioError("cancelled"));
        return false;
      case "succeeded":
        for (const turn of turns) {
          const result = polled.results[turn.request.batch?.index ?? -1];
          await land(turn, result ?? { ok: false, error: createStudioError("incomplete", { detail: "The batch returned fewer answers than requests." }) });
        }
        return false;
    }
  }

  async function endAll(turns: readonly Turn[], status: "failed" | "cancelled", error: StudioError): Promise<void> {
    for (const turn of turns) await record(turn, { status, outcome: null, error: clean(error), attempts: 1 });
  }

  /** An answer written as the runner writes a direct one (generation.ts, run()). */
  async function land(turn: Turn, result: GenerateResult): Promise<void> {
    const request = turn.request;
    if (!result.ok) {
      const outcome = result.outcome ? await storeOutcome(result.outcome, null).catch(() => null) : null;
      return record(turn, { status: "failed", outcome, error: clean(result.error), attempts: 1 });
    }
    for (const image of [...result.outcome.images, ...result.outcome.thoughts.flatMap((thought) => (thought.kind === "image" ? [thought] : []))]) {
      const problem = unusableImageError(image.data, image.mimeType);
      if (problem) return record(turn, { status: "failed", outcome: null, error: problem, attempts: 1 });
    }
    const references = await loadReferences(request.references);
    const kind = outputKind({ hasReferences: request.references.length > 0, hasHistory: turn.parentId !== null, grounded: result.outcome.grounding !== null });
    const outcome: TurnOutcome = await storeOutcome(result.outcome, { prompt: request.prompt, kind, at: now() });
    await storage.modelTurns.put(turn.ownerId, turn.id, result.outcome.modelTurn, knownInlineImages(result.outcome));
    outcome.replayBytes = replayBytesOf({ prompt: request.prompt, references: sizedReferences(references), modelTurn: result.outcome.modelTurn });
    return record(turn, { status: "succeeded", outcome, error: null, attempts: 1 });
  }

  async function record(turn: Turn, fields: { status: "succeeded" | "failed" | "cancelled"; outcome: TurnOutcome | null; error: StudioError | null; attempts: number }): Promise<void> {
    try {
      // Storage only lets a turn finish from running; it never ran here, it waited at Google.
      if (turn.status === "queued") await storage.turns.update(turn.ownerId, turn.id, { status: "running" });
      await storage.turns.update(turn.ownerId, turn.id, fields);
    } catch (error) {
      // Another instance recorded it first, or the user cancelled it meanwhile: that end stands.
      if (error instanceof StorageError && (error.code === "invalid_transition" || error.code === "not_found")) return;
      throw error;
    }
  }

  return {
    submit,
    async resume() {
      for (const turn of await storage.turns.listBatchWaiting()) {
        if (turn.request.batch && isBatchWaiting(turn)) watch(turn.request.batch.name, turn.ownerId, turn.request.settings, 0);
      }
    },
    nudge(name) {
      if (watched.has(name)) schedule(name, 0);
    },
    async release(name, ownerId) {
      const batches = options.gateway()?.batches;
      if (!batches || (await waitingTurns(name, ownerId)).length > 0) return false;
      const entry = watched.get(name);
      if (entry?.timer) clearTimeout(entry.timer);
      // A poll under way finds the entry gone and schedules no other.
      watched.delete(name);
      await batches.cancel(name);
      return true;
    },
    watching: () => [...watched.keys()],
    close() {
      closed = true;
      for (const entry of watched.values()) if (entry.timer) clearTimeout(entry.timer);
      watched.clear();
    },
  };
}
