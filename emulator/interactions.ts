import { randomUUID } from "node:crypto";
import { z } from "zod";
import { errorForStatus, EmulatorApiError, invalidArgument } from "./errors";
import type { GroundingMetadata } from "./grounding";
import type { WirePart, WireResponse, WireUsage } from "./response";

/**
 * The Interactions API (`POST /{version}/interactions`, @google/genai 3.1 `ai.interactions.create`)
 * on top of the emulator's generateContent model: a request is translated into the equivalent
 * generateContent request (the stored conversation of `previous_interaction_id`, then the new
 * input), answered by the same code, and the answer is mapped into typed steps.
 *
 * Shapes follow the SDK's types (dist/genai.d.ts: CreateModelInteraction, Interaction, Step,
 * InteractionSSEEvent) and the seed's examples (../shared/seeds/004, "steps", not "outputs"). No
 * real recording exists (docs/gemini-facts.md, "Interactions API"), so three choices are the
 * emulator's own and said here:
 * - a thought signature that generateContent puts on an answer part travels as a `thought` step
 *   holding only `signature`, right before the `model_output` step whose first content it signs;
 *   a signature on a thought part goes on its `thought` step. Input steps are read the same way,
 *   so a conversation sent back as steps replays with valid signatures.
 * - an answer that ends other than STOP (safety, no image) is a `model_output` step with `error`
 *   `{code, message: finishMessage, details: [ErrorInfo {reason: finishReason}]}`; a blocked
 *   prompt the same with ErrorInfo metadata `{blockReason}`.
 * - an unknown or expired `previous_interaction_id` answers 404 NOT_FOUND, as `interactions.get`
 *   of an unknown id does.
 */

const contentSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  data: z.string().optional(),
  mime_type: z.string().optional(),
  uri: z.string().optional(),
});
type InputContent = z.infer<typeof contentSchema>;

const stepSchema = z.looseObject({
  type: z.string(),
  content: z.array(contentSchema).optional(),
  summary: z.array(contentSchema).optional(),
  signature: z.string().optional(),
});
type InputStep = z.infer<typeof stepSchema>;

const imageFormatSchema = z.looseObject({
  type: z.string().optional(),
  aspect_ratio: z.string().optional(),
  image_size: z.string().optional(),
  mime_type: z.string().optional(),
  image: z.looseObject({ aspect_ratio: z.string().optional(), image_size: z.string().optional() }).optional(),
});

const createSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), contentSchema, z.array(z.union([stepSchema, contentSchema]))]).optional(),
  previous_interaction_id: z.string().min(1).optional(),
  generation_config: z
    .looseObject({ thinking_level: z.string().optional(), thinking_summaries: z.string().optional() })
    .optional(),
  response_format: z.union([imageFormatSchema, z.array(imageFormatSchema)]).optional(),
  response_modalities: z.array(z.string()).optional(),
  tools: z.array(z.looseObject({ type: z.string(), search_types: z.array(z.string()).optional() })).optional(),
  store: z.boolean().optional(),
  stream: z.boolean().optional(),
  background: z.boolean().optional(),
  system_instruction: z.string().optional(),
});
export type CreateInteractionBody = z.infer<typeof createSchema>;

interface RequestContent {
  role: "user" | "model";
  parts: WirePart[];
}

/** What a stored interaction keeps: its own turns only; the earlier ones are reached through `previous`. */
export interface StoredInteraction {
  id: string;
  model: string;
  previous: string | null;
  contents: RequestContent[];
}

/**
 * Interactions kept for `previous_interaction_id`. Google keeps them for a limited time; here they
 * stay until DELETE /_emulator/interactions (a test's way to make every id "expired").
 */
export class InteractionStore {
  private readonly byId = new Map<string, StoredInteraction>();

  get(id: string): StoredInteraction | undefined {
    return this.byId.get(id);
  }

  put(interaction: StoredInteraction): void {
    this.byId.set(interaction.id, interaction);
  }

  clear(): number {
    const count = this.byId.size;
    this.byId.clear();
    return count;
  }

  /** The whole conversation that ends with `id`, oldest turn first. */
  conversation(id: string): RequestContent[] {
    const chain: StoredInteraction[] = [];
    for (let current = this.byId.get(id); current; current = current.previous ? this.byId.get(current.previous) : undefined) {
      chain.push(current);
    }
    return chain.reverse().flatMap((interaction) => interaction.contents);
  }
}

export function parseCreateBody(json: unknown): CreateInteractionBody {
  const parsed = createSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidArgument(`Invalid interaction request: ${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "malformed body"}.`);
  }
  if (parsed.data.background) throw invalidArgument("background is not supported for image generation models.");
  return parsed.data;
}

export function interactionNotFound(id: string): EmulatorApiError {
  return new EmulatorApiError({ error: { code: 404, message: `Interaction ${id} not found.`, status: "NOT_FOUND" } });
}

