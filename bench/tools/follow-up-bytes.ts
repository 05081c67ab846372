/**
 * Upstream bytes per follow-up, generateContent against the Interactions backend (issue 18's
 * budget: a follow-up on the Interactions backend sends at most 1.1x the new message's own bytes,
 * plus references not uploaded before), and generateContent with STUDIO_GEMINI_FILES=1 (user-side
 * images by Files API URI; a turn that uploads counts its upload's bytes, start request included).
 * One conversation of 20 turns per variant through the gateway, as the job runner calls it (the
 * history each turn is the earlier turns' stored answers), against the emulator in this process with real-sized payloads (~600 KB signatures, JPEG answers)
 * and signatures enforced. Every request body the gateway's HTTP client sends is counted, so a
 * fallback (404, then the whole conversation) would count twice. Diagnostics, not a scenario.
 *
 *   node --conditions=react-server --import tsx bench/tools/follow-up-bytes.ts [turns=20] [port=9090]
 *
 * Turn 1 carries a reference photo (a ~0.35 MB JPEG, 0.47 MB as base64); turns 2..N are text follow-ups, except that
 * turn 5 and turn N also come in a second form with a new reference photo (measured on a branch
 * from the same parent, so the conversation is the same).
 */
import sharp from "sharp";
import { startEmulator } from "../../emulator/server";
import { createGeminiGateway, type GeminiBackend } from "../../lib/gemini/client";
import { buildUserParts } from "../../lib/gemini/request";
import type { GenerationRequest, HistoryTurn, ReferenceImage } from "../../lib/gemini/types";
import { flashSettings } from "../lib/settings";

const turns = Number(process.argv[2] ?? 20);
const port = Number(process.argv[3] ?? process.env.BENCH_EMULATOR_PORT ?? 9090);
const MEASURED = [5, turns];

async function photo(seed: number): Promise<ReferenceImage> {
  // Noise does not compress away: a stand-in for a real reference photo of a few hundred KB.
  const width = 1024;
  const height = 768;
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let index = 0; index < pixels.length; index += 1) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    pixels[index] = (state >> 16) & 0xff;
  }
  const data = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 60 }).toBuffer();
  return { mimeType: "image/jpeg", data: new Uint8Array(data), width, height };
}

/** The new message's own bytes: its parts as JSON, the way either API carries them. */
function messageBytes(prompt: string, references: ReferenceImage[]): number {
  return Buffer.byteLength(JSON.stringify(buildUserParts(prompt, references)));
}

async function bodyBytes(input: RequestInfo | URL, init?: RequestInit): Promise<number> {
  if (typeof init?.body === "string") return Buffer.byteLength(init.body);
  if (init?.body instanceof Uint8Array) return init.body.byteLength;
  // The SDK sends a Files API upload's bytes as a Blob (one per 8 MB chunk).
  if (init?.body instanceof Blob) return init.body.size;
  // A long generateContent body is streamed with its length declared (request-stash.ts).
  if (init?.body instanceof ReadableStream) return Number(new Headers(init.headers).get("content-length"));
  if (input instanceof Request && input.body) return (await input.clone().arrayBuffer()).byteLength;
  return 0;
}

async function main() {
  const emulator = await startEmulator({ port, realisticPayload: true, enforceSignatures: true, latencyMs: 0 });
  const settings = flashSettings("1K");
  const firstPhoto = await photo(1);
  const results: Record<string, unknown> = {};
  try {
    const variants: Array<{ label: string; backend: GeminiBackend; files: boolean }> = [
      { label: "generateContent", backend: "generateContent", files: false },
      { label: "interactions", backend: "interactions", files: false },
      { label: "generateContent+files", backend: "generateContent", files: true },
    ];
    for (const { label, backend, files } of variants) {
      let sent: number[] = [];
      const gateway = createGeminiGateway({
        apiKey: "bench",
        baseUrl: emulator.url,
        backend,
        files,
        warn: (event, fields) => {
          throw new Error(`${label}: ${event} ${JSON.stringify(fields)}`);
        },
        retryPolicy: { maxAttempts: 1 },
        fetch: async (input, init) => {
          if (!String(input instanceof Request ? input.url : input).includes("/_emulator")) sent.push(await bodyBytes(input, init));
          return globalThis.fetch(input, init);
        },
      });
      const generate = async (request: GenerationRequest) => {
        sent = [];
        const result = await gateway.generate(request);
        if (!result.ok) throw new Error(`${label}: ${result.error.code} ${result.error.detail ?? result.error.message}`);
        return { outcome: result.outcome, bytes: sent.reduce((sum, value) => sum + value, 0), requests: sent.length };
      };

      const history: HistoryTurn[] = [];
      const rows: Record<number, Record<string, number>> = {};
      for (let turn = 1; turn <= turns; turn += 1) {
        const prompt = turn === 1 ? "A nano banana dish in a fancy restaurant, plated like the photo" : `Follow-up ${turn}: change the lighting a little`;
        const references = turn === 1 ? [firstPhoto] : [];
        if (MEASURED.includes(turn)) {
          // The same follow-up with a new reference photo, on a branch from the same parent.
          const fresh = await photo(turn);
          const withPhoto = await generate({ history: [...history], prompt, references: [fresh], settings });
          const own = messageBytes(prompt, [fresh]);
          rows[turn] = { ...rows[turn], withNewPhotoBytes: withPhoto.bytes, withNewPhotoOwnBytes: own, withNewPhotoRatio: Number((withPhoto.bytes / own).toFixed(3)) };
        }
        const { outcome, bytes, requests } = await generate({ history: [...history], prompt, references, settings });
        if (MEASURED.includes(turn)) rows[turn] = { ...rows[turn], textBytes: bytes, textOwnBytes: messageBytes(prompt, references), requests };
        history.push({ prompt, references, modelTurn: outcome.modelTurn });
        process.stderr.write(`${label} turn ${turn}: ${(bytes / 1_000_000).toFixed(2)} MB in ${requests} request(s)\n`);
      }
      results[label] = rows;
    }
  } finally {
    await emulator.close();
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
