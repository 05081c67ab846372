import "server-only";
import type { GenerateContentConfig, Part, Tool } from "@google/genai";
import type { GenerationPlan } from "./request";
import type { WireChunk, WireGroundingMetadata, WirePart, WireUsage } from "./response";
import type { HistoryTurn, StoredPart } from "./types";

/**
 * The Interactions API backend's wire mapping (STUDIO_GEMINI_BACKEND=interactions). The studio
 * keeps one model of a turn, generateContent's: requests are planned by request.ts and answers are
 * folded by response.ts. This file turns a plan into an `interactions.create` body and the
 * interaction's SSE events back into generateContent-shaped chunks, so the folder, the events the
 * UI sees and the stored model turn are the same whichever backend answered.
 *
 * A follow-up from a turn that has an interaction id sends only its own message with
 * `previous_interaction_id` (Google keeps the history); without one (a turn made by
 * generateContent, a branch from such a turn, or an id Google no longer knows) the whole
 * conversation goes as steps, and the new interaction's id lets the next follow-up be small again.
 *
 * Signatures: a signature on an answer part travels as a summary-less `thought` step right before
 * the `model_output` holding that part, one on a thought part as its `thought` step's signature
 * (the emulator's reading, emulator/interactions.ts; no real recording exists yet).
 */

type InteractionContent = { type: "text"; text: string } | { type: "image"; mime_type: string; data: string };

type InteractionStep =
  | { type: "user_input"; content: InteractionContent[] }
  | { type: "thought"; summary?: InteractionContent[]; signature?: string }
  | { type: "model_output"; content: InteractionContent[] };

export interface InteractionBody {
  model: string;
  input: InteractionContent[] | InteractionStep[];
  previous_interaction_id?: string;
  generation_config?: { thinking_level?: string; thinking_summaries?: "auto" };
  response_format: ImageFormat | Array<{ type: "text" } | ImageFormat>;
  tools?: Array<{ type: "google_search"; search_types?: string[] }>;
  store?: boolean;
  stream: true;
}

interface ImageFormat {
  type: "image";
  aspect_ratio?: string;
  image_size?: string;
}

function toContent(part: Part | StoredPart): InteractionContent | null {
  if (part.inlineData?.data !== undefined) return { type: "image", mime_type: part.inlineData.mimeType ?? "image/png", data: part.inlineData.data };
  if (part.text !== undefined) return { type: "text", text: part.text };
  return null;
}

/** A stored model turn as steps, signatures placed as described above. */
export function modelTurnToSteps(parts: readonly StoredPart[]): InteractionStep[] {
  const steps: InteractionStep[] = [];
  let thought: Extract<InteractionStep, { type: "thought" }> | null = null;
  let output: Extract<InteractionStep, { type: "model_output" }> | null = null;
  for (const part of parts) {
    const content = toContent(part);
    if (!content) continue;
    if (part.thought) {
      output = null;
      if (!thought) steps.push((thought = { type: "thought", summary: [] }));
      thought.summary?.push(content);
      if (part.thoughtSignature) {
        thought.signature = part.thoughtSignature;
        thought = null;
      }
      continue;
    }
    thought = null;
    if (part.thoughtSignature) {
      steps.push({ type: "thought", signature: part.thoughtSignature });
      output = null;
    }
    if (!output) steps.push((output = { type: "model_output", content: [] }));
    output.content.push(content);
  }
  return steps;
}

function contentsOf(parts: readonly Part[]): InteractionContent[] {
  return parts.map(toContent).filter((content): content is InteractionContent => content !== null);
}

/** Where the conversation continues from: the last answered turn's interaction, if it has one. */
export function previousInteractionId(history: readonly HistoryTurn[]): string | undefined {
  return history.filter((turn) => turn.modelTurn.parts.length > 0).at(-1)?.modelTurn.interactionId;
}

/**
 * The create body for a plan. `continueFrom` is the id to continue, or undefined to send the whole
 * conversation (plan.call.contents) as steps.
 */
export function buildInteractionBody(plan: GenerationPlan, options: { continueFrom?: string; store?: boolean }): InteractionBody {
  const contents = plan.call.contents;
  const latest = contents.at(-1)?.parts ?? [];
  let input: InteractionBody["input"];
  if (options.continueFrom || contents.length === 1) {
    input = contentsOf(latest);
  } else {
    input = contents.flatMap((content): InteractionStep[] =>
      content.role === "model" ? modelTurnToSteps((content.parts ?? []) as StoredPart[]) : [{ type: "user_input", content: contentsOf(content.parts ?? []) }],
    );
  }
  return {
    model: plan.call.model,
    input,
    ...(options.continueFrom ? { previous_interaction_id: options.continueFrom } : {}),
    ...interactionConfig(plan.call.config),
    ...(options.store === undefined ? {} : { store: options.store }),
    stream: true,
  };
}

