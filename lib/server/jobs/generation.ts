import "server-only";

import { createStudioError } from "@/lib/gemini/errors";
import type { GenerationEvent, GenerationOutcome, GenerationRequest, StudioError } from "@/lib/gemini/types";
import { unusableImageError } from "@/lib/gemini/unusable-answer";
import { ImageStoreError } from "@/lib/storage/image-store";
import { INTERRUPTED_TURN_ERROR, StorageError, emptyOutcome, type Storage, type TurnOutcome } from "@/lib/storage/types";
import { outputKind } from "@/lib/studio/file-names";
import { JobFailure, type createHistoryBuilder } from "./history";
import { storageStudioError, type EmitJobEvent, type Job, type StopReason } from "./job";
import type { JobEnd } from "./job-end";
import type { createOutcomeStore } from "./outcome-store";
import { replayBytesOf, sizedReferences } from "./request-size";
import type { SharedJobQueue } from "./shared-queue";

/**
 * One generation, from a job getting its slot to its outcome stored: the turn recorded running,
 * the history and references read back, the request sent, each event stored (images by hash, the
 * moment they arrive) and passed on in order, and the answer checked and saved, or the reason it
 * stopped turned into the turn's error. Apart from the runner because it is the one long piece of
 * the job's life; everything it touches outside the job comes in as an option, so it reads alone.
 */

