import { GoogleGenAI } from "@google/genai";
import type { GenerationSettings } from "../../lib/gemini/types";
import { READ_BYTES, capturingFetch, inReads, replayingFetch } from "./captured-answer";
import { round, summarize } from "./stats";

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
  const capture = capturingFetch();
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
  await consume(new GoogleGenAI({ apiKey: "bench-key", httpOptions: { baseUrl, fetch: capture.fetch } }));
  const answer = capture.answer();
  const captured = answer.bytes;

  const pieces = (coalesce: boolean): Uint8Array[] => {
    if (!coalesce) return inReads(captured);
    const text = Buffer.from(captured).toString("latin1");
    return text.split(/(?<=\r?\n\r?\n)/).map((event) => Buffer.from(event, "latin1"));
  };
  const replay = (coalesce: boolean): typeof fetch => replayingFetch(answer, () => pieces(coalesce));
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
  return { answerBytes: captured.length, readBytes: READ_BYTES, plainMs: summarize(times.plain), coalescedMs: summarize(times.coalesced), savedMsP50: round(summarize(times.plain).p50 - summarize(times.coalesced).p50) };
}
