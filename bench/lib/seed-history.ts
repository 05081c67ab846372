/**
 * Seeds scenario 7's data before the app starts: one session of 500 turns (one branch, each with
 * a result and two thought drafts), a few small sessions, and uploads, to 5,000 images in all.
 * Written through the studio's own storage (openSqliteStorage), so rows and files are exactly
 * what the app would have made. Runs in its own process with the react-server condition, since
 * lib/storage is server-only: node --conditions=react-server --import tsx bench/lib/seed-history.ts
 */
import path from "node:path";
import { renderImage } from "../../emulator/images";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import type { StoredImageRef, StoredThought, TurnOutcome, TurnRequest } from "../../lib/storage/types";
import { flashSettings } from "./settings";

export interface SeedResult {
  sessionId: string;
  turns: number;
  images: number;
  bytes: number;
  seconds: number;
}

const SESSION_TURNS = 500;
const TOTAL_IMAGES = 5_000;
const OTHER_SESSIONS = 20;
const OTHER_TURNS = 5;
const OWNER = "local";

/** A distinct but valid JPEG: a comment segment right after the start-of-image marker. */
function variant(jpeg: Buffer, label: string): Buffer {
  const comment = Buffer.from(label, "utf8");
  const header = Buffer.from([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), header, comment, jpeg.subarray(2)]);
}

async function render(prompt: string, width: number, height: number, options: { draft?: boolean; realistic?: boolean }) {
  return renderImage({
    modelId: "gemini-3.1-flash-image",
    mimeType: "image/jpeg",
    width,
    height,
    imageSize: "1K",
    aspectRatio: "1:1",
    prompt,
    turn: 1,
    references: [],
    ...options,
  });
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.argv[2] ?? ".bench-data/studio");
  const started = Date.now();
  const storage = openSqliteStorage({ dataDir });
  const results = await Promise.all(
    ["a lighthouse at dusk", "a bowl of ramen", "a cat on a windowsill", "a foggy forest", "a neon street", "a desert road"].map((prompt) =>
      render(prompt, 1024, 1024, { realistic: true }),
    ),
  );
  const drafts = await Promise.all(["draft one", "draft two"].map((prompt) => render(prompt, 512, 512, { draft: true })));
  const uploads = await Promise.all(["upload a", "upload b", "upload c"].map((prompt) => render(prompt, 768, 576, {})));

  let images = 0;
  let bytes = 0;
  async function put(base: Buffer, label: string) {
    const data = variant(base, label);
    const stored = await storage.images.put(data);
    images += 1;
    bytes += data.length;
    return stored;
  }
  async function resultRef(index: number, label: string): Promise<StoredImageRef> {
    const stored = await put(results[index % results.length] as Buffer, label);
    return { hash: stored.hash, mimeType: stored.mimeType, width: 1024, height: 1024, fileName: null, requested: { width: 1024, height: 1024 }, sizeMismatch: false };
  }
  async function outcomeFor(index: number, prompt: string, label: string, withThoughts: boolean): Promise<TurnOutcome> {
    const thoughts: StoredThought[] = [];
    for (const [step, draft] of (withThoughts ? drafts : []).entries()) {
      thoughts.push({ kind: "text", text: `**Composing**\n\nWorking out the layout for “${prompt}”, step ${step + 1}.`, at: 400 + step * 900 });
      const stored = await put(draft, `${label}-draft-${step}`);
      thoughts.push({ kind: "image", hash: stored.hash, mimeType: stored.mimeType, width: 512, height: 512, at: 800 + step * 900 });
    }
    return {
      images: [await resultRef(index, `${label}-result`)],
      thoughts,
      text: `Here is your image of “${prompt}”.`,
      grounding: null,
      usage: { promptTokens: 12 + index, outputTokens: 1290, imageTokens: 1120, thoughtsTokens: 180, totalTokens: 1482 + index },
      finishReason: "STOP",
      blockReason: null,
      modelVersion: "gemini-3.1-flash-image",
      responseId: `seed-${label}`,
      warnings: [],
    };
  }
  async function addTurn(sessionId: string, parentId: string | null, index: number, prompt: string, label: string, withThoughts: boolean) {
    const request: TurnRequest = { prompt, references: [], settings: flashSettings("1K") };
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request });
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    const outcome = await outcomeFor(index, prompt, label, withThoughts);
    await storage.turns.update(OWNER, turn.id, { status: "succeeded", outcome, attempts: 1 });
    return turn.id;
  }

  for (let session = 0; session < OTHER_SESSIONS; session += 1) {
    const { id } = await storage.sessions.create({ ownerId: OWNER, title: `Earlier work ${session + 1}` });
    let parent: string | null = null;
    for (let turn = 0; turn < OTHER_TURNS; turn += 1) {
      parent = await addTurn(id, parent, turn, `Earlier idea ${session + 1}.${turn + 1}: a quiet harbour in the morning`, `s${session}-t${turn}`, false);
    }
  }

  // The big session last, so it is the newest in the list, as the one being worked on would be.
  const { id: sessionId } = await storage.sessions.create({ ownerId: OWNER, title: "Five hundred turns" });
  let parent: string | null = null;
  for (let turn = 0; turn < SESSION_TURNS; turn += 1) {
    const prompt = `Turn ${turn + 1}: make the light a little warmer, keep the composition, and add a small detail in the background that was not there before`;
    parent = await addTurn(sessionId, parent, turn, prompt, `big-t${turn}`, true);
  }

  // The rest of the 5,000: uploaded references, as a library of earlier uploads.
  const remaining = TOTAL_IMAGES - images;
  for (let start = 0; start < remaining; start += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, remaining - start) }, (_, offset) => put(uploads[(start + offset) % uploads.length] as Buffer, `upload-${start + offset}`)),
    );
  }
  await storage.close();
  const result: SeedResult = { sessionId, turns: SESSION_TURNS, images, bytes, seconds: (Date.now() - started) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
