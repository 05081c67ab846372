/**
 * Attribution for scenario 1: the studio's storage calls for one successful generation, in the
 * order lib/server/jobs/generation.ts makes them, each timed on its own against a fresh data
 * directory on the same disk. Realistic 1K and 4K images (the emulator's renderer) and a ~600 KB signature.
 * Runs in its own process under the react-server condition (lib/storage is server-only):
 *   node --conditions=react-server --import tsx bench/lib/storage-costs.ts <dataDir>
 * Prints JSON: per size, the median ms of each call.
 */
import { performance } from "node:perf_hooks";
import { renderImage } from "../../emulator/images";
import { createSignature } from "../../emulator/signatures";
import type { ModelTurn } from "../../lib/gemini/types";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import { emptyOutcome, type StoredImageRef } from "../../lib/storage/types";
import { flashSettings } from "./settings";

const RUNS = 15;
const OWNER = "local";

function variant(jpeg: Buffer, label: string): Buffer {
  const comment = Buffer.from(label, "utf8");
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff]), comment, jpeg.subarray(2)]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function measure(dataDir: string, size: "1K" | "4K") {
  const edge = size === "1K" ? 1024 : 4096;
  const base = await renderImage({
    modelId: "gemini-3.1-flash-image",
    mimeType: "image/jpeg",
    width: edge,
    height: edge,
    imageSize: size,
    aspectRatio: "1:1",
    prompt: `storage costs ${size}`,
    turn: 1,
    references: [],
    realistic: true,
  });
  const storage = openSqliteStorage({ dataDir: `${dataDir}/${size}` });
  const session = await storage.sessions.create({ ownerId: OWNER, title: "storage costs" });
  const steps: Record<string, number[]> = {};
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    (steps[name] ??= []).push(performance.now() - start);
    return result;
  };
  for (let run = 0; run < RUNS + 2; run += 1) {
    const image = variant(base, `${size}-${run}-${Date.now()}`);
    const data = image.toString("base64");
    const signature = createSignature({ kind: "image", modelId: "gemini-3.1-flash-image", content: image, realisticSize: true });
    const modelTurn: ModelTurn = {
      parts: [
        { text: "**Composing the scene**", thought: true },
        { text: "Here is your image", thoughtSignature: createSignature({ kind: "text", modelId: "gemini-3.1-flash-image", content: "x", realisticSize: false }) },
        { text: " of a banana." },
        { inlineData: { mimeType: "image/jpeg", data }, thoughtSignature: signature },
      ],
    };
    await time("sessions.get", () => storage.sessions.get(OWNER, session.id));
    const turn = await time("turns.create", () =>
      storage.turns.create({ ownerId: OWNER, sessionId: session.id, parentId: null, request: { prompt: "a banana", references: [], settings: flashSettings(size) } }),
    );
    await time("turns.update running", () => storage.turns.update(OWNER, turn.id, { status: "running" }));
    const stored = await time("images.put (streamed image)", () => storage.images.put(image));
    const ref: StoredImageRef = { hash: stored.hash, mimeType: stored.mimeType, width: edge, height: edge, fileName: null, requested: { width: edge, height: edge }, sizeMismatch: false };
    const live = { ...emptyOutcome(), images: [ref], text: "Here is your image of a banana." };
    await time("turns.update partial", () => storage.turns.update(OWNER, turn.id, { outcome: live, attempts: 1 }));
    await time("images.put (again, storeOutcome)", () => storage.images.put(image));
    const name = await time("images.exportAs", () => storage.images.exportAs(stored.hash, `gen-banana-${size}-${run}.jpg`));
    await time("modelTurns.put", () => storage.modelTurns.put(OWNER, turn.id, modelTurn));
    await time("turns.update succeeded", () =>
      storage.turns.update(OWNER, turn.id, { status: "succeeded", outcome: { ...live, images: [{ ...ref, fileName: name.split("/").pop() ?? null }] }, error: null, attempts: 1 }),
    );
  }
  await storage.close();
  // The first two runs warm caches (statements, directories) and are left out.
  const medians = Object.fromEntries(Object.entries(steps).map(([name, values]) => [name, Math.round(median(values.slice(2)) * 100) / 100]));
  const afterImage = ["turns.update partial", "images.put (again, storeOutcome)", "images.exportAs", "modelTurns.put", "turns.update succeeded"];
  return {
    imageBytes: base.length,
    medianMs: medians,
    beforeRequestMs: Math.round((medians["sessions.get"]! + medians["turns.create"]! + medians["turns.update running"]!) * 100) / 100,
    imageEventMs: medians["images.put (streamed image)"],
    afterStreamMs: Math.round(afterImage.reduce((sum, name) => sum + (medians[name] ?? 0), 0) * 100) / 100,
  };
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error("usage: storage-costs.ts <dataDir>");
  const result = { "1K": await measure(dataDir, "1K"), "4K": await measure(dataDir, "4K") };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
