import { createInterface } from "node:readline";
import { createGeminiGateway } from "@/lib/gemini/client";
import { createJobRunner } from "@/lib/server/jobs/runner";
import { openSharedJobQueue } from "@/lib/server/jobs/shared-queue";
import { createFileImageStore } from "@/lib/storage/image-store";
import { installGracefulExit } from "@/lib/server/graceful-exit";
import { openPostgresStorage } from "@/lib/storage/postgres/postgres-storage";
import type { TurnRequest } from "@/lib/storage/types";

/**
 * One studio instance's job runner on the shared PostgreSQL queue, in a process of its own, for
 * lib/server/jobs/shared-queue.postgres.test.ts (a test kills it with SIGKILL). Driven by JSON
 * lines on stdin, answering with JSON lines on stdout:
 *   { id, op: "start", ownerId, sessionId, parentId, request }  -> { id, result }
 *   { id, op: "follow", ownerId, turnId }                        -> { id, event } per event
 *   { id, op: "cancel", ownerId, turnId }                        -> { id, result }
 * Environment: DATABASE_URL, STUDIO_DATA_DIR, EMULATOR_URL, STUDIO_MAX_CONCURRENT_JOBS, STUDIO_SHUTDOWN_GRACE_MS.
 */

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

interface Command {
  id: number;
  op: "start" | "follow" | "cancel";
  ownerId: string;
  sessionId?: string;
  parentId?: string | null;
  request?: TurnRequest;
  turnId?: string;
}

async function main(): Promise<void> {
  const connectionString = required("DATABASE_URL");
  const storage = await openPostgresStorage({ connectionString, images: createFileImageStore(required("STUDIO_DATA_DIR")) });
  const gateway = createGeminiGateway({
    apiKey: "test",
    baseUrl: required("EMULATOR_URL"),
    retryPolicy: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, totalBudgetMs: 60_000 },
  });
  const maxConcurrentJobs = Number(process.env.STUDIO_MAX_CONCURRENT_JOBS ?? "32");
  const queue = await openSharedJobQueue({ storage, connectionString, maxConcurrentJobs, pollMs: 500, onError: (error) => process.stderr.write(`queue: ${String(error)}\n`) });
  const runner = createJobRunner({ storage, gateway: () => gateway, maxConcurrentJobs, queue });

  createInterface({ input: process.stdin }).on("line", (line) => {
    const command = JSON.parse(line) as Command;
    void (async () => {
      switch (command.op) {
        case "start":
          send({
            id: command.id,
            result: await runner.startTurn({
              ownerId: command.ownerId,
              sessionId: command.sessionId ?? "",
              parentId: command.parentId ?? null,
              request: command.request as TurnRequest,
            }),
          });
          return;
        case "follow": {
          const followed = await runner.follow(command.ownerId, command.turnId ?? "", (event) => send({ id: command.id, event }));
          send({ id: command.id, followed: followed.ok ? { live: followed.data.live } : followed.error });
          return;
        }
        case "cancel":
          send({ id: command.id, result: await runner.cancel(command.ownerId, command.turnId ?? "") });
          return;
      }
    })().catch((error: unknown) => send({ id: command.id, error: String(error) }));
  });

  // The studio's own SIGTERM handling (lib/server/graceful-exit.ts), with the same grace setting.
  process.env.NEXT_MANUAL_SIG_HANDLE = "1";
  installGracefulExit({
    graceMs: Number(process.env.STUDIO_SHUTDOWN_GRACE_MS ?? "0"),
    shutdown: async (options) => {
      await runner.shutdown(options);
      await storage.close();
    },
    log: (event) => process.stderr.write(`${event}\n`),
  });
  send({ ready: true });
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
