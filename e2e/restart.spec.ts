import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

// A studio of its own (same build, own port and data directory) that this spec can kill like a crash.
const port = STUDIO_PORTS.restart;
const dataDir = ".e2e-data/restart";

test.describe("server restart", () => {
  let server: StudioProcess | undefined;

  test.afterEach(() => server?.crash());

  test("a turn running when the server dies is shown as interrupted, and Retry finishes it", async ({ page, request }) => {
    test.setTimeout(180_000);
    await emulatorControl(request).reset();
    await emulatorControl(request).queueFaults([{ kind: "hang" }]);
    server = startStudio({ port, dataDir });
    await server.waitUntilHealthy();

    const studio = new StudioPage(page);
    await studio.goto(server.baseUrl);
    await studio.generate("A kite above the dunes");
    await expect(page.getByTestId("progress")).toBeVisible();
    // The turn shows before the router moves to its session's URL; wait for the URL to name it.
    await expect(page).toHaveURL(/\/s\/[\w-]+\?turn=[\w-]+$/);
    const url = page.url();

    server.crash();
    server = startStudio({ port, dataDir, keepData: true });
    await server.waitUntilHealthy();

    await page.goto(url);
    await studio.waitForStatus("interrupted");
    await expect(page.getByTestId("progress")).toHaveCount(0);
    await page.getByTestId("retry").click();
    await studio.waitForStatus("succeeded");
    await expect(studio.resultImages).toHaveCount(1);
  });
});

test.describe("one studio per data directory", () => {
  const lockDir = ".e2e-data/lock";
  let first: StudioProcess | undefined;
  let second: StudioProcess | undefined;

  test.afterEach(() => {
    first?.crash();
    second?.crash();
  });

  test("a second process on the same data directory fails at start naming the first; the lock survives kill -9 and is released on exit", async ({ request }) => {
    test.setTimeout(180_000);
    first = startStudio({ port: STUDIO_PORTS.lockFirst, dataDir: lockDir });
    await first.waitUntilHealthy();
    const lockFile = path.join(lockDir, "studio.lock");
    const holder = JSON.parse(readFileSync(lockFile, "utf8")) as { pid: number; host: string; since: string };

    second = startStudio({ port: STUDIO_PORTS.lockSecond, dataDir: lockDir, keepData: true });
    const exited = second;
    await expect.poll(() => exited.child.exitCode, { timeout: 60_000 }).toBe(1);
    expect(second.output()).toContain(`in use by another studio process (pid ${holder.pid} on ${os.hostname()}, since ${holder.since})`);
    // The first one carries on, its data untouched.
    expect((await request.get(`${first.baseUrl}/api/health`)).status()).toBe(200);

    // kill -9 leaves the lock file behind; the next start takes it over.
    first.crash();
    await expect.poll(() => first?.child.exitCode !== null || first?.child.signalCode !== null).toBe(true);
    expect(existsSync(lockFile)).toBe(true);
    second = startStudio({ port: STUDIO_PORTS.lockSecond, dataDir: lockDir, keepData: true });
    await second.waitUntilHealthy();
    expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ host: os.hostname() });
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).not.toBe(holder.pid);

    // A clean exit removes it.
    await second.stop();
    expect(existsSync(lockFile)).toBe(false);
  });
});
