import "server-only";

/**
 * SIGTERM for `next start` under scripts/serve.ts, which sets NEXT_MANUAL_SIG_HANDLE so
 * Next.js leaves the signals to us: without it Next closes its server and exits as soon as no
 * request is open, cutting off every generation running in the background. Here the job runner
 * stops taking work (on the shared queue, starts wait in the line for another instance), running
 * generations get `graceMs` to finish, and those left end interrupted with Retry offered. A repeated
 * SIGTERM changes nothing (a process group may get it twice: from the sender and from serve.ts).
 * SIGINT (Ctrl+C at a terminal) still exits at once; startup recovery marks what ran interrupted.
 * Plain `next start` (no NEXT_MANUAL_SIG_HANDLE) keeps Next's own handling.
 */
export function installGracefulExit({
  graceMs,
  shutdown,
  log,
  exit = (code) => process.exit(code),
}: {
  graceMs: number;
  shutdown: (options: { graceMs: number }) => Promise<void>;
  log: (event: string, fields: Record<string, unknown>) => void;
  exit?: (code: number) => void;
}): (signal: NodeJS.Signals) => Promise<void> {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    log("server.stopping", { signal, graceMs });
    try {
      await shutdown({ graceMs });
    } catch (error) {
      log("server.stop_failed", { error });
    }
    log("server.stopped", { tookMs: Date.now() - startedAt });
    exit(0);
  };
  if (process.env.NEXT_MANUAL_SIG_HANDLE) {
    process.on("SIGTERM", (signal) => void onSignal(signal));
  }
  return onSignal;
}
