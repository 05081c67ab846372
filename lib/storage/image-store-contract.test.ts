import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createFileImageStore } from "./image-store";
import { describeImageStoreContract } from "./image-store-contract";

describeImageStoreContract("files", async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-image-contract-"));
  return {
    store: createFileImageStore(dataDir),
    readExport: (location) => fs.readFile(location).catch(() => null),
    dispose: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
});
