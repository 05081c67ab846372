/**
 * Diagnostics: the built studio on a seeded data directory with the bench's emulator and signed-in
 * admin, until interrupted, for looking at pages and payloads by hand (curl with BENCH_COOKIE).
 *   npx tsx bench/tools/serve-seeded.ts <dataDir> [appPort] [emulatorPort]
 */
import { startApp } from "../lib/app-host";
import { BENCH_COOKIE } from "../lib/auth";
import { startEmulatorHost } from "../lib/emulator-host";

async function main() {
  const [dataDir, appPort = "3705", emulatorPort = "9495"] = process.argv.slice(2);
  if (!dataDir) throw new Error("Usage: serve-seeded.ts <dataDir> [appPort] [emulatorPort]");
  const emulator = await startEmulatorHost({ port: Number(emulatorPort) });
  const app = await startApp({ port: Number(appPort), emulatorUrl: emulator.url, dataDir, logFile: `${dataDir}.app.log` });
  console.log(`studio on ${app.url}; cookie: ${BENCH_COOKIE}`);
  const stop = async () => {
    await app.stop();
    await emulator.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
