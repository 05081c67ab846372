import { GoogleGenAI } from "@google/genai";
import type { GenerationSettings } from "../../lib/gemini/types";
import { round, summarize } from "./stats";

const PIECE_BYTES = 64 * 1024;

/**
 * Attribution for scenario 1: what @google/genai's own SSE parsing costs for one big answer, on
 * both paths alike. One real answer is captured from the emulator, then replayed to the SDK from
 * memory in 64 KB reads (as a socket delivers it) through its `httpOptions.fetch`, and timed:
 *   plain      as the SDK gets it today;
 *   coalesced  the same bytes handed over as whole SSE events.
 * The SDK appends every read to one string and searches it from the start for an event boundary,
 * so a multi-megabyte image event costs time quadratic in its size; coalescing is a possible fix
 * for lib/gemini/client.ts (it already passes a fetch to the SDK in tests).
 */
export async function measureSdkStreamParsing(baseUrl: string, settings: GenerationSettings, prompt: string, reps = 4) {
  let captured = new Uint8Array(0);
  let headers = new Headers();
  const capture: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    captured = new Uint8Array(await response.arrayBuffer());
    headers = response.headers;
    return new Response(captured, { status: response.status, headers: response.headers });
  };
  const config = {
    responseModalities: ["TEXT", "IMAGE"],
    imageConfig: { aspectRatio: settings.aspectRatio === "match-input" ? undefined : settings.aspectRatio, imageSize: settings.imageSize },
  };
  const call = { model: settings.model, contents: [{ role: "user", parts: [{ text: prompt }] }], config };
  const consume = async (ai: GoogleGenAI) => {
    let chunks = 0;
    for await (const chunk of await ai.models.generateContentStream(call)) chunks += chunk.candidates ? 1 : 0;
    return chunks;
  };
  await consume(new GoogleGenAI({ apiKey: "bench-key", httpOptions: { baseUrl, fetch: capture } }));

  const pieces = (coalesce: boolean): Uint8Array[] => {
    if (!coalesce) {
      const out: Uint8Array[] = [];
      for (let at = 0; at < captured.length; at += PIECE_BYTES) out.push(captured.subarray(at, at + PIECE_BYTES));
      return out;
    }
    const text = Buffer.from(captured).toString("latin1");
    return text.split(/(?<=\r?\n\r?\n)/).map((event) => Buffer.from(event, "latin1"));
  };
  const replay =
    (coalesce: boolean): typeof fetch =>
    async () => {
      const queue = pieces(coalesce);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = queue.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      return new Response(body, { status: 200, headers });
    };
  const plain = new GoogleGenAI({ apiKey: "bench-key", httpOptions: { baseUrl, fetch: replay(false) } });
  const coalesced = new GoogleGenAI({ apiKey: "bench-key", httpOptions: { baseUrl, fetch: replay(true) } });
  const times = { plain: [] as number[], coalesced: [] as number[] };
  for (let rep = 0; rep < reps; rep += 1) {
    for (const [name, ai] of [["plain", plain], ["coalesced", coalesced]] as const) {
      const start = performance.now();
      await consume(ai);
      times[name].push(performance.now() - start);
    }
  }
  return { answerBytes: captured.length, readBytes: PIECE_BYTES, plainMs: summarize(times.plain), coalescedMs: summarize(times.coalesced), savedMsP50: round(summarize(times.plain).p50 - summarize(times.coalesced).p50) };
}
