import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS, findChromium } from "./scripts/chromium";
import { E2E } from "./e2e/support/ports";
import { E2E_AUTH_ENV, writeSeededStorageState } from "./e2e/support/auth";

// Fails at once, before any server starts, when no browser is available.
const executablePath = findChromium();
// Signed in as the seeded admin of every e2e studio (e2e/support/auth.ts).
const storageState = writeSeededStorageState(__dirname);

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: E2E.appUrl,
    storageState,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: { executablePath, args: CHROMIUM_ARGS },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1440, height: 900 } } }],
  webServer: [
    {
      name: "emulator",
      command: "npx tsx emulator/cli.ts",
      url: `${E2E.emulatorUrl}/_emulator/health`,
      env: { EMULATOR_PORT: String(E2E.emulatorPort), EMULATOR_LATENCY_MS: "50" },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      name: "studio",
      command: `rm -rf ${E2E.dataDir} && npx tsx scripts/serve.ts`,
      url: `${E2E.appUrl}/api/health`,
      env: {
        PORT: String(E2E.appPort),
        GEMINI_API_KEY: E2E.apiKey,
        GEMINI_BASE_URL: E2E.emulatorUrl,
        STUDIO_DATA_DIR: E2E.dataDir,
        // The specs were written against Nano Banana 2; the catalog's default (2.1) is tested in
        // gemini-answers.spec.ts on its own studio.
        STUDIO_DEFAULT_MODEL: "gemini-3.1-flash-image",
        // Every spec generates from this one client; security.spec.ts tests the limit on its own studio.
        STUDIO_RATE_LIMIT_PER_MINUTE: "10000",
        // STUDIO_GEMINI_BACKEND=interactions runs the suite against the Interactions API backend.
        ...(process.env.STUDIO_GEMINI_BACKEND ? { STUDIO_GEMINI_BACKEND: process.env.STUDIO_GEMINI_BACKEND } : {}),
        ...E2E_AUTH_ENV,
      },
      reuseExistingServer: false,
      timeout: 600_000,
      stdout: "pipe",
    },
    {
      // `npm start` exactly as a newcomer runs it: no key, so the bundled emulator starts beside the app.
      name: "offline-preview",
      command: `rm -rf ${E2E.offlineDataDir} && npx tsx scripts/serve.ts`,
      url: `${E2E.offlineAppUrl}/api/health`,
      env: {
        PORT: String(E2E.offlineAppPort),
        GEMINI_API_KEY: "",
        EMULATOR_PORT: String(E2E.offlineEmulatorPort),
        EMULATOR_LATENCY_MS: "50",
        STUDIO_DATA_DIR: E2E.offlineDataDir,
        ...E2E_AUTH_ENV,
      },
      reuseExistingServer: false,
      timeout: 600_000,
      stdout: "pipe",
    },
  ],
});
