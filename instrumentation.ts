/**
 * Runs once when the server starts: opens storage now rather than on the first request, so
 * migrations run and turns that were running when the last process stopped are marked
 * interrupted (with Retry offered) before anyone looks at them.
 *
 * It also takes over SIGTERM when scripts/serve.ts asks Next.js to leave it alone
 * (lib/server/graceful-exit.ts): running generations finish before the process exits.
 *
 * It also opens the job runner, and with DATABASE_URL this instance's side of the shared
 * job queue: an instance takes up waiting jobs, and finishes those of a dead instance, only once its
 * queue is open. Left to the first request, an instance nobody has visited yet (just restarted, or
 * behind a balancer that sends it nothing) would leave the line waiting.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Before any request arrives: the rate limit reads the TCP peer's address from this header.
  (await import("./lib/server/peer-address")).installPeerAddressHeader();
  const [{ getStorage }, { log }] = await Promise.all([import("./lib/storage"), import("./lib/server/log")]);
  try {
    await getStorage();
  } catch (error) {
    // Another studio owns the data directory: this one exits, saying which (lib/storage/lock.ts).
    (await import("./lib/storage/lock")).exitIfDataDirLocked(error);
    // Starting anyway keeps /api/health answering, and every action reports the problem clearly.
    log.error("storage.open_failed", { error });
    return;
  }
  const { getEnv } = await import("./lib/env");
  const { installGracefulExit } = await import("./lib/server/graceful-exit");
  installGracefulExit({
    graceMs: getEnv().shutdownGraceMs,
    shutdown: async (options) => (await import("./lib/server/sessions")).shutdownJobs(options),
    log: (event, fields) => log.info(event, fields),
  });
  // The runner is opened now in every setup: it also watches the Gemini batch jobs that turns still
  // wait for (lib/server/jobs/batch-watcher.ts), whose answers must land after a restart even if
  // nobody visits.
  try {
    await (await import("./lib/server/sessions")).getJobRunner();
  } catch (error) {
    // The next request tries again; /api/health reports the queue down meanwhile.
    log.error("jobs.open_failed", { error });
  }
}
