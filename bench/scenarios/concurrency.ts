import { watchServerMemory } from "../lib/app-host";
import { epochNow, type BenchContext } from "../lib/context";
import { createDirectClient } from "../lib/direct-sdk";
import { flashSettings } from "../lib/settings";
import { MB, round, summarize } from "../lib/stats";

const COUNT = 32;
const LATENCY_MS = 2_000;
/** How often a client whose start was refused as "busy" tries again. */
const RETRY_EVERY_MS = 250;

/**
 * Scenario 2: 32 generations started at once at 2K, the emulator waiting 2 s before each chunk.
 * An image answer has at least two chunks (the image, then the closing one), so images only (no
 * text, no thoughts) keep one generation at about 2 x 2 s.
 *
 * Timing uses plain payloads: the emulator renders every picture on this machine's two cores,
 * which Google's service does not, and 32 realistic 2K renders alone take it ~15 s. Its own time
 * for the same 32 requests made at once straight with the SDK is the baseline, measured here, so
 * what is left is the studio's. Memory uses realistic payloads (~1.3 MB image and ~600 KB
 * signature per answer), as the service sends: summed RSS of the server's processes (/proc),
 * every 100 ms.
 *
 * Passes through the app (startTurnAction over HTTP, then SSE), all 32 started together:
 *   once       a refused start ("busy") is a failure, as a designer would see it; a start the
 *              studio queues (no free slot) is followed until it finishes like any other;
 *   withRetry  a refused start is tried again every 250 ms until it is accepted;
 *   memory     withRetry with realistic payloads.
 */
export async function runConcurrency(context: BenchContext) {
  const { client, emulator, app } = context;
  const settings = flashSettings("2K", { imageOnly: true, showThoughts: false });
  const direct = createDirectClient(emulator.url);
  await emulator.configure({ latencyMs: LATENCY_MS, realisticPayload: false });
  const tag = Date.now().toString(36);

  const singleStart = epochNow();
  await direct.generate(`bench concurrency single ${tag}`, settings);
  const singleMs = epochNow() - singleStart;

  const directStart = epochNow();
  const directTimes = await Promise.all(
    Array.from({ length: COUNT }, async (_, index) => {
      await direct.generate(`bench concurrency direct ${tag} ${index}`, settings);
      return epochNow() - directStart;
    }),
  );
  const directWallMs = Math.max(...directTimes);

  const sessions = await Promise.all(Array.from({ length: COUNT }, (_, index) => client.createSession(`bench concurrency ${index}`)));
  const sessionIds = sessions.map((session) => {
    if (!session.ok) throw new Error(`createSession: ${session.error.message}`);
    return session.data.id;
  });

  // Accepted generations not yet finished, as this client sees them: running from the started
  // event that carries the turn running (the start's answer, or later for one that was queued).
  let running = 0;
  let maxRunning = 0;
  let waiting = 0;
  let maxWaiting = 0;

  async function generation(index: number, prompt: string, retry: boolean, start: number) {
    let refusals = 0;
    for (;;) {
      const started = await client.startTurn({ sessionId: sessionIds[index] as string, parentId: null, prompt, references: [], settings });
      if (!started.ok) {
        if (started.error.code === "busy" && retry) {
          refusals += 1;
          await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
          continue;
        }
        return { ok: false as const, code: started.error.code, message: started.error.message, ms: epochNow() - start, refusals, queued: false };
      }
      const queued = started.data.status === "queued";
      let holding = false;
      const hold = () => {
        holding = true;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
      };
      if (queued) {
        waiting += 1;
        maxWaiting = Math.max(maxWaiting, waiting);
      } else {
        hold();
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (holding) running -= 1;
        else waiting -= 1;
      };
      const { terminal } = await client
        .follow(started.data.id, (event) => {
          if (event.type === "started" && event.turn.status === "running" && !holding) {
            waiting -= 1;
            hold();
          }
          // At the terminal event, not after the stream is closed: the next job's start may already be on its way.
          if (event.type === "done" || event.type === "failed" || event.type === "cancelled" || event.type === "interrupted") release();
        })
        .finally(release);
      return { ok: terminal.type === "done", code: terminal.type, message: "", ms: epochNow() - start, refusals, queued };
    }
  }

  async function pass(name: string, retry: boolean) {
    const memory = watchServerMemory(app.pid);
    maxRunning = 0;
    maxWaiting = 0;
    const start = epochNow();
    const outcomes = await Promise.all(Array.from({ length: COUNT }, (_, index) => generation(index, `bench concurrency ${name} ${tag} ${index}`, retry, start)));
    const wallMs = epochNow() - start;
    const { startBytes, peak } = memory.stop();
    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const failures: Record<string, number> = {};
    for (const outcome of outcomes) if (!outcome.ok) failures[outcome.code] = (failures[outcome.code] ?? 0) + 1;
    return {
      succeeded: succeeded.length,
      failures,
      failureMessage: outcomes.find((outcome) => !outcome.ok)?.message ?? null,
      wallMs: round(wallMs),
      ratioToDirect: round(wallMs / directWallMs, 2),
      perGenerationMs: summarize(succeeded.map((outcome) => outcome.ms)),
      refusedStarts: outcomes.reduce((sum, outcome) => sum + outcome.refusals, 0),
      maxRunning,
      /** Starts the studio accepted as queued (every slot taken), and the most waiting at once. */
      queuedStarts: outcomes.filter((outcome) => outcome.queued).length,
      maxQueued: maxWaiting,
      serverRssStartMB: round(startBytes / MB),
      serverRssPeakMB: round(peak.totalBytes / MB),
      peakByProcess: peak.byProcess.map((proc) => ({ pid: proc.pid, name: proc.name, rssMB: round(proc.rssBytes / MB) })),
    };
  }

  // Memory first: the server's RSS only grows over a run, so later passes would start higher.
  await emulator.configure({ realisticPayload: true });
  const memory = await pass("memory", true);
  await emulator.configure({ realisticPayload: false });
  const once = await pass("once", false);
  const withRetry = await pass("retry", true);
  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  return {
    count: COUNT,
    latencyMsPerChunk: LATENCY_MS,
    settings,
    baseline: { singleDirectMs: round(singleMs), directConcurrentWallMs: round(directWallMs), directPerRequestMs: summarize(directTimes) },
    once,
    withRetry,
    memory,
  };
}
