import { startEmulator } from "./server";

/**
 * `npm run emulator`: a standalone Gemini API emulator.
 * Env: EMULATOR_PORT (default 8790), EMULATOR_HOST, EMULATOR_LATENCY_MS, EMULATOR_REALISTIC=1,
 * EMULATOR_VERBOSE=1 (one line per request on stderr).
 */

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer, got "${raw}".`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: numberFromEnv("EMULATOR_PORT", 8790),
    host: process.env.EMULATOR_HOST || undefined,
    latencyMs: numberFromEnv("EMULATOR_LATENCY_MS", 0),
    realisticPayload: process.env.EMULATOR_REALISTIC === "1",
    log: process.env.EMULATOR_VERBOSE === "1" ? (line) => console.error(line) : undefined,
  });
  console.log(`Gemini emulator listening on ${emulator.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Gemini emulator failed to stop after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error("Gemini emulator failed to start:", error);
  process.exit(1);
});
