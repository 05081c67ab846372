import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "./catalog";
import { buildInteractionBody, createInteractionTranslator, isLostInteraction, modelTurnToSteps, previousInteractionId, type InteractionEvent } from "./interactions";
import { planGeneration } from "./request";
import type { GenerationSettings, HistoryTurn } from "./types";

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: true,
  imageOnly: false,
};
const profile = MODEL_CATALOG.find((entry) => entry.id === "gemini-3.1-flash-image");
if (!profile) throw new Error("catalog lacks gemini-3.1-flash-image");

const answered = (interactionId?: string): HistoryTurn => ({
  prompt: "A red bicycle",
  references: [],
  modelTurn: {
    parts: [
      { text: "Planning", thought: true },
      { inlineData: { mimeType: "image/jpeg", data: "AAAA" }, thoughtSignature: "SIG-IMAGE" },
    ],
    ...(interactionId ? { interactionId } : {}),
  },
});

describe("buildInteractionBody", () => {
  it("sends only the new message when continuing, with the settings as the Interactions API names them", () => {
    const history = [answered("v1_a")];
    const plan = planGeneration({ history, prompt: "Make it blue", references: [{ mimeType: "image/png", data: new Uint8Array([1, 2, 3]) }], settings }, profile);
    const body = buildInteractionBody(plan, { continueFrom: previousInteractionId(history) });
    expect(body).toEqual({
      model: "gemini-3.1-flash-image",
      input: [
        { type: "text", text: "Make it blue" },
        { type: "image", mime_type: "image/png", data: "AQID" },
      ],
      previous_interaction_id: "v1_a",
      generation_config: { thinking_level: "high", thinking_summaries: "auto" },
      response_format: [{ type: "text" }, { type: "image", aspect_ratio: "16:9", image_size: "1K" }],
      tools: [{ type: "google_search", search_types: ["web_search", "image_search"] }],
      stream: true,
    });
  });

  it("sends the whole conversation as steps when there is no id to continue from", () => {
    const history = [answered()];
    expect(previousInteractionId(history)).toBeUndefined();
    const plan = planGeneration({ history, prompt: "Make it blue", references: [], settings: { ...settings, imageOnly: true, webSearch: false, imageSearch: false } }, profile);
    const body = buildInteractionBody(plan, { store: false });
    expect(body.input).toEqual([
      { type: "user_input", content: [{ type: "text", text: "A red bicycle" }] },
      { type: "thought", summary: [{ type: "text", text: "Planning" }] },
      { type: "thought", signature: "SIG-IMAGE" },
      { type: "model_output", content: [{ type: "image", mime_type: "image/jpeg", data: "AAAA" }] },
      { type: "user_input", content: [{ type: "text", text: "Make it blue" }] },
    ]);
    expect(body.response_format).toEqual({ type: "image", aspect_ratio: "16:9", image_size: "1K" });
    expect(body.store).toBe(false);
    expect(body.tools).toBeUndefined();
  });

  it("continues from the last answered turn, skipping one the model did not answer", () => {
    const unanswered: HistoryTurn = { prompt: "blocked", references: [], modelTurn: { parts: [], interactionId: "v1_blocked" } };
    expect(previousInteractionId([answered("v1_a"), unanswered])).toBe("v1_a");
  });
});

describe("modelTurnToSteps", () => {
  it("puts a thought part's signature on its thought step", () => {
    expect(modelTurnToSteps([{ text: "a", thought: true }, { text: "b", thought: true, thoughtSignature: "S" }, { text: "" }])).toEqual([
      { type: "thought", summary: [{ type: "text", text: "a" }, { type: "text", text: "b" }], signature: "S" },
      { type: "model_output", content: [{ type: "text", text: "" }] },
    ]);
  });
});

function run(events: InteractionEvent[]) {
  const translator = createInteractionTranslator();
  return { chunks: events.flatMap((event) => translator.push(event)), id: translator.interactionId };
}

