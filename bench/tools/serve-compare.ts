/**
 * Diagnostics: the emulator and two or more built studios side by side, for
 * bench/tools/compare-opens.ts (before/after a change, opened in turn under the same load). Each
 * studio is `<checkout>:<dataDir>:<port>`; a checkout other than this one needs its own built
 * `.next` (scripts/serve.ts builds it otherwise) and node_modules. A checkout from before accounts
 * (no scripts/serve.ts) is started with `next start`. Runs until interrupted.
 *   npx tsx bench/tools/serve-compare.ts <checkout>:<dataDir>:<port> … [--emulator-port=9490]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { startApp, type AppHost } from "../lib/app-host";
import { startEmulatorHost } from "../lib/emulator-host";

async function main() {
  const args = process.argv.slice(2);
  const emulatorPort = Number(args.find((arg) => arg.startsWith("--emulator-port="))?.split("=")[1] ?? 9490);
  const studios = args
    .filter((arg) => !arg.startsWith("--"))
    .map((arg) => {
      const [checkout, dataDir, port] = arg.split(":");
      if (!checkout || !dataDir || !port) throw new Error(`Not <checkout>:<dataDir>:<port>: ${arg}`);
      return { checkout: path.resolve(checkout), dataDir: path.resolve(dataDir), port: Number(port) };
    });
  if (studios.length === 0) throw new Error("Usage: serve-compare.ts <checkout>:<dataDir>:<port> … [--emulator-port=9490]");
  const emulator = await startEmulatorHost({ port: emulatorPort });
  const apps: AppHost[] = [];
  const legacy: ChildProcess[] = [];
  const stop = async () => {
    for (const child of legacy) child.kill("SIGTERM");
    for (const app of apps) await app.stop();
    await emulator.close();
  };
  try {
    for (const studio of studios) {
      if (existsSync(path.join(studio.checkout, "scripts", "serve.ts"))) {
        apps.push(await startApp({ root: studio.checkout, port: studio.port, emulatorUrl: emulator.url, dataDir: studio.dataDir, logFile: `/tmp/serve-compare-${studio.port}.log` }));
      } else {
        legacy.push(
          spawn(process.execPath, [path.join(studio.checkout, "node_modules", "next", "dist", "bin", "next"), "start", "-p", String(studio.port)], {
            cwd: studio.checkout,
            env: { ...process.env, GEMINI_API_KEY: "bench-key", GEMINI_BASE_URL: emulator.url, STUDIO_DATA_DIR: studio.dataDir, STUDIO_RATE_LIMIT_PER_MINUTE: "0", NEXT_TELEMETRY_DISABLED: "1" },
            stdio: "ignore",
          }),
        );
      }
    }
  } catch (error) {
    // The studios already started would outlive this process otherwise.
    await stop();
    throw error;
  }
  console.log("ready");
  const exit = () => void stop().then(() => process.exit(0));
  process.once("SIGINT", exit);
  process.once("SIGTERM", exit);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