function toPart(content: InputContent, path: string): WirePart {
  if (content.type === "text") return { text: content.text ?? "" };
  if (content.type === "image") {
    // A uri names a file uploaded through the Files API; it is resolved like a fileData part.
    if (content.data === undefined && content.uri !== undefined) return { fileData: { fileUri: content.uri, mimeType: content.mime_type ?? "image/png" } };
    if (content.data === undefined) throw invalidArgument(`${path}: an image needs inline data or the uri of an uploaded file.`);
    return { inlineData: { mimeType: content.mime_type ?? "image/png", data: content.data } };
  }
  throw invalidArgument(`${path}: content type "${content.type}" is not supported by image generation models.`);
}

function isStep(value: InputContent | InputStep): value is InputStep {
  return ["user_input", "model_output", "thought"].includes(value.type) || "content" in value || "summary" in value;
}

/** The input as generateContent turns: plain content is one user turn, steps are whole turns. */
export function inputToContents(input: CreateInteractionBody["input"]): RequestContent[] {
  if (input === undefined) return [];
  if (typeof input === "string") return [{ role: "user", parts: [{ text: input }] }];
  const items = Array.isArray(input) ? input : [input];
  if (!items.some(isStep)) return [{ role: "user", parts: items.map((item, index) => toPart(item, `input[${index}]`)) }];

  const contents: RequestContent[] = [];
  const turn = (role: "user" | "model"): WirePart[] => {
    const last = contents.at(-1);
    if (last?.role === role) return last.parts;
    const next: RequestContent = { role, parts: [] };
    contents.push(next);
    return next.parts;
  };
  let pendingSignature: string | undefined;
  items.forEach((item, index) => {
    const path = `input[${index}]`;
    if (!isStep(item)) throw invalidArgument(`${path}: mix steps and plain content in one input is not allowed.`);
    if (item.type === "user_input") {
      turn("user").push(...(item.content ?? []).map((content, at) => toPart(content, `${path}.content[${at}]`)));
    } else if (item.type === "thought") {
      const parts = (item.summary ?? []).map((content, at) => ({ ...toPart(content, `${path}.summary[${at}]`), thought: true }));
      const last = parts.at(-1);
      if (last && item.signature) last.thoughtSignature = item.signature;
      else if (item.signature) pendingSignature = item.signature;
      turn("model").push(...parts);
    } else if (item.type === "model_output") {
      const parts = (item.content ?? []).map((content, at) => toPart(content, `${path}.content[${at}]`));
      const first = parts[0];
      if (first && pendingSignature) first.thoughtSignature = pendingSignature;
      pendingSignature = undefined;
      turn("model").push(...parts);
    }
    // Search steps are the model's record of what it looked up; generateContent has no part for them.
  });
  return contents;
}

/** The generateContent request (camelCase, as normalizeFieldNames makes it) that answers this interaction. */
export function toGenerateContentRequest(body: CreateInteractionBody, contents: RequestContent[]): Record<string, unknown> {
  const formats = body.response_format === undefined ? [] : Array.isArray(body.response_format) ? body.response_format : [body.response_format];
  const image = formats.find((format) => format.type === "image" || format.image !== undefined);
  const aspectRatio = image?.aspect_ratio ?? image?.image?.aspect_ratio;
  const imageSize = image?.image_size ?? image?.image?.image_size;
  const generationConfig: Record<string, unknown> = {};
  if (formats.length > 0) {
    generationConfig.responseModalities = formats.some((format) => format.type === "text") ? ["TEXT", "IMAGE"] : image ? ["IMAGE"] : ["TEXT"];
  } else if (body.response_modalities) {
    generationConfig.responseModalities = body.response_modalities.map((modality) => modality.toUpperCase());
  }
  if (aspectRatio || imageSize) generationConfig.imageConfig = { ...(aspectRatio ? { aspectRatio } : {}), ...(imageSize ? { imageSize } : {}) };
  const thinking = body.generation_config;
  if (thinking?.thinking_level || thinking?.thinking_summaries) {
    generationConfig.thinkingConfig = {
      ...(thinking.thinking_level ? { thinkingLevel: thinking.thinking_level.toUpperCase() } : {}),
      ...(thinking.thinking_summaries === "auto" ? { includeThoughts: true } : {}),
    };
  }
  const search = body.tools?.find((tool) => tool.type === "google_search");
  const tools = search
    ? [
        search.search_types
          ? { googleSearch: { searchTypes: Object.fromEntries(search.search_types.map((type) => [type === "image_search" ? "imageSearch" : "webSearch", {}])) } }
          : { googleSearch: {} },
      ]
    : undefined;
  return {
    contents,
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    ...(tools ? { tools } : {}),
    ...(body.system_instruction ? { systemInstruction: { parts: [{ text: body.system_instruction }] } } : {}),
  };
}

