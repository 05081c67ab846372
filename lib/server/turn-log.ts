import "server-only";

import type { OwnerId, Turn } from "@/lib/storage/types";
import type { JobRunner } from "@/lib/server/jobs/runner";
import type { JobEvent } from "@/lib/studio/job-events";
import { log as defaultLog, type Logger } from "./log";

/**
 * One log line per step that matters to an operator: a turn started, a retry was scheduled (and
 * why), and how it ended. Observes the job runner's events, so jobs.ts stays free of logging.
 * Never logs the prompt (a designer's words are theirs), only its length; image data and
 * signatures never reach these fields, and the logger would strip them anyway.
 */
export function logTurnEvents(
  runner: Pick<JobRunner, "follow">,
  ownerId: OwnerId,
  turn: Turn,
  options: { via: "start" | "retry"; retryOf?: string; logger?: Logger },
): void {
  const logger = (options.logger ?? defaultLog).child({ turnId: turn.id, sessionId: turn.sessionId });
  const startedAt = Date.now();
  const settings = turn.request.settings;

  const onEvent = (event: JobEvent) => {
    switch (event.type) {
      case "started":
        // A queued job sends "started" again when it gets its slot; each step gets its own line.
        logger.info(event.turn.status === "queued" ? "turn.queued" : "turn.started", {
          via: options.via,
          ...(options.retryOf ? { retryOf: options.retryOf } : {}),
          model: settings.model,
          imageSize: settings.imageSize,
          aspectRatio: settings.aspectRatio,
          webSearch: settings.webSearch,
          references: turn.request.references.length,
          promptChars: turn.request.prompt.length,
        });
        return;
      case "retry":
        logger.warn("turn.retry", {
          attempt: event.attempt,
          maxAttempts: event.maxAttempts,
          delayMs: event.delayMs,
          code: event.error.code,
          httpStatus: event.error.httpStatus,
        });
        return;
      case "done":
        logger.info("turn.succeeded", {
          attempts: event.turn.attempts,
          images: event.turn.outcome?.images.length ?? 0,
          totalTokens: event.turn.outcome?.usage?.totalTokens,
          durationMs: Date.now() - startedAt,
        });
        return;
      case "failed": {
        const error = event.turn.error;
        // What Google or the designer caused is a warning; a fault of the studio itself is an error.
        const level = error?.code === "internal" ? "error" : "warn";
        logger[level]("turn.failed", {
          attempts: event.turn.attempts,
          code: error?.code,
          httpStatus: error?.httpStatus,
          retryable: error?.retryable,
          finishReason: error?.finishReason,
          blockReason: error?.blockReason,
          detail: error?.detail,
          durationMs: Date.now() - startedAt,
        });
        return;
      }
      case "cancelled":
        logger.info("turn.cancelled", { attempts: event.turn.attempts, durationMs: Date.now() - startedAt });
        return;
      case "interrupted":
        logger.warn("turn.interrupted", { attempts: event.turn.attempts });
        return;
      default:
        return;
    }
  };

  void runner.follow(ownerId, turn.id, onEvent).catch((error: unknown) => logger.error("turn.log_failed", { error }));
}
