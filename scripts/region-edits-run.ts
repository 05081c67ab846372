import sharp from "sharp";
import { startEmulator } from "@/emulator/server";
import { createGeminiGateway } from "@/lib/gemini/client";
import type { AspectRatio, GenerationOutcome, GenerationSettings } from "@/lib/gemini/types";
import { buildRegionInstruction, regionEditSettings, regionToPixels, type Region } from "@/lib/studio/region-edit";
import { measureFidelity } from "./region-fidelity";

/**
 * Runs K region edits the way the studio sends them (lib/gemini builds the request: the first
 * result replayed, the instruction from lib/studio/region-edit.ts, the mask under its label) against
 * the bundled emulator, and measures each: of the pixels outside the box as drawn, the share that
 * stayed within `tolerance` of the original, and how far the region the emulator reported lies from
 * the one drawn. The figure says what the studio and emulator keep, not what Gemini itself does.
 */

export interface RegionEditMeasurement {
  model: string;
  mimeType: string;
  aspectRatio: string;
  region: Region;
  /** Per tolerance (max channel difference, 0–255): outside pixels within it / outside pixels. */
  unchanged: Record<number, number>;
  /** Inside the box: pixels changed beyond the largest tolerance / inside pixels. */
  insideChanged: number;
  /** Largest gap, in percent of the image, between an edge of the reported region and the drawn one. */
  reportedOffByPercent: number;
}

const MODELS = ["gemini-3.1-flash-image", "gemini-2.5-flash-image", "gemini-3-pro-image"] as const;
const ASPECT_RATIOS: readonly AspectRatio[] = ["1:1", "16:9", "3:4", "4:3"];
const PROMPTS = ["A quiet harbour at dawn", "A red bicycle against a yellow wall", "A bowl of ramen, top view", "A lighthouse on a rocky coast"];
const INSTRUCTIONS = ["a red kite with a long tail", "a sleeping cat", "a bunch of tulips", "a neon sign that says OPEN"];

/** A small seeded generator, so every run measures the same boxes. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

async function drawMask(region: Region, size: { width: number; height: number }): Promise<Buffer> {
  const box = regionToPixels(region, size);
  const white = await sharp({ create: { width: box.width, height: box.height, channels: 3, background: "#ffffff" } }).png().toBuffer();
  return sharp({ create: { ...size, channels: 3, background: "#000000" } })
    .composite([{ input: white, left: box.left, top: box.top }])
    .png()
    .toBuffer();
}

function firstImage(outcome: GenerationOutcome) {
  const image = outcome.images[0];
  if (!image?.width || !image.height) throw new Error("the emulator answered without a readable image");
  return { ...image, width: image.width, height: image.height, bytes: Buffer.from(image.data) };
}

export async function runRegionEdits(options: { edits: number; tolerances: readonly number[]; seed?: number }): Promise<RegionEditMeasurement[]> {
  const emulator = await startEmulator({ port: 0 });
  const random = seeded(options.seed ?? 17);
  const gateway = createGeminiGateway({ apiKey: "measure-region-edits", baseUrl: emulator.url, retryPolicy: { maxAttempts: 1 } });
  const strictest = Math.max(...options.tolerances);
  const results: RegionEditMeasurement[] = [];
  try {
    for (let index = 0; index < options.edits; index += 1) {
      const model = MODELS[index % MODELS.length] ?? MODELS[0];
      const aspectRatio = ASPECT_RATIOS[Math.floor(index / MODELS.length) % ASPECT_RATIOS.length] ?? "1:1";
      const prompt = PROMPTS[index % PROMPTS.length] ?? "";
      const settings: GenerationSettings = { model, imageSize: "1K", aspectRatio, showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false };
      const first = await gateway.generate({ history: [], prompt, references: [], settings });
      if (!first.ok) throw new Error(`first image failed: ${first.error.message}`);
      const before = firstImage(first.outcome);

      const width = 5 + Math.round(random() * 55);
      const height = 5 + Math.round(random() * 55);
      const region: Region = { x: Math.round(random() * (100 - width)), y: Math.round(random() * (100 - height)), width, height };
      const mask = await drawMask(region, before);
      const edit = await gateway.generate({
        history: [{ prompt, references: [], modelTurn: first.outcome.modelTurn }],
        prompt: buildRegionInstruction({ region, instruction: INSTRUCTIONS[index % INSTRUCTIONS.length] ?? "" }, 1),
        references: [{ mimeType: "image/png", data: new Uint8Array(mask), role: "mask", width: before.width, height: before.height }],
        settings: regionEditSettings(settings),
      });
      if (!edit.ok) throw new Error(`region edit failed: ${edit.error.message}`);
      const after = firstImage(edit.outcome);

      // The box as the designer drew it, in pixels of the answer: what "the unmarked area" means.
      const drawn = regionToPixels(region, after);
      const unchanged: Record<number, number> = {};
      let insideChanged = 0;
      for (const tolerance of options.tolerances) {
        const fidelity = await measureFidelity(before.bytes, after.bytes, drawn, tolerance);
        unchanged[tolerance] = fidelity.outsideUnchanged / fidelity.outsidePixels;
        if (tolerance === strictest) insideChanged = fidelity.insideChanged / fidelity.insidePixels;
      }

      const log = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as Array<{ region?: { percent: Region } }>;
      const reported = log.at(-1)?.region?.percent;
      const reportedOffByPercent = reported
        ? Math.max(
            Math.abs(reported.x - region.x),
            Math.abs(reported.y - region.y),
            Math.abs(reported.x + reported.width - (region.x + region.width)),
            Math.abs(reported.y + reported.height - (region.y + region.height)),
          )
        : Number.POSITIVE_INFINITY;
      results.push({ model, mimeType: after.mimeType, aspectRatio, region, unchanged, insideChanged, reportedOffByPercent });
    }
  } finally {
    await emulator.close();
  }
  return results;
}

export interface RegionEditSummary {
  group: string;
  edits: number;
  /** Per tolerance: the mean share of outside pixels unchanged, and the worst edit's. */
  mean: Record<number, number>;
  worst: Record<number, number>;
  /** Edits whose outside pixels were all unchanged within the tolerance. */
  allUnchanged: Record<number, number>;
  worstReportedOffByPercent: number;
}

export function summarize(group: string, results: readonly RegionEditMeasurement[], tolerances: readonly number[]): RegionEditSummary {
  const summary: RegionEditSummary = { group, edits: results.length, mean: {}, worst: {}, allUnchanged: {}, worstReportedOffByPercent: 0 };
  for (const tolerance of tolerances) {
    const shares = results.map((result) => result.unchanged[tolerance] ?? 0);
    summary.mean[tolerance] = shares.reduce((sum, share) => sum + share, 0) / Math.max(1, shares.length);
    summary.worst[tolerance] = Math.min(...shares);
    summary.allUnchanged[tolerance] = shares.filter((share) => share === 1).length;
  }
  summary.worstReportedOffByPercent = Math.max(0, ...results.map((result) => result.reportedOffByPercent));
  return summary;
}