describe("createInteractionTranslator", () => {
  it("turns steps into parts, each signature on the part it signs, and ends with STOP, usage and grounding", () => {
    const { chunks, id } = run([
      { event_type: "interaction.created", interaction: { id: "v1_x", model: "gemini-3.1-flash-image" } },
      { event_type: "step.start", index: 0, step: { type: "google_search_call", arguments: { queries: ["weather paris"] }, search_type: "web_search" } },
      { event_type: "step.start", index: 1, step: { type: "google_search_result", result: [{ search_suggestions: "<div>chips</div>" }] } },
      { event_type: "step.start", index: 2, step: { type: "thought" } },
      { event_type: "step.delta", index: 2, delta: { type: "thought_summary", content: { type: "text", text: "Planning" } } },
      { event_type: "step.delta", index: 2, delta: { type: "thought_signature", signature: "SIG-THOUGHT" } },
      { event_type: "step.stop", index: 2 },
      { event_type: "step.start", index: 3, step: { type: "thought" } },
      { event_type: "step.delta", index: 3, delta: { type: "thought_signature", signature: "SIG-TEXT" } },
      { event_type: "step.start", index: 4, step: { type: "model_output" } },
      { event_type: "step.delta", index: 4, delta: { type: "text", text: "Café — sunny" } },
      { event_type: "step.delta", index: 4, delta: { type: "text_annotation_delta", annotations: [{ type: "url_citation", url: "https://a.example", title: "a.example", start_index: 8, end_index: 15 }] } },
      { event_type: "step.stop", index: 4 },
      {
        event_type: "interaction.completed",
        interaction: { id: "v1_x", usage: { total_input_tokens: 10, total_output_tokens: 1130, total_thought_tokens: 5, total_tokens: 1145, output_tokens_by_modality: [{ modality: "image", tokens: 1120 }] } },
      },
    ]);
    expect(id).toBe("v1_x");
    const parts = chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []);
    expect(parts).toEqual([
      { text: "Planning", thought: true, thoughtSignature: "SIG-THOUGHT" },
      { text: "Café — sunny", thoughtSignature: "SIG-TEXT" },
    ]);
    const final = chunks.at(-1);
    expect(final?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(final?.responseId).toBe("v1_x");
    expect(final?.usageMetadata).toEqual({ promptTokenCount: 10, candidatesTokenCount: 1130, thoughtsTokenCount: 5, totalTokenCount: 1145, candidatesTokensDetails: [{ modality: "IMAGE", tokenCount: 1120 }] });
    expect(final?.candidates?.[0]?.groundingMetadata).toEqual({
      webSearchQueries: ["weather paris"],
      searchEntryPoint: { renderedContent: "<div>chips</div>" },
      groundingChunks: [{ web: { uri: "https://a.example", title: "a.example" } }],
      // Byte offsets: "Café — " is 10 bytes, so 8..15 is "— sun" read as UTF-8.
      groundingSupports: [{ segment: { startIndex: 8, endIndex: 15, text: Buffer.from("Café — sunny").subarray(8, 15).toString("utf8") }, groundingChunkIndices: [0] }],
    });
  });

  it("maps a step error to the finish reason Google gave, and a blocked prompt to blockReason", () => {
    const safety = run([
      { event_type: "step.start", index: 0, step: { type: "model_output", error: { code: 400, message: "Blocked [policy](https://x)", details: [{ reason: "IMAGE_SAFETY" }] } } },
      { event_type: "interaction.completed", interaction: { id: "v1_s" } },
    ]).chunks.at(-1);
    expect(safety?.candidates?.[0]).toMatchObject({ finishReason: "IMAGE_SAFETY", finishMessage: "Blocked [policy](https://x)" });

    const blocked = run([
      { event_type: "step.start", index: 0, step: { type: "model_output", error: { details: [{ reason: "OTHER", metadata: { blockReason: "PROHIBITED_CONTENT" } }] } } },
      { event_type: "interaction.completed", interaction: { id: "v1_b" } },
    ]).chunks.at(-1);
    expect(blocked?.promptFeedback).toEqual({ blockReason: "PROHIBITED_CONTENT" });
    expect(blocked?.candidates?.[0]?.finishReason).toBeUndefined();
  });

  it("turns an error event into the folder's stream error, with an HTTP code", () => {
    const { chunks } = run([{ event_type: "error", error: { code: "UNAVAILABLE", message: "The model is overloaded." } }]);
    expect(chunks).toEqual([{ error: { code: 503, status: "UNAVAILABLE", message: "The model is overloaded." } }]);
  });
});

describe("isLostInteraction", () => {
  it("is a 404, or a 400 about the previous interaction; nothing else", () => {
    expect(isLostInteraction(404, '{"error":{"status":"NOT_FOUND"}}')).toBe(true);
    expect(isLostInteraction(400, '{"error":{"message":"previous_interaction_id v1_a has expired"}}')).toBe(true);
    expect(isLostInteraction(400, '{"error":{"message":"Image size 3K is not supported"}}')).toBe(false);
    expect(isLostInteraction(429, "")).toBe(false);
    expect(isLostInteraction(500, undefined)).toBe(false);
  });
});