function interactionConfig(config: GenerateContentConfig): Pick<InteractionBody, "generation_config" | "response_format" | "tools"> {
  const image: ImageFormat = {
    type: "image",
    ...(config.imageConfig?.aspectRatio ? { aspect_ratio: config.imageConfig.aspectRatio } : {}),
    ...(config.imageConfig?.imageSize ? { image_size: config.imageConfig.imageSize } : {}),
  };
  const imageOnly = config.responseModalities?.length === 1 && config.responseModalities[0] === "IMAGE";
  const thinking = config.thinkingConfig;
  const generation = {
    ...(thinking?.thinkingLevel ? { thinking_level: String(thinking.thinkingLevel).toLowerCase() } : {}),
    ...(thinking?.includeThoughts ? { thinking_summaries: "auto" as const } : {}),
  };
  // request.ts only ever adds the googleSearch tool.
  const search = (config.tools as Tool[] | undefined)?.find((tool) => tool.googleSearch)?.googleSearch;
  const searchTypes = search?.searchTypes
    ? [...(search.searchTypes.webSearch ? ["web_search"] : []), ...(search.searchTypes.imageSearch ? ["image_search"] : [])]
    : undefined;
  return {
    ...(Object.keys(generation).length > 0 ? { generation_config: generation } : {}),
    response_format: imageOnly ? image : [{ type: "text" }, image],
    ...(search ? { tools: [{ type: "google_search" as const, ...(searchTypes ? { search_types: searchTypes } : {}) }] } : {}),
  };
}

// ---- answers ----

interface EventContent {
  type?: string;
  text?: string;
  data?: string;
  mime_type?: string;
}

interface StepError {
  code?: number;
  message?: string;
  details?: Array<{ reason?: string; metadata?: { blockReason?: string } }>;
}

/** The subset of InteractionSSEEvent the studio reads (the SDK's types, loosely: fields may be missing). */
export interface InteractionEvent {
  event_type?: string;
  interaction?: { id?: string; model?: string; usage?: InteractionUsage; status?: string };
  index?: number;
  step?: {
    type?: string;
    error?: StepError;
    arguments?: { queries?: string[] };
    search_type?: string;
    result?: Array<{ search_suggestions?: string }>;
    summary?: EventContent[];
    content?: EventContent[];
    signature?: string;
  };
  delta?: EventContent & {
    content?: EventContent;
    signature?: string;
    annotations?: Array<{ type?: string; url?: string; title?: string; start_index?: number; end_index?: number }>;
    arguments?: { queries?: string[] };
    result?: Array<{ search_suggestions?: string }>;
  };
  error?: { code?: string; message?: string };
}

interface InteractionUsage {
  total_input_tokens?: number;
  total_output_tokens?: number;
  total_thought_tokens?: number;
  total_tokens?: number;
  total_tool_use_tokens?: number;
  output_tokens_by_modality?: Array<{ modality?: string; tokens?: number }>;
  tool_use_tokens_by_modality?: Array<{ modality?: string; tokens?: number }>;
}

const STATUS_CODES: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

function toUsage(usage: InteractionUsage): WireUsage {
  const details = (list: InteractionUsage["output_tokens_by_modality"]) =>
    list?.map((entry) => ({ modality: entry.modality?.toUpperCase(), tokenCount: entry.tokens }));
  return {
    ...(usage.total_input_tokens !== undefined ? { promptTokenCount: usage.total_input_tokens } : {}),
    ...(usage.total_output_tokens !== undefined ? { candidatesTokenCount: usage.total_output_tokens } : {}),
    ...(usage.total_thought_tokens ? { thoughtsTokenCount: usage.total_thought_tokens } : {}),
    ...(usage.total_tokens !== undefined ? { totalTokenCount: usage.total_tokens } : {}),
    ...(usage.output_tokens_by_modality ? { candidatesTokensDetails: details(usage.output_tokens_by_modality) } : {}),
    ...(usage.total_tool_use_tokens !== undefined
      ? { toolUsePromptTokenCount: usage.total_tool_use_tokens, toolUsePromptTokensDetails: details(usage.tool_use_tokens_by_modality) }
      : {}),
  };
}

function toPart(content: EventContent | undefined): WirePart | null {
  if (!content) return null;
  if (content.type === "image" && content.data !== undefined) return { inlineData: { mimeType: content.mime_type ?? "image/png", data: content.data } };
  if (content.type === "text" && content.text !== undefined) return { text: content.text };
  return null;
}

export interface InteractionTranslator {
  /** generateContent-shaped chunks for one event, ready for the response folder. */
  push(event: InteractionEvent): WireChunk[];
  /** The interaction's id once the stream named it. */
  readonly interactionId: string | null;
}

/**
 * Translates one interaction's events. A thought part is held until the next event, because the
 * step's signature may follow it and must sit on that same part; answer parts go out at once.
 */
