/**
 * Runs once when the server starts: opens storage now rather than on the first request, so
 * migrations run and turns that were running when the last process stopped are marked
 * interrupted (with Retry offered) before anyone looks at them.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getStorage } = await import("./lib/storage");
  try {
    await getStorage();
  } catch (error) {
    // Starting anyway keeps /api/health answering, and every action reports the problem clearly.
    console.error(`Nano Banana Studio: storage could not be opened: ${error instanceof Error ? error.message : String(error)}`);
  }
}
