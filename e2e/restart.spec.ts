import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { E2E } from "./support/ports";

// A studio of its own (same build, own port and data directory) that this spec can kill like a crash.
const port = 3102;
const baseUrl = `http://127.0.0.1:${port}`;
const dataDir = ".e2e-data/restart";

function startStudio(): ChildProcess {
  return spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "scripts/serve.ts"], {
    env: { ...process.env, PORT: String(port), GEMINI_API_KEY: E2E.apiKey, GEMINI_BASE_URL: E2E.emulatorUrl, STUDIO_DATA_DIR: dataDir },
    // Its own process group, so the launcher and the Next.js server under it die together.
    detached: true,
    stdio: "ignore",
  });
}

async function waitUntilHealthy() {
  await expect
    .poll(async () => (await fetch(`${baseUrl}/api/health`).catch(() => null))?.status ?? 0, { timeout: 120_000, intervals: [250] })
    .toBe(200);
}

function crash(server: ChildProcess) {
  if (server.pid) process.kill(-server.pid, "SIGKILL");
}

test.describe("server restart", () => {
  let server: ChildProcess | undefined;

  test.beforeAll(() => rmSync(dataDir, { recursive: true, force: true }));
  test.afterEach(() => server && crash(server));

  test("a turn running when the server dies is shown as interrupted, and Retry finishes it", async ({ page, request }) => {
    test.setTimeout(180_000);
    await emulatorControl(request).reset();
    await emulatorControl(request).queueFaults([{ kind: "hang" }]);
    server = startStudio();
    await waitUntilHealthy();

    const studio = new StudioPage(page);
    await studio.goto(baseUrl);
    await studio.generate("A kite above the dunes");
    await expect(page.getByTestId("progress")).toBeVisible();
    const url = page.url();

    crash(server);
    server = startStudio();
    await waitUntilHealthy();

    await page.goto(url);
    await studio.waitForStatus("interrupted");
    await expect(page.getByTestId("progress")).toHaveCount(0);
    await page.getByTestId("retry").click();
    await studio.waitForStatus("succeeded");
    await expect(studio.resultImages).toHaveCount(1);
  });
});
