import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { createGeminiGateway, type GeminiGatewayOptions } from "./client";
import { RENEW_WITHIN_MS } from "./files";
import type { GenerationRequest, GenerationSettings, HistoryTurn, ReferenceImage } from "./types";

// STUDIO_GEMINI_FILES=1 end to end: the gateway, the real SDK's Files API calls and the emulator's
// Files API, with signatures enforced. Images on the user's side go by URI once uploaded; the
// model's turns go back as stored; a file Google no longer has is uploaded again and the request
// resent once, without the caller seeing it; an upload that fails sends the image inline.

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, enforceSignatures: true });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await control("POST", "/_emulator/reset");
});

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${await response.text()}`);
  return response.json();
}

type LoggedPart = { text?: string; inlineData?: { data: string }; fileData?: { fileUri: string; mimeType: string }; thoughtSignature?: string };
interface LoggedRequest {
  path: string;
  status: number | null;
  body: { contents?: Array<{ role?: string; parts?: LoggedPart[] }> } | null;
  files?: Array<{ name: string }>;
}

async function takeRequests(): Promise<LoggedRequest[]> {
  const all = (await control("GET", "/_emulator/requests")) as LoggedRequest[];
  await control("DELETE", "/_emulator/requests");
  return all;
}

/** Each request as [kind, status], uploads (start + bytes) as one "upload". */
function summary(requests: LoggedRequest[]): Array<[string, number | null]> {
  return requests
    .filter((entry) => !entry.path.includes("upload_id="))
    .map((entry) => [entry.path.startsWith("/upload/") ? "upload" : entry.path.includes(":streamGenerateContent") ? "generate" : entry.path, entry.status]);
}

/** What each content of a generate request carried: "text", "inline", "file:<name>" per part. */
function shape(entry: LoggedRequest | undefined): string[][] {
  return (entry?.body?.contents ?? []).map((content) =>
    (content.parts ?? []).map((part) => (part.fileData ? `file:${part.fileData.fileUri.replace(/^.*\/files\//, "")}` : part.inlineData ? "inline" : "text")),
  );
}

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "match-input",
  thinkingLevel: "high",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

async function photo(colour: string, width = 640, height = 360): Promise<ReferenceImage> {
  // Noise, so the JPEG is well above the size kept inline.
  const noise = Buffer.alloc(width * height * 3);
  for (let index = 0; index < noise.length; index += 1) noise[index] = (index * 2654435761) >>> 24;
  const data = await sharp(noise, { raw: { width, height, channels: 3 } }).tint(colour).jpeg({ quality: 80 }).toBuffer();
  return { mimeType: "image/jpeg", data: new Uint8Array(data), width, height };
}

function gateway(options: Partial<GeminiGatewayOptions> = {}) {
  return createGeminiGateway({
    apiKey: "studio-test-key",
    baseUrl: emulator.url,
    files: true,
    retryPolicy: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, totalBudgetMs: 5_000 },
    ...options,
  });
}

