/**
 * Seeds one long session into a data directory before a studio starts on it, through the studio's
 * own storage, as bench/lib/seed-history.ts does for the benchmark: a single branch of `turns`
 * finished turns with a result image each, prompts of one and two lines, and one earlier sibling
 * (turn 3 has two branches) so rows differ in height as they do in use. lib/storage is server-only:
 *   node --conditions=react-server --import tsx e2e/support/seed-long-session.ts <dataDir> <turns> [sessions] [bytesPerTurn]
 * `sessions` more sessions of one turn each are created first ("Older session 1" the oldest), so
 * the long one is the newest. Prints {"sessionId", "turnIds"} as JSON.
 *
 * With `bytesPerTurn`, each turn of the long session records that it adds so many bytes to later
 * requests (`replayBytes`, what a real turn records when it succeeds: about 1.7 MB at 1K), so a few
 * turns weigh what sixty would, without generating or storing that much. Their stored answers are
 * one small text part each, so a turn continuing them can still be sent (and is small on the wire).
 * Without it the turns record no size and store no answer, as before. With it, turn 2 also has a
 * later sibling that Google refused as too large (its 400 "Request payload size exceeds the
 * limit"), printed as "refusedTurnId": what a turn looks like when the estimate fell short.
 */
import path from "node:path";
import { findModel } from "../../lib/gemini/catalog";
import { createStudioError } from "../../lib/gemini/errors";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import type { TurnOutcome } from "../../lib/storage/types";
import { defaultSettings } from "../../lib/studio/model-switch";
import { renderImage } from "../../emulator/images";

const OWNER = "local";
// The studio's defaults for Nano Banana 2: 1K, 1:1, thinking minimal.
const SETTINGS = defaultSettings(findModel("gemini-3.1-flash-image") ?? undefined);

async function main(): Promise<void> {
  const dataDir = path.resolve(process.argv[2] ?? ".e2e-data/long-session");
  const count = Number(process.argv[3] ?? 300);
  const storage = openSqliteStorage({ dataDir });
  const pictures = await Promise.all(
    ["a lighthouse at dusk", "a bowl of ramen", "a cat on a windowsill"].map((prompt) =>
      renderImage({ modelId: "gemini-3.1-flash-image", mimeType: "image/jpeg", width: 256, height: 256, imageSize: "1K", aspectRatio: "1:1", prompt, turn: 1, references: [] }),
    ),
  );
  const refs = await Promise.all(pictures.map((bytes) => storage.images.put(bytes)));

  const bytesPerTurn = process.argv[5] === undefined ? null : Number(process.argv[5]);
  if (bytesPerTurn !== null && !(Number.isSafeInteger(bytesPerTurn) && bytesPerTurn >= 0)) {
    throw new Error(`bytesPerTurn must be a whole number of bytes, not ${process.argv[5]}`);
  }

  async function addTurn(sessionId: string, parentId: string | null, index: number, prompt: string, weighed = false): Promise<string> {
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request: { prompt, references: [], settings: SETTINGS } });
    const stored = refs[index % refs.length]!;
    const outcome: TurnOutcome = {
      images: [{ hash: stored.hash, mimeType: stored.mimeType, width: 256, height: 256, fileName: null, requested: { width: 1024, height: 1024 }, sizeMismatch: false }],
      thoughts: [],
      text: "",
      grounding: null,
      usage: null,
      finishReason: "STOP",
      blockReason: null,
      modelVersion: "gemini-3.1-flash-image",
      responseId: `seed-${index}`,
      warnings: [],
      ...(weighed && bytesPerTurn !== null ? { replayBytes: bytesPerTurn } : {}),
    };
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    if (weighed && bytesPerTurn !== null) await storage.modelTurns.put(OWNER, turn.id, { parts: [{ text: `Seeded answer ${index + 1}` }] });
    await storage.turns.update(OWNER, turn.id, { status: "succeeded", outcome, attempts: 1 });
    return turn.id;
  }

  /** A turn that went out and came back as Google's 400 for a body over its limit (lib/gemini/errors.ts). */
  async function addRefusedTurn(sessionId: string, parentId: string | null, prompt: string): Promise<string> {
    const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request: { prompt, references: [], settings: SETTINGS } });
    await storage.turns.update(OWNER, turn.id, { status: "running" });
    const error = createStudioError("request_too_large", { httpStatus: 400, detail: "Request payload size exceeds the limit: 104857600 bytes." });
    await storage.turns.update(OWNER, turn.id, { status: "failed", error, attempts: 1 });
    return turn.id;
  }

  const others = Number(process.argv[4] ?? 0);
  for (let index = 0; index < others; index += 1) {
    const { id } = await storage.sessions.create({ ownerId: OWNER, title: `Older session ${index + 1}` });
    await addTurn(id, null, index, `Older session ${index + 1}: a quiet harbour`);
  }

  const { id: sessionId } = await storage.sessions.create({ ownerId: OWNER, title: `${count} turns` });
  const turnIds: string[] = [];
  let refusedTurnId: string | null = null;
  let parent: string | null = null;
  for (let index = 0; index < count; index += 1) {
    const prompt = index % 3 === 0 ? `Turn ${index + 1}: warmer` : `Turn ${index + 1}: make the light a little warmer and add a small detail in the background`;
    if (index === 2) await addTurn(sessionId, parent, index, `Turn ${index + 1}, first try: a cooler light`, true);
    parent = await addTurn(sessionId, parent, index, prompt, true);
    turnIds.push(parent);
  }
  // Last, so that the turns above keep their numbers.
  if (bytesPerTurn !== null && turnIds[0]) refusedTurnId = await addRefusedTurn(sessionId, turnIds[0], "Turn 2, refused by Google: a wider view");
  await storage.close();
  process.stdout.write(`${JSON.stringify({ sessionId, turnIds, ...(refusedTurnId ? { refusedTurnId } : {}) })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