type OutputContent = { type: "text"; text: string; annotations?: UrlCitation[] } | { type: "image"; mime_type: string; data: string };
interface UrlCitation {
  type: "url_citation";
  url: string;
  title?: string;
  start_index: number;
  end_index: number;
}
export type OutputStep =
  | { type: "thought"; summary?: OutputContent[]; signature?: string }
  | { type: "model_output"; content: OutputContent[]; error?: { code: number; message: string; details: Array<Record<string, unknown>> } }
  | { type: "google_search_call"; id: string; arguments: { queries: string[] }; search_type: "web_search" | "image_search" }
  | { type: "google_search_result"; call_id: string; result: Array<{ search_suggestions?: string }> };

function toContent(part: WirePart): OutputContent | null {
  if (part.inlineData) return { type: "image", mime_type: part.inlineData.mimeType, data: part.inlineData.data };
  if (part.text !== undefined) return { type: "text", text: part.text };
  return null;
}

function searchSteps(metadata: GroundingMetadata, responseId: string): OutputStep[] {
  const steps: OutputStep[] = [];
  const calls: Array<["web_search" | "image_search", string[]]> = [
    ["web_search", metadata.webSearchQueries ?? []],
    ["image_search", metadata.imageSearchQueries ?? []],
  ];
  for (const [searchType, queries] of calls) {
    if (queries.length === 0) continue;
    const id = `${responseId}-${searchType}`;
    steps.push({ type: "google_search_call", id, arguments: { queries }, search_type: searchType });
    steps.push({
      type: "google_search_result",
      call_id: id,
      result: searchType === "web_search" ? [{ search_suggestions: metadata.searchEntryPoint.renderedContent }] : [],
    });
  }
  return steps;
}

/** groundingSupports as url_citation annotations: one per cited chunk, byte offsets unchanged. */
function citations(metadata: GroundingMetadata): UrlCitation[] {
  return (metadata.groundingSupports ?? []).flatMap((support) =>
    support.groundingChunkIndices.flatMap((index) => {
      const chunk = metadata.groundingChunks[index];
      if (!chunk) return [];
      const source = "web" in chunk ? { url: chunk.web.uri, title: chunk.web.domain ?? chunk.web.title } : { url: chunk.image.sourceUri, title: chunk.image.title };
      return [{ type: "url_citation" as const, ...source, start_index: support.segment.startIndex ?? 0, end_index: support.segment.endIndex }];
    }),
  );
}

/** One generateContent answer (the unary body) as interaction steps, in the order the parts came. */
export function responseToSteps(response: WireResponse): OutputStep[] {
  const candidate = response.candidates?.[0];
  const steps: OutputStep[] = candidate?.groundingMetadata ? searchSteps(candidate.groundingMetadata, response.responseId) : [];
  let thought: Extract<OutputStep, { type: "thought" }> | null = null;
  let output: Extract<OutputStep, { type: "model_output" }> | null = null;
  for (const part of candidate?.content.parts ?? []) {
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
  const annotations = candidate?.groundingMetadata ? citations(candidate.groundingMetadata) : [];
  const cited = steps.flatMap((step) => (step.type === "model_output" ? step.content : [])).find((content) => content.type === "text" && content.text !== "");
  if (annotations.length > 0 && cited?.type === "text") cited.annotations = annotations;

  const finishReason = candidate?.finishReason;
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason || (finishReason && finishReason !== "STOP")) {
    const reason = blockReason ?? finishReason ?? "OTHER";
    const error = {
      code: 400,
      message: candidate?.finishMessage ?? (blockReason ? "The prompt was blocked." : `The model stopped: ${reason}.`),
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason,
          domain: "googleapis.com",
          ...(blockReason ? { metadata: { blockReason } } : {}),
        },
      ],
    };
    const last = steps.at(-1);
    if (last?.type === "model_output") last.error = error;
    else steps.push({ type: "model_output", content: [], error });
  }
  return steps;
}

function modalityTokens(details: Array<{ modality: string; tokenCount: number }> | undefined) {
  return details?.map((detail) => ({ modality: detail.modality.toLowerCase(), tokens: detail.tokenCount }));
}

export function toInteractionUsage(usage: WireResponse["usageMetadata"]): Record<string, unknown> | undefined {
  if (!("promptTokenCount" in usage)) return undefined;
  const wire: WireUsage = usage;
  return {
    total_input_tokens: wire.promptTokenCount,
    total_output_tokens: wire.candidatesTokenCount ?? 0,
    total_thought_tokens: wire.thoughtsTokenCount ?? 0,
    total_tokens: wire.totalTokenCount,
    input_tokens_by_modality: modalityTokens(wire.promptTokensDetails),
    ...(wire.candidatesTokensDetails ? { output_tokens_by_modality: modalityTokens(wire.candidatesTokensDetails) } : {}),
    ...(wire.toolUsePromptTokenCount !== undefined
      ? { total_tool_use_tokens: wire.toolUsePromptTokenCount, tool_use_tokens_by_modality: modalityTokens(wire.toolUsePromptTokensDetails) }
      : {}),
  };
}