async function generate(studio: ReturnType<typeof gateway>, request: GenerationRequest) {
  const result = await studio.generate(request);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail ?? result.error.message}`);
  return result.outcome;
}

describe("the gateway with STUDIO_GEMINI_FILES=1", () => {
  it("uploads a reference once and names it by URI in the follow-ups; the model's turns go back as stored", async () => {
    const studio = gateway();
    const reference = await photo("#cc8844");
    const first = await generate(studio, { history: [], prompt: "A nano banana dish, plated like the photo", references: [reference], settings });
    const firstRequests = await takeRequests();
    expect(summary(firstRequests)).toEqual([
      ["upload", 200],
      ["generate", 200],
    ]);
    const fileName = (firstRequests.find((entry) => entry.path.includes(":stream"))?.files ?? [])[0]?.name.replace(/^files\//, "");
    expect(shape(firstRequests.at(-1))).toEqual([["text", `file:${fileName}`]]);
    // Matched the 16:9 reference: the emulator read the uploaded bytes.
    expect((first.images[0]?.width ?? 0) / (first.images[0]?.height ?? 1)).toBeCloseTo(16 / 9, 1);

    const history: HistoryTurn[] = [{ prompt: "A nano banana dish, plated like the photo", references: [reference], modelTurn: first.modelTurn }];
    const second = await generate(studio, { history, prompt: "Make the plate gold", references: [], settings });
    const secondRequests = await takeRequests();
    expect(summary(secondRequests)).toEqual([["generate", 200]]);
    const sent = secondRequests[0];
    expect(shape(sent)).toHaveLength(3);
    expect(shape(sent)[0]).toEqual(["text", `file:${fileName}`]);
    expect(shape(sent)[2]).toEqual(["text"]);
    // The model turn went back whole: its final image inline, with its signature on the same part.
    const modelParts = sent?.body?.contents?.[1]?.parts ?? [];
    expect(modelParts.filter((part) => part.inlineData && part.thoughtSignature)).toHaveLength(1);
    expect(modelParts.some((part) => part.fileData)).toBe(false);
    expect(second.images).toHaveLength(1);
  });

  it("uploads a file again when Google says it is gone, and resends once without the caller seeing it", async () => {
    const studio = gateway();
    const reference = await photo("#4488cc");
    const first = await generate(studio, { history: [], prompt: "A lamp like this one", references: [reference], settings });
    await takeRequests();
    expect(await control("POST", "/_emulator/files/expire", {})).toEqual({ expired: 1 });

    const events: string[] = [];
    const result = await studio.generate(
      { history: [{ prompt: "A lamp like this one", references: [reference], modelTurn: first.modelTurn }], prompt: "Now in red", references: [], settings },
      { onEvent: (event) => events.push(event.type) },
    );
    expect(result.ok).toBe(true);
    expect(events).not.toContain("retry");
    const requests = await takeRequests();
    expect(summary(requests)).toEqual([
      ["generate", 403],
      ["upload", 200],
      ["generate", 200],
    ]);
    const [gone, , resent] = requests.filter((entry) => !entry.path.includes("upload_id="));
    expect(shape(gone)[0]?.[1]).not.toEqual(shape(resent)[0]?.[1]);
    expect(shape(resent)[0]?.[1]).toMatch(/^file:/);
  });

  it("resends only once: when the new file is gone too, the turn fails with Google's answer", async () => {
    // Every file is expired just before each generate request reaches the emulator.
    const studio = gateway({
      retryPolicy: { maxAttempts: 1 },
      fetch: async (input, init) => {
        if (String(input instanceof Request ? input.url : input).includes(":streamGenerateContent")) await control("POST", "/_emulator/files/expire", {});
        return globalThis.fetch(input, init);
      },
    });
    const result = await studio.generate({ history: [], prompt: "A vase", references: [await photo("#44cc88")], settings });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "internal", httpStatus: 403, message: expect.stringMatching(/no longer has an image the studio uploaded/) });
    expect(summary(await takeRequests())).toEqual([
      ["upload", 200],
      ["generate", 403],
      ["upload", 200],
      ["generate", 403],
    ]);
  });

  it("uploads again, before sending, a file with less than an hour left", async () => {
    let clock = Date.now();
    const studio = gateway({ now: () => clock });
    const reference = await photo("#888888");
    await generate(studio, { history: [], prompt: "A chair", references: [reference], settings });
    await takeRequests();
    clock += 48 * 60 * 60 * 1000 - RENEW_WITHIN_MS / 2;
    await generate(studio, { history: [], prompt: "A chair, again", references: [reference], settings });
    expect(summary(await takeRequests())).toEqual([
      ["upload", 200],
      ["generate", 200],
    ]);
    clock += 60_000;
    await generate(studio, { history: [], prompt: "A chair, once more", references: [reference], settings });
    expect(summary(await takeRequests())).toEqual([["generate", 200]]);
  });

  it("sends an image inline when its upload fails, and warns", async () => {
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const studio = gateway({
      warn: (event, fields) => warnings.push([event, fields]),
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.includes("/upload/")) return Promise.resolve(new Response(JSON.stringify({ error: { code: 500, message: "upload broke", status: "INTERNAL" } }), { status: 500, headers: { "content-type": "application/json" } }));
        return globalThis.fetch(input, init);
      },
    });
    const outcome = await generate(studio, { history: [], prompt: "A cup", references: [await photo("#aa2222")], settings });
    expect(outcome.images).toHaveLength(1);
    const requests = await takeRequests();
    expect(summary(requests)).toEqual([["generate", 200]]);
    expect(shape(requests[0])).toEqual([["text", "inline"]]);
    expect(warnings).toEqual([["gemini_file_upload_failed", expect.objectContaining({ mimeType: "image/jpeg", fallback: "inline" })]]);
  });

  it("uploads the same image once when two turns want it at the same time, and leaves small images inline", async () => {
    const studio = gateway();
    const reference = await photo("#2288aa");
    const tiny = await photo("#000000", 16, 16);
    await Promise.all([
      generate(studio, { history: [], prompt: "A boat", references: [reference, tiny], settings }),
      generate(studio, { history: [], prompt: "A ship", references: [reference], settings }),
    ]);
    const requests = await takeRequests();
    expect(summary(requests).filter(([kind]) => kind === "upload")).toHaveLength(1);
    const withTiny = requests.find((entry) => JSON.stringify(entry.body).includes("A boat"));
    expect(shape(withTiny)[0]?.filter((part) => part === "inline")).toHaveLength(1);
  });
});
