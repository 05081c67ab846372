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