export function createInteractionTranslator(): InteractionTranslator {
  let interactionId: string | null = null;
  let model: string | undefined;
  let heldThought: WirePart | null = null;
  let pendingSignature: string | undefined;
  let answerText = "";
  let stepError: StepError | undefined;
  const grounding: Required<Pick<WireGroundingMetadata, "groundingChunks" | "groundingSupports">> & WireGroundingMetadata = { groundingChunks: [], groundingSupports: [] };
  let grounded = false;

  const chunk = (parts: WirePart[]): WireChunk => ({ candidates: [{ content: { role: "model", parts }, index: 0 }] });

  function release(): WireChunk[] {
    if (!heldThought) return [];
    const part = heldThought;
    heldThought = null;
    return [chunk([part])];
  }

  function searchStep(step: { arguments?: { queries?: string[] }; search_type?: string; result?: Array<{ search_suggestions?: string }> }) {
    grounded = true;
    const queries = step.arguments?.queries ?? [];
    if (queries.length > 0) {
      if (step.search_type === "image_search") grounding.imageSearchQueries = [...(grounding.imageSearchQueries ?? []), ...queries];
      else grounding.webSearchQueries = [...(grounding.webSearchQueries ?? []), ...queries];
    }
    const suggestions = step.result?.find((result) => result.search_suggestions)?.search_suggestions;
    if (suggestions) grounding.searchEntryPoint = { renderedContent: suggestions };
  }

  function annotate(annotations: NonNullable<NonNullable<InteractionEvent["delta"]>["annotations"]>) {
    const bytes = Buffer.from(answerText, "utf8");
    for (const annotation of annotations) {
      if (annotation.type !== "url_citation" || !annotation.url) continue;
      grounded = true;
      let index = grounding.groundingChunks.findIndex((source) => source.web?.uri === annotation.url);
      if (index < 0) index = grounding.groundingChunks.push({ web: { uri: annotation.url, ...(annotation.title ? { title: annotation.title } : {}) } }) - 1;
      const start = annotation.start_index ?? 0;
      const end = annotation.end_index ?? start;
      const support = grounding.groundingSupports.find((entry) => entry.segment?.startIndex === start && entry.segment.endIndex === end);
      if (support) support.groundingChunkIndices = [...(support.groundingChunkIndices ?? []), index];
      else grounding.groundingSupports.push({ segment: { startIndex: start, endIndex: end, text: bytes.subarray(start, end).toString("utf8") }, groundingChunkIndices: [index] });
    }
  }

  function push(event: InteractionEvent): WireChunk[] {
    switch (event.event_type) {
      case "interaction.created":
        interactionId = event.interaction?.id ?? interactionId;
        model = event.interaction?.model ?? model;
        return [];
      case "step.start": {
        const out = release();
        const step = event.step;
        if (step?.type === "google_search_call" || step?.type === "google_search_result") searchStep(step);
        if (step?.type === "model_output" && step.error) stepError = step.error;
        return out;
      }
      case "step.delta": {
        const delta = event.delta;
        if (!delta) return [];
        if (delta.type === "thought_summary") {
          const out = release();
          const part = toPart(delta.content);
          if (part) heldThought = { ...part, thought: true };
          return out;
        }
        if (delta.type === "thought_signature") {
          if (heldThought && delta.signature) {
            heldThought.thoughtSignature = delta.signature;
            return release();
          }
          pendingSignature = delta.signature;
          return [];
        }
        if (delta.type === "google_search_call" || delta.type === "google_search_result") {
          searchStep(delta);
          return release();
        }
        if (delta.type === "text_annotation_delta") {
          annotate(delta.annotations ?? []);
          return release();
        }
        const part = toPart(delta);
        if (!part) return release();
        if (pendingSignature) part.thoughtSignature = pendingSignature;
        pendingSignature = undefined;
        if (part.text !== undefined) answerText += part.text;
        return [...release(), chunk([part])];
      }
      case "step.stop":
        return release();
      case "interaction.completed": {
        const out = release();
        interactionId = event.interaction?.id ?? interactionId;
        const detail = stepError?.details?.find((entry) => entry.reason);
        const blockReason = detail?.metadata?.blockReason;
        const finishReason = blockReason ? undefined : (detail?.reason ?? (stepError ? "OTHER" : "STOP"));
        const final: WireChunk = {
          candidates: [
            {
              content: { role: "model", parts: [] },
              index: 0,
              ...(finishReason ? { finishReason } : {}),
              ...(stepError?.message && finishReason ? { finishMessage: stepError.message } : {}),
              ...(grounded ? { groundingMetadata: grounding } : {}),
            },
          ],
          ...(blockReason ? { promptFeedback: { blockReason } } : {}),
          ...(event.interaction?.usage ? { usageMetadata: toUsage(event.interaction.usage) } : {}),
          ...(model ? { modelVersion: model } : {}),
          ...(interactionId ? { responseId: interactionId } : {}),
        };
        return [...out, final];
      }
      case "error": {
        const status = event.error?.code ?? "INTERNAL";
        return [...release(), { error: { code: STATUS_CODES[status] ?? 500, status, message: event.error?.message ?? "The interaction failed." } }];
      }
      default:
        return [];
    }
  }

  return {
    push,
    get interactionId() {
      return interactionId;
    },
  };
}

/**
 * Whether a failed create means Google no longer has the interaction to continue: 404, or a 400
 * that names the previous interaction. The conversation is then sent whole instead.
 */
export function isLostInteraction(status: number, body: string | undefined): boolean {
  if (status === 404) return true;
  return status === 400 && /previous_interaction_id|interaction .*(not found|expired)/i.test(body ?? "");
}
