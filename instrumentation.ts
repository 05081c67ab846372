/**
 * Runs once when the server starts: opens storage now rather than on the first request, so
 * migrations run and turns that were running when the last process stopped are marked
 * interrupted (with Retry offered) before anyone looks at them.
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
  }
}
