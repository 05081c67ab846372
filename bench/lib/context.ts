import type { Browser } from "@playwright/test";
import type { ActionIds, AppClient } from "./app-client";
import type { AppHost } from "./app-host";
import type { EmulatorHost } from "./emulator-host";

/** What every scenario gets: the running app and emulator, the browser, and where data lives. */
export interface BenchContext {
  app: AppHost;
  client: AppClient;
  /** The studio's server action ids (the same for every studio started from this build). */
  actionIds: ActionIds;
  emulator: EmulatorHost;
  browser: Browser;
  /** STUDIO_DATA_DIR of the app, absolute. */
  dataDir: string;
  /** Scratch space, wiped per run. */
  workDir: string;
  /** Generated inputs kept between runs (same content every time). */
  cacheDir: string;
  /** Seeded before the app started (scenario 7). */
  seeded: { sessionId: string; turns: number; images: number; bytes: number; seconds: number };
  quick: boolean;
  log(message: string): void;
}

/** This process's clock as epoch ms with sub-ms resolution, comparable with the emulator's and the browser's. */
export const epochNow = () => performance.timeOrigin + performance.now();
