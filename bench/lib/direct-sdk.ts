import { createHash } from "node:crypto";
import { GoogleGenAI, ThinkingLevel, type Content, type GenerateContentConfig } from "@google/genai";
import type { GenerationSettings } from "../../lib/gemini/types";

/**
 * The baseline: the same request the studio's gateway makes (lib/gemini/request.ts buildConfig
 * for a prompt without references, history or search), made straight with the SDK. The bench
 * checks in the emulator's log that both bodies are identical, so the two paths ask for exactly
 * the same work. This is the one place outside lib/gemini that imports the SDK, on purpose.
 */
export function createDirectClient(baseUrl: string) {
  const ai = new GoogleGenAI({ apiKey: "bench-key", httpOptions: { baseUrl } });

  function config(settings: GenerationSettings): GenerateContentConfig {
    const result: GenerateContentConfig = {
      responseModalities: settings.imageOnly ? ["IMAGE"] : ["TEXT", "IMAGE"],
      imageConfig: { aspectRatio: settings.aspectRatio === "match-input" ? undefined : settings.aspectRatio, imageSize: settings.imageSize },
    };
    const level = settings.thinkingLevel === "high" ? ThinkingLevel.HIGH : settings.thinkingLevel === "minimal" ? ThinkingLevel.MINIMAL : undefined;
    if (level || settings.showThoughts) {
      result.thinkingConfig = { ...(level ? { thinkingLevel: level } : {}), ...(settings.showThoughts ? { includeThoughts: true } : {}) };
    }
    return result;
  }

  return {
    /** Streams the whole answer; resolves with the number of chunks and of image bytes (base64). */
    async generate(prompt: string, settings: GenerationSettings): Promise<{ chunks: number; imageBase64Chars: number; finishReason: string | null }> {
      const stream = await ai.models.generateContentStream({
        model: settings.model,
        contents: [{ role: "user", parts: [{ text: prompt }] }],
        config: config(settings),
      });
      let chunks = 0;
      let imageBase64Chars = 0;
      let finishReason: string | null = null;
      for await (const chunk of stream) {
        chunks += 1;
        const candidate = chunk.candidates?.[0];
        for (const part of candidate?.content?.parts ?? []) if (!part.thought) imageBase64Chars += part.inlineData?.data?.length ?? 0;
        finishReason = candidate?.finishReason ?? finishReason;
      }
      return { chunks, imageBase64Chars, finishReason };
    },
  };
}

export type DirectClient = ReturnType<typeof createDirectClient>;

/**
 * For attribution (bench/lib/history-build-costs.ts): the SDK alone turning a prepared call
 * (lib/gemini/request.ts planGeneration) into its request body, and fetch's UTF-8 encoding of that
 * string, which is what a request cost before the gateway kept its big strings out of the SDK
 * (lib/gemini/request-stash.ts). The stub fetch answers 400 at once; nothing is sent.
 */
export async function timeSdkBodyEncoding(call: { model: string; contents: Content[]; config: GenerateContentConfig }): Promise<{ ms: number; bytes: number; sha256: string }> {
  let encodedAt = 0;
  let bytes = 0;
  let sha256 = "";
  const ai = new GoogleGenAI({
    apiKey: "bench-key",
    httpOptions: {
      baseUrl: "http://127.0.0.1:9",
      fetch: async (_input, init) => {
        const body = typeof init?.body === "string" ? Buffer.from(init.body, "utf8") : Buffer.alloc(0);
        encodedAt = performance.now();
        bytes = body.length;
        sha256 = createHash("sha256").update(body).digest("hex");
        return new Response(JSON.stringify({ error: { code: 400, message: "bench: not sent", status: "INVALID_ARGUMENT" } }), {
          status: 400,
          headers: { "content-type": "application/json" },
        });
      },
    },
  });
  const start = performance.now();
  await ai.models.generateContentStream(call).catch(() => undefined);
  return { ms: encodedAt - start, bytes, sha256 };
}