export function newInteractionId(): string {
  // Real ids are opaque strings; a UUID without dashes looks the part and never repeats.
  return `v1_${randomUUID().replaceAll("-", "")}`;
}

/** The model turn to store: the answer's parts as generateContent would replay them. */
export function modelContent(response: WireResponse): RequestContent | null {
  const parts = response.candidates?.[0]?.content.parts ?? [];
  return parts.length > 0 ? { role: "model", parts } : null;
}

export interface InteractionSummary {
  id: string;
  model: string;
  created: string;
  previousInteractionId?: string;
  steps: OutputStep[];
  usage: Record<string, unknown> | undefined;
}

export function interactionResource(summary: InteractionSummary): Record<string, unknown> {
  return {
    id: summary.id,
    object: "interaction",
    model: summary.model,
    status: "completed",
    created: summary.created,
    updated: summary.created,
    ...(summary.previousInteractionId ? { previous_interaction_id: summary.previousInteractionId } : {}),
    steps: summary.steps,
    ...(summary.usage ? { usage: summary.usage } : {}),
  };
}

type Event = Record<string, unknown>;

/**
 * The SSE events of one interaction, grouped as the generateContent stream's chunks are (a client
 * sees them arrive at the same pace): the answer's parts in order, each in the step it belongs to
 * (see the file header for signatures), grounding's search steps up front, annotations after the
 * cited text, a model_output step with `error` when the answer did not end with STOP.
 */
export function streamEventGroups(summary: InteractionSummary, chunks: WireResponse[]): Event[][] {
  const groups: Event[][] = [];
  let group: Event[] = [{ event_type: "interaction.created", interaction: { id: summary.id, object: "interaction", model: summary.model, status: "in_progress", created: summary.created } }];
  let index = -1;
  let open: "thought" | "model_output" | null = null;
  const close = () => {
    if (open) group.push({ event_type: "step.stop", index });
    open = null;
  };
  const start = (step: Event) => {
    close();
    index += 1;
    group.push({ event_type: "step.start", index, step });
  };
  const delta = (value: Event) => group.push({ event_type: "step.delta", index, delta: value });

  for (const step of summary.steps) {
    if (step.type !== "google_search_call" && step.type !== "google_search_result") continue;
    start(step);
    group.push({ event_type: "step.stop", index });
  }
  const cited = summary.steps.flatMap((step) => (step.type === "model_output" ? step.content : [])).find((content) => content.type === "text" && content.annotations);
  let annotated = false;
  for (const chunk of chunks) {
    for (const part of chunk.candidates?.[0]?.content.parts ?? []) {
      const content = toContent(part);
      if (!content) continue;
      if (part.thought) {
        if (open !== "thought") {
          start({ type: "thought" });
          open = "thought";
        }
        delta({ type: "thought_summary", content });
        if (part.thoughtSignature) {
          delta({ type: "thought_signature", signature: part.thoughtSignature });
          close();
        }
        continue;
      }
      if (part.thoughtSignature) {
        start({ type: "thought" });
        delta({ type: "thought_signature", signature: part.thoughtSignature });
        group.push({ event_type: "step.stop", index });
      }
      if (open !== "model_output" || part.thoughtSignature) {
        start({ type: "model_output" });
        open = "model_output";
      }
      delta({ ...content });
      if (content.type === "text" && content.text !== "" && cited?.type === "text" && !annotated) {
        delta({ type: "text_annotation_delta", annotations: cited.annotations });
        annotated = true;
      }
    }
    groups.push(group);
    group = [];
  }
  close();
  const failed = summary.steps.find((step) => step.type === "model_output" && step.error);
  if (failed?.type === "model_output") {
    start({ type: "model_output", error: failed.error });
    group.push({ event_type: "step.stop", index });
  }
  group.push({
    event_type: "interaction.completed",
    interaction: { id: summary.id, object: "interaction", model: summary.model, status: "completed", created: summary.created, updated: summary.created, ...(summary.usage ? { usage: summary.usage } : {}) },
  });
  groups.push(group);
  let eventId = 0;
  return groups.map((events) => events.map((event) => ({ ...event, event_id: `${summary.id}:${eventId++}` })));
}

export function errorStreamEvent(code: number): Record<string, unknown> {
  const { error } = errorForStatus(code).body;
  return { event_type: "error", error: { code: error.status, message: error.message } };
}
