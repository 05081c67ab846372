import type { GeminiGateway, GenerateResult } from "@/lib/gemini/client";
import type { GenerationRequest, GenerationSettings, Usage } from "@/lib/gemini/types";
import { fakePng } from "@/lib/storage/contract";

// What the budget and turn-set tests share: the settings they start turns with, and a gateway that
// answers every request with one image billed at a fixed usage, recording the requests it saw.

export const BILLED_SETTINGS: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  showThoughts: false,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};

/** 1120 image tokens at $60/M: $0.0672 billed per turn. The 1K estimate is $0.067. */
export const BILLED_USAGE: Usage = { promptTokens: 0, outputTokens: 1120, imageTokens: 1120, thoughtsTokens: 0, totalTokens: 1120 };

export function billingGateway(usage: Usage = BILLED_USAGE): { gateway: GeminiGateway; requests: GenerationRequest[] } {
  const requests: GenerationRequest[] = [];
  const gateway: GeminiGateway = {
    async listModels() {
      throw new Error("not used");
    },
    async generate(request): Promise<GenerateResult> {
      requests.push(request);
      const image = fakePng();
      return {
        ok: true,
        outcome: {
          images: [{ mimeType: "image/png", data: image, width: 1024, height: 1024, requested: null, sizeMismatch: false }],
          thoughts: [],
          text: "",
          grounding: null,
          usage,
          finishReason: "STOP",
          blockReason: null,
          modelVersion: null,
          responseId: null,
          modelTurn: { parts: [{ inlineData: { mimeType: "image/png", data: image.toString("base64") }, thoughtSignature: "c2ln" }] },
          warnings: [],
        },
      };
    },
  };
  return { gateway, requests };
}
