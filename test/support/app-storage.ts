import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, vi } from "vitest";
import type { Storage } from "@/lib/storage/types";

/**
 * A route test's app storage as the app opens it (`STUDIO_DATA_DIR` -> SQLite and image files) in
 * a fresh temporary directory, with the route module imported after the environment is set; all
 * of it closed and removed after the file's tests. Read `route`, `storage` and `dataDir` inside tests.
 */
export function appStorageForTests<Route>(prefix: string, importRoute: () => Promise<Route>): { readonly route: Route; readonly storage: Storage; readonly dataDir: string } {
  let dataDir: string;
  let route: Route | undefined;
  let storage: Storage | undefined;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    vi.stubEnv("STUDIO_DATA_DIR", dataDir);
    vi.resetModules();
    route = await importRoute();
    storage = await (await import("@/lib/storage")).getStorage();
  });

  afterAll(async () => {
    await storage?.close();
    delete (globalThis as Record<symbol, unknown>)[Symbol.for("nano-banana-studio.storage")];
    vi.unstubAllEnvs();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  return {
    get dataDir() {
      return dataDir;
    },
    get route() {
      if (!route) throw new Error("The route is imported in beforeAll.");
      return route;
    },
    get storage() {
      if (!storage) throw new Error("The storage is opened in beforeAll.");
      return storage;
    },
  };
}
