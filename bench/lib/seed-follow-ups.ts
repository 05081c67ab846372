/**
 * Seeds the follow-ups scenario's conversation before its studios start: one session with a single
 * branch of `turns` finished turns, the first with two reference photos, each with the model turn
 * a real generation stores. The answers come from the Gemini emulator (started here, realistic
 * payloads: ~600 KB thought signatures, 1K JPEGs) through the studio's own gateway, and are stored
 * the way lib/server/jobs/generation.ts stores them (outcome-store.ts, modelTurns.put with the
 * images it already holds), so a follow-up replays exactly what it would after real use and the emulator
 * verifies every signature. Each answer is asked for on its own (no history): signatures vouch
 * for their own image, not for the conversation, so replaying them in a chain is valid.
 *
 * With `interactions <emulatorUrl>` the conversation is made through the Interactions backend
 * instead, as a studio with STUDIO_GEMINI_BACKEND=interactions makes it: each turn continues from
 * the one before (the history as the job runner builds it), so every stored model turn carries its
 * interaction id. Google (here: the emulator) keeps those interactions, so the emulator must be the
 * one the measured studio will talk to; a follow-up from such a turn then sends only its own message.
 * lib/storage is server-only:
 *   node --conditions=react-server --import tsx bench/lib/seed-follow-ups.ts <dataDir> <turns> [interactions <emulatorUrl>]
 * Prints {"sessionId", "turnIds", "referenceBytes", "seconds"} as JSON.
 */
import path from "node:path";
import { renderImage } from "../../emulator/images";
import { startEmulator } from "../../emulator/server";
import { createGeminiGateway } from "../../lib/gemini/client";
import type { HistoryTurn, ReferenceImage } from "../../lib/gemini/types";
import { createOutcomeStore } from "../../lib/server/jobs/outcome-store";
import { openSqliteStorage } from "../../lib/storage/sqlite/sqlite-storage";
import type { StoredReference } from "../../lib/storage/types";
import { flashSettings } from "./settings";

export interface FollowUpSeed {
  sessionId: string;
  /** Root first. */
  turnIds: string[];
  referenceBytes: number;
  seconds: number;
}

// Owned by the pre-accounts owner; the bench's admin takes it over when the studio first starts.
const OWNER = "local";
const SETTINGS = flashSettings("1K");

async function main(): Promise<void> {
  const dataDir = path.resolve(process.argv[2] ?? ".bench-data/follow-ups");
  const count = Number(process.argv[3] ?? 19);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Turns must be a positive whole number, not ${process.argv[3]}.`);
  const backend = process.argv[4] ?? "generateContent";
  const sharedEmulatorUrl = process.argv[5];
  if (backend !== "generateContent" && backend !== "interactions") throw new Error(`The backend must be generateContent or interactions, not ${backend}.`);
  if (backend === "interactions" && !sharedEmulatorUrl) throw new Error("The Interactions backend needs the URL of the emulator the studio will use: its interactions live there.");
  const started = Date.now();
  const ownEmulator = sharedEmulatorUrl ? null : await startEmulator({ port: 0, latencyMs: 0, realisticPayload: true });
  const storage = openSqliteStorage({ dataDir });
  try {
    const gateway = createGeminiGateway({ apiKey: "bench-key", baseUrl: sharedEmulatorUrl ?? ownEmulator?.url, backend });
    const { storeOutcome, knownInlineImages } = createOutcomeStore(storage);

    // Two photos as a designer would attach them to the first prompt (after the tray's downscale).
    const photos = await Promise.all(
      ["a wooden chair by a window", "a linen texture, warm light"].map((prompt) =>
        renderImage({ modelId: "gemini-3.1-flash-image", mimeType: "image/jpeg", width: 1536, height: 1152, imageSize: "2K", aspectRatio: "4:3", prompt, turn: 1, references: [], realistic: true }),
      ),
    );
    const references: StoredReference[] = [];
    for (const [index, photo] of photos.entries()) {
      const stored = await storage.images.put(photo);
      references.push({ hash: stored.hash, mimeType: stored.mimeType, width: 1536, height: 1152, role: index === 0 ? "object" : "style" });
    }

    const { id: sessionId } = await storage.sessions.create({ ownerId: OWNER, title: `Follow-ups: ${count} turns` });
    const turnIds: string[] = [];
    const history: HistoryTurn[] = [];
    let parentId: string | null = null;
    for (let index = 0; index < count; index += 1) {
      const request = { prompt: `Turn ${index + 1}: make the light a little warmer, keep the composition, and add a small detail in the background`, references: index === 0 ? references : [], settings: SETTINGS };
      const turn = await storage.turns.create({ ownerId: OWNER, sessionId, parentId, request });
      await storage.turns.update(OWNER, turn.id, { status: "running" });
      const images: ReferenceImage[] =
        index === 0 ? photos.map((photo, at) => ({ mimeType: "image/jpeg", data: photo, ...(references[at]?.role ? { role: references[at].role } : {}) })) : [];
      const result = await gateway.generate({
        // generateContent: no history, see above. Interactions: the chain, so each answer has its id.
        history: backend === "interactions" ? [...history] : [],
        prompt: request.prompt,
        references: images,
        settings: request.settings,
      });
      if (!result.ok) throw new Error(`Seeding turn ${index + 1}: ${result.error.message} ${result.error.detail ?? ""}`);
      if (backend === "interactions" && !result.outcome.modelTurn.interactionId) throw new Error(`Seeding turn ${index + 1}: the answer has no interaction id.`);
      history.push({ prompt: request.prompt, references: images, modelTurn: result.outcome.modelTurn });
      const outcome = await storeOutcome(result.outcome, null);
      await storage.modelTurns.put(OWNER, turn.id, result.outcome.modelTurn, knownInlineImages(result.outcome));
      await storage.turns.update(OWNER, turn.id, { status: "succeeded", outcome, attempts: 1 });
      turnIds.push(turn.id);
      parentId = turn.id;
    }
    const seed: FollowUpSeed = { sessionId, turnIds, referenceBytes: photos.reduce((sum, photo) => sum + photo.length, 0), seconds: (Date.now() - started) / 1000 };
    process.stdout.write(`${JSON.stringify(seed)}\n`);
  } finally {
    await storage.close();
    await ownEmulator?.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
