import sharp from "sharp";
import { beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "@/emulator/server";
import type { GenerationSettings } from "@/lib/gemini/types";
import type { SqliteStorage } from "@/lib/storage/sqlite/sqlite-storage";
import { JOBS_OWNER, withEmulatorJobs } from "@/test/support/emulator-jobs";
import type { StoredReference, Turn } from "@/lib/storage/types";
import type { JobEvent } from "@/lib/studio/job-events";

// The job path with STUDIO_GEMINI_FILES=1: SQLite storage, the real gateway and SDK, and the
// emulator with real-sized payloads and signatures enforced. A reference goes up once; the
// follow-ups name it by URI and get the answer they would get with it inline (the emulator reads
// the file's bytes: the answer keeps the reference's 16:9 shape); a file Google no longer has is
// uploaded again within the same turn, which still succeeds.

const OWNER = JOBS_OWNER;
const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "match-input",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

let emulator: RunningEmulator;
let storage: SqliteStorage;
const harness = withEmulatorJobs({ tmpPrefix: "nb-jobs-files-", gateway: (make) => {
    const gateway = make({ files: true });
    return () => gateway;
  } });
beforeEach(() => {
  ({ emulator, storage } = harness());
});

function run(parentId: string | null, prompt: string, sessionId: string, references: StoredReference[] = []): Promise<{ turn: Turn; events: JobEvent[] }> {
  return harness().run({ parentId, prompt, sessionId, settings, references });
}

interface LoggedRequest {
  path: string;
  status: number | null;
  files?: Array<{ name: string; sizeBytes: number }>;
  body: { contents?: Array<{ role?: string; parts?: Array<{ fileData?: { fileUri: string }; inlineData?: unknown }> }> } | null;
}

/** [kind, status, the files a generate request named] for each request since the last call. */
async function takeRequests(): Promise<Array<[string, number | null, string[]]>> {
  const all = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as LoggedRequest[];
  await fetch(`${emulator.url}/_emulator/requests`, { method: "DELETE" });
  return all
    .filter((entry) => !entry.path.includes("upload_id="))
    .map((entry) => [entry.path.startsWith("/upload/") ? "upload" : "generate", entry.status, (entry.files ?? []).map((file) => file.name)]);
}

describe("jobs with STUDIO_GEMINI_FILES=1", () => {
  it("uploads a reference once, names it by URI in the follow-ups, and re-uploads it when Google lost it", async () => {
    const session = await storage.sessions.create({ ownerId: OWNER, title: "Dish" });
    // Noise, so the JPEG is a few hundred KB like a photo (well above what stays inline).
    const noise = Buffer.alloc(640 * 360 * 3);
    for (let index = 0; index < noise.length; index += 1) noise[index] = (index * 2654435761) >>> 24;
    const photo = await sharp(noise, { raw: { width: 640, height: 360, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    const stored = await storage.images.put(new Uint8Array(photo));
    const reference: StoredReference = { hash: stored.hash, mimeType: "image/jpeg", width: 640, height: 360, role: "object" };

    const first = await run(null, "A nano banana dish, plated like the photo", session.id, [reference]);
    expect(first.turn).toMatchObject({ status: "succeeded", error: null });
    const firstRequests = await takeRequests();
    expect(firstRequests.map(([kind, status]) => [kind, status])).toEqual([
      ["upload", 200],
      ["generate", 200],
    ]);
    const fileName = firstRequests[1]?.[2][0];
    expect(fileName).toMatch(/^files\//);

    const second = await run(first.turn.id, "Make the plate gold", session.id);
    expect(second.turn).toMatchObject({ status: "succeeded", error: null });
    const image = second.turn.outcome?.images[0];
    // "Match input": the model kept the reference's 16:9, read from the uploaded file's bytes.
    expect((image?.width ?? 0) / (image?.height ?? 1)).toBeCloseTo(16 / 9, 1);
    expect(await takeRequests()).toEqual([["generate", 200, [fileName]]]);

    // Google forgot the file: the same turn uploads it again and resends once, and succeeds.
    await fetch(`${emulator.url}/_emulator/files/expire`, { method: "POST", body: "{}" });
    const third = await run(second.turn.id, "Add a Gemini logo on the wall", session.id);
    expect(third.turn).toMatchObject({ status: "succeeded", error: null });
    expect(third.events.some((event) => event.type === "retry")).toBe(false);
    const thirdRequests = await takeRequests();
    expect(thirdRequests.map(([kind, status]) => [kind, status])).toEqual([
      ["generate", 403],
      ["upload", 200],
      ["generate", 200],
    ]);
    expect(thirdRequests[2]?.[2]).toHaveLength(1);
    expect(thirdRequests[2]?.[2][0]).not.toBe(fileName);
  });
});