export interface GenerationOptions {
  storage: Storage;
  /** Builds what a continuation replays (history.ts). */
  history: Pick<ReturnType<typeof createHistoryBuilder>, "buildHistory" | "loadReferences">;
  /** Puts images, thoughts and the final outcome into storage (outcome-store.ts). */
  outcomes: ReturnType<typeof createOutcomeStore>;
  emit: EmitJobEvent;
  /** Stops the job for a reason (runner.ts); the generation stops on a deadline, a bad answer, a storage failure. */
  stop: (job: Job, reason: StopReason) => void;
  /** Records the job's end (job-end.ts). */
  finish: JobEnd["finish"];
  /** Ends a job stopped before its request began (job-end.ts). */
  endUnstarted: JobEnd["endUnstarted"];
  /** Wall clock for output file names. */
  now: () => Date;
  /** No request outlives this, whatever the gateway does; time in the queue doesn't count. */
  deadlineMs: number;
  /** With PostgreSQL: marks the job sent, so a lost instance's job is not sent a second time. */
  shared: Pick<SharedJobQueue, "markSent"> | undefined;
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.max(1, Math.round(ms / 1000))} s`;
}

export function createGeneration(options: GenerationOptions) {
  const { storage, emit, stop, finish, endUnstarted, now, deadlineMs, shared } = options;
  const { buildHistory, loadReferences } = options.history;
  const { storeThought, storeImage, storeOutcome, knownInlineImages } = options.outcomes;

  /** A queued job got its slot: record it running, tell the followers, and send the request. */
  async function launch(job: Job): Promise<void> {
    // Claimed as it was started (shared queue): recorded running, and told so, in the start itself.
    if (job.turn.status === "running" && job.events.some((event) => event.type === "started" && event.turn.status === "running")) return run(job);
    try {
      job.turn = await storage.turns.update(job.ownerId, job.turnId, { status: "running" });
    } catch (error) {
      job.finalizing = true;
      return finish(job, "failed", { outcome: null, error: storageStudioError(error), attempts: 0 });
    }
    // Cancelled while the row was being written: the request never goes out.
    if (job.stopReason) return endUnstarted(job);
    emit(job, { type: "started", turn: job.turn });
    return run(job);
  }

  async function run(job: Job): Promise<void> {
    const { gateway, chain } = job;
    const request = job.turn.request;
    const startedAt = now();
    const deadline = setTimeout(() => stop(job, "deadline"), deadlineMs);
    deadline.unref?.();

    // What has arrived in the current attempt, saved on the turn as it grows so that any image
    // file written is referenced by a row, even if the server dies before the end.
    let live = emptyOutcome();
    let attempts = 0;
    let storageFailure: StudioError | null = null;
    /** The answer held something that can't be an image (an SVG, base64 that isn't). */
    let answerFailure: StudioError | null = null;
    let accepting = true;
    let queue: Promise<void> = Promise.resolve();

    const savePartial = async () => {
      const turn = await storage.turns.update(job.ownerId, job.turnId, { outcome: live, attempts });
      job.turn = turn;
    };

    const handle = async (event: GenerationEvent) => {
      if (job.stopReason) return;
      switch (event.type) {
        case "attempt":
          attempts = event.attempt;
          emit(job, { type: "attempt", attempt: event.attempt, maxAttempts: event.maxAttempts });
          return;
        case "retry":
          live = emptyOutcome();
          emit(job, { type: "retry", attempt: event.attempt, maxAttempts: event.maxAttempts, delayMs: event.delayMs, error: event.error });
          return;
        case "phase":
          emit(job, { type: "phase", phase: event.phase });
          return;
        case "text":
          live.text += event.text;
          emit(job, { type: "text", text: event.text });
          return;
        case "thought": {
          if (event.thought.kind === "image") refuseUnusable(event.thought.data, event.thought.mimeType);
          const thought = await storeThought(event.thought);
          live.thoughts.push(thought);
          emit(job, { type: "thought", thought });
          if (thought.kind === "image") await savePartial();
          return;
        }
        case "image": {
          refuseUnusable(event.image.data, event.image.mimeType);
          const image = await storeImage(event.image);
          live.images.push(image);
          emit(job, { type: "image", image });
          await savePartial();
          return;
        }
      }
    };

    /**
     * Checks and stores a complete answer: its images (checked before anything is stored), their
     * named copies and the model turn, side by side, as both stand between the model's last byte
     * and `done` (on S3 the copies are two HEADs and a copy each; in PostgreSQL the model turn's
     * ~600 KB of signatures are one row). A failed save leaves no model turn behind, since a failed
     * turn is not continued from.
     */
    const saveAnswer = async (
      answer: GenerationOutcome,
      hasHistory: boolean,
      references: GenerationRequest["references"],
      at: Date,
    ): Promise<{ ok: true; outcome: TurnOutcome } | { ok: false; error: StudioError }> => {
      for (const image of [...answer.images, ...answer.thoughts.flatMap((thought) => (thought.kind === "image" ? [thought] : []))]) {
        const problem = unusableImageError(image.data, image.mimeType);
        if (problem) return { ok: false, error: problem };
      }
      const kind = outputKind({ hasReferences: request.references.length > 0, hasHistory, grounded: answer.grounding !== null });
      const writes = Promise.allSettled([
        storeOutcome(answer, { prompt: request.prompt, kind, at }),
        storage.modelTurns.put(job.ownerId, job.turnId, answer.modelTurn, knownInlineImages(answer)),
      ]);
      // Measured while the writes wait on the disk.
      const replayBytes = replayBytesOf({ prompt: request.prompt, references: sizedReferences(references), modelTurn: answer.modelTurn });
      const [stored, modelTurn] = await writes;
      if (stored.status === "rejected" || modelTurn.status === "rejected") {
        if (modelTurn.status === "fulfilled") await storage.modelTurns.delete(job.ownerId, job.turnId).catch(() => undefined);
        return { ok: false, error: storageStudioError(stored.status === "rejected" ? stored.reason : (modelTurn as PromiseRejectedResult).reason) };
      }
      return { ok: true, outcome: { ...stored.value, replayBytes } };
    };

    const refuseUnusable = (bytes: Uint8Array, mimeType: string) => {
      const problem = unusableImageError(bytes, mimeType);
      if (problem) throw new JobFailure(problem);
    };

    // The gateway reports synchronously; storing images is not. One queue keeps events in order.
    const onEvent = (event: GenerationEvent) => {
      if (!accepting) return;
      queue = queue
        .then(() => handle(event))
        .catch((error: unknown) => {
          if (error instanceof JobFailure) {
            answerFailure ??= error.error;
            stop(job, "unusable_answer");
            return;
          }
          storageFailure ??= storageStudioError(error);
          stop(job, "storage");
        });
    };

    try {
      const history = await buildHistory(job.ownerId, chain);
      const references = await loadReferences(request.references);
      const generation: GenerationRequest = { history, prompt: request.prompt, references, settings: request.settings };
      // From here a lost instance's job is finished as interrupted, never sent a second time.
      if (shared) await shared.markSent(job.turnId);
      const pending = gateway.generate(generation, { signal: job.controller.signal, onEvent });
      // A gateway that ignores the abort must not keep the job (and the turn) running.
      pending.catch(() => undefined);
      const result = await Promise.race([pending, job.stopped]);
      accepting = false;
      // A complete answer starts to be saved at once, beside the last image event, which may still
      // be on its way to disk: the model turn names that image by its hash, and nothing counts as
      // saved until both writes are done.
      const saving = result?.ok && job.stopReason === null ? saveAnswer(result.outcome, history.length > 0, references, startedAt) : null;
      // Awaited below; until then a throw in it must not count as unhandled.
      saving?.catch(() => undefined);
      await queue;
      job.finalizing = true;
      if (job.stopReason !== null && saving) {
        // Stopped while the last events were stored (a failed write, a cancel): nothing of the
        // answer is kept to be continued from.
        const saved = await saving;
        if (saved.ok) await storage.modelTurns.delete(job.ownerId, job.turnId).catch(() => undefined);
      }

      const partial = live.images.length > 0 || live.thoughts.length > 0 || live.text !== "" ? live : null;
      switch (job.stopReason) {
        case "cancelled":
          return await finish(job, "cancelled", { outcome: partial, error: createStudioError("cancelled"), attempts });
        case "shutdown":
          return await finish(job, "interrupted", { outcome: partial, error: INTERRUPTED_TURN_ERROR, attempts });
        case "deadline":
          return await finish(job, "failed", {
            outcome: partial,
            attempts,
            error: createStudioError("timeout", {
              message: `The generation took longer than the studio allows (${formatDuration(deadlineMs)}) and was stopped.`,
            }),
          });
        case "storage":
          return await finish(job, "failed", { outcome: partial, error: storageFailure ?? storageStudioError(null), attempts });
        case "unusable_answer":
          return await finish(job, "failed", { outcome: partial, error: answerFailure ?? createStudioError("no_image", { retryable: true }), attempts });
        case null:
          break;
      }
      if (result === null) throw new Error("The job stopped without a reason.");

      if (result.ok) {
        // Begun as the answer ended: a stop since then has returned above.
        if (!saving) throw new Error("A complete answer was not saved.");
        const saved = await saving;
        if (!saved.ok) return await finish(job, "failed", { outcome: partial, error: saved.error, attempts });
        return await finish(job, "succeeded", { outcome: saved.outcome, error: null, attempts });
      }

      let outcome: TurnOutcome | null = partial;
      if (result.outcome) {
        // Keep whatever the model did say (text, a blocked image's reason), without export copies.
        outcome = await storeOutcome(result.outcome, null).catch(() => partial);
      }
      return await finish(job, "failed", { outcome, error: result.error, attempts });
    } catch (error) {
      job.finalizing = true;
      const failure =
        error instanceof JobFailure
          ? error.error
          : error instanceof StorageError || error instanceof ImageStoreError
            ? storageStudioError(error)
            : createStudioError("internal", { detail: error instanceof Error ? error.message : String(error) });
      const partial = live.images.length > 0 || live.thoughts.length > 0 || live.text !== "" ? live : null;
      await finish(job, "failed", { outcome: partial, error: failure, attempts });
    } finally {
      clearTimeout(deadline);
    }
  }

  return { launch, run };
}
