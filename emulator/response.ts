import { buildGroundedAnswer, searchTopic, type GroundingMetadata } from "./grounding";
import { renderImage, type RenderRequest } from "./images";
import { deterministicInt, deterministicToken } from "./random";
import { describeUnderstoodRegion, maskBoundingBox, renderRegionEdit, understoodRegion, type UnderstoodRegion } from "./region";
import { createSignature } from "./signatures";
import { textTokens, type ResolvedRequest } from "./validation";

/**
 * Builds what the model "answers", once, as a list of streamed chunks plus the merged unary body.
 * Shapes follow the recordings: role "model" and index 0 on every candidate, finishReason only on
 * the last chunk, an image stream ending in `parts: [{"text": ""}]` with STOP, usage on every
 * chunk, signatures on the same part as the image.
 */

export interface WirePart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  /** Input only: a file uploaded through the Files API, resolved to its bytes before answering (files.ts). */
  fileData?: { fileUri: string; mimeType: string };
  thought?: boolean;
  thoughtSignature?: string;
}

export interface WireCandidate {
  content: { parts?: WirePart[]; role?: "model" };
  finishReason?: string;
  finishMessage?: string;
  groundingMetadata?: GroundingMetadata;
  /** Absent in chunks passed through Vertex-style proxies. */
  index?: number;
}

export interface ModalityTokens {
  modality: "TEXT" | "IMAGE";
  tokenCount: number;
}

export interface WireUsage {
  promptTokenCount: number;
  candidatesTokenCount?: number;
  totalTokenCount: number;
  promptTokensDetails: ModalityTokens[];
  candidatesTokensDetails?: ModalityTokens[];
  thoughtsTokenCount?: number;
  /** Grounded answers: what the search tool added to the prompt, included in totalTokenCount. */
  toolUsePromptTokenCount?: number;
  toolUsePromptTokensDetails?: ModalityTokens[];
  serviceTier: "standard";
}

/** What Vertex-style proxies pass through: no counts at all. */
export interface TrafficOnlyUsage {
  trafficType: "ON_DEMAND";
}

export interface WireResponse {
  candidates?: WireCandidate[];
  promptFeedback?: { blockReason: string };
  usageMetadata: WireUsage | TrafficOnlyUsage;
  modelVersion: string;
  createTime?: string;
  responseId: string;
}

export type ContentOutcome =
  | "image_safety"
  | "prompt_blocked"
  | "no_image"
  | "text_only"
  | "text_signed_tail"
  | "no_grounding"
  | "bare_web_chunks"
  | "no_finish"
  | "vertex_chunks";

export interface ResponsePlan {
  chunks: WireResponse[];
  unary: WireResponse;
  /** For a region edit: the area the mask marked, as the answer's image has it (see region.ts). */
  region?: UnderstoodRegion;
}

export interface BuildOptions {
  /** Deterministic per request body, like a hash; the same request gets the same id. */
  seed: string;
  realistic: boolean;
  outcome?: ContentOutcome;
}

/** One streamed chunk's worth of parts; `text` chunks of the same answer merge in the unary body. */
interface Step {
  parts: WirePart[];
  mergeTextWithNext?: boolean;
}

function promptDetails(request: ResolvedRequest): ModalityTokens[] {
  const details: ModalityTokens[] = [{ modality: "TEXT", tokenCount: request.promptTokens.text }];
  if (request.promptTokens.image > 0) details.push({ modality: "IMAGE", tokenCount: request.promptTokens.image });
  return details;
}

function promptTokenCount(request: ResolvedRequest): number {
  return request.promptTokens.text + request.promptTokens.image;
}

/** Usage for responses that produced nothing billable (blocked prompt, NO_IMAGE), as recorded. */
function promptOnlyUsage(request: ResolvedRequest): WireUsage {
  const prompt = promptTokenCount(request);
  return { promptTokenCount: prompt, totalTokenCount: prompt, promptTokensDetails: promptDetails(request), serviceTier: "standard" };
}

function describeSettings(request: ResolvedRequest): string {
  if (!request.image) return "";
  return `a ${request.image.aspectRatio} frame at ${request.image.size} (${request.image.width}x${request.image.height})`;
}

function thoughtSummaries(request: ResolvedRequest, count: number): string[] {
  const topic = searchTopic(request.prompt);
  const references =
    request.references.length > 0
      ? ` I'm using the ${request.references.length} reference image${request.references.length === 1 ? "" : "s"} to keep objects and characters consistent.`
      : "";
  const first = request.wantsImage
    ? `**Composing the scene**\n\nI'm working out the layout for “${topic}”: ${describeSettings(request)}, with the main subject centred and room for detail.${references}`
    : `**Understanding the request**\n\nI'm working out what “${topic}” asks for and how to describe it clearly.${references}`;
  const second = request.wantsImage
    ? "**Refining the details**\n\nThe first draft reads well. I'm sharpening textures, balancing the colours and checking small text before rendering the final image."
    : "**Polishing the answer**\n\nI'm tightening the wording and checking the details before answering.";
  return [first, second].slice(0, count);
}

function modelText(request: ResolvedRequest): string {
  const topic = searchTopic(request.prompt);
  if (request.model.kind === "text") {
    return `This is the Gemini emulator answering “${request.prompt || "(empty prompt)"}”. Real models write a thoughtful reply here.`;
  }
  if (!request.wantsImage) {
    return `Here is a description instead of an image: “${topic}” as ${describeSettings(request) || "a square frame"}, with a clear subject, balanced colours and soft light.`;
  }
  return `Here is your image of “${topic}”.`;
}

/** Real streams deliver text in pieces; split at a word boundary near the middle. */
function splitText(text: string): [string, string] | [string] {
  if (text.length < 24) return [text];
  const middle = text.indexOf(" ", Math.floor(text.length / 2));
  if (middle <= 0) return [text];
  return [text.slice(0, middle), text.slice(middle)];
}

function thinkingTokens(request: ResolvedRequest, seed: string): number | undefined {
  if (!request.thinking.thinks) return undefined;
  if (request.model.kind === "text") return deterministicInt(`thoughts:${seed}`, 100, 600);
  if (request.model.thinking.mode === "always") return deterministicInt(`thoughts:${seed}`, 150, 400);
  return request.thinking.level === "HIGH" ? deterministicInt(`thoughts:${seed}`, 200, 500) : deterministicInt(`thoughts:${seed}`, 40, 90);
}

function thoughtImageCount(request: ResolvedRequest): number {
  if (!request.wantsImage || !request.thinking.includeThoughts || request.model.kind !== "image") return 0;
  if (request.model.thinking.mode === "always") return 2;
  return request.thinking.level === "HIGH" ? 1 : 0;
}

function withUsage(candidate: WireCandidate | undefined, usage: WireUsage, request: ResolvedRequest, responseId: string): WireResponse {
  const response: WireResponse = candidate
    ? { candidates: [candidate], usageMetadata: usage, modelVersion: request.model.id, responseId }
    : { usageMetadata: usage, modelVersion: request.model.id, responseId };
  return response;
}

/**
 * Wording modelled on the shape gemini-facts.md describes (several sentences, markdown links to
 * the policy and to feedback, a note on billing); no recording of it is in test/fixtures/gemini.
 */
export const IMAGE_SAFETY_FINISH_MESSAGE =
  "Unable to show the generated image. The image was filtered out because it violated Google's [Generative AI Prohibited Use policy](https://policies.google.com/terms/generative-ai/use-policy). You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, [send feedback](https://support.google.com/gemini/contact/feedback).";

function faultResponse(
  request: ResolvedRequest,
  outcome: "image_safety" | "prompt_blocked" | "no_image",
  responseId: string,
  seed: string,
): WireResponse {
  const usage = promptOnlyUsage(request);
  if (outcome === "prompt_blocked") {
    return { promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: usage, modelVersion: request.model.id, responseId };
  }
  if (outcome === "no_image") {
    return withUsage({ content: {}, finishReason: "NO_IMAGE", index: 0 }, usage, request, responseId);
  }
  // The model thought before the filter stopped the image: those tokens are counted, the image is not.
  const thoughts = thinkingTokens(request, seed) ?? 0;
  const blockedUsage: WireUsage = {
    promptTokenCount: usage.promptTokenCount,
    candidatesTokenCount: 0,
    totalTokenCount: usage.promptTokenCount + thoughts,
    promptTokensDetails: usage.promptTokensDetails,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    serviceTier: "standard",
  };
  return withUsage(
    { content: {}, finishReason: "IMAGE_SAFETY", finishMessage: IMAGE_SAFETY_FINISH_MESSAGE, index: 0 },
    blockedUsage,
    request,
    responseId,
  );
}

type RenderOverrides = Pick<RenderRequest, "width" | "height"> & Partial<Pick<RenderRequest, "badge" | "draft" | "realistic">>;

function renderAnswerImage(request: ResolvedRequest, overrides: RenderOverrides): Promise<Buffer> {
  const model = request.model;
  return renderImage({
    modelId: model.id,
    mimeType: model.kind === "image" ? model.outputMimeType : "image/png",
    imageSize: request.image?.size ?? "1K",
    aspectRatio: request.image?.aspectRatio ?? "1:1",
    prompt: request.prompt,
    turn: request.userTurns,
    references: request.references.map((reference) => ({ ...reference, decodable: reference.info !== undefined })),
    ...overrides,
  });
}

export async function buildResponsePlan(request: ResolvedRequest, options: BuildOptions): Promise<ResponsePlan> {
  const responseId = deterministicToken(`response:${options.seed}`, 23);
  const outcome = options.outcome;
  if (outcome === "image_safety" || outcome === "prompt_blocked" || outcome === "no_image") {
    const response = faultResponse(request, outcome, responseId, options.seed);
    return { chunks: [response], unary: response };
  }

  const model = request.model;
  const signs = model.kind === "image" && model.signsOutput;
  const textOnly = outcome === "text_only" || outcome === "text_signed_tail";
  const wantsImage = request.wantsImage && !textOnly;
  const wantsText = request.wantsText || !wantsImage;
  const grounded =
    request.search && outcome !== "no_grounding" ? buildGroundedAnswer(request.prompt, request.search, wantsText) : undefined;
  if (grounded && outcome === "bare_web_chunks") {
    for (const chunk of grounded.metadata.groundingChunks) {
      if ("web" in chunk) chunk.web = { uri: chunk.web.uri, title: chunk.web.title };
    }
  }
  const region = await readRegion(request);
  const text = wantsText
    ? (grounded?.text ?? (region ? describeUnderstoodRegion(region) : modelText({ ...request, wantsImage })))
    : undefined;
  const mimeType = model.kind === "image" ? model.outputMimeType : "image/png";

  const steps: Step[] = [];
  const showThoughts = request.thinking.thinks && request.thinking.includeThoughts;
  const thoughtImages = wantsImage ? thoughtImageCount(request) : 0;
  if (showThoughts) {
    const summaries = thoughtSummaries({ ...request, wantsImage }, Math.max(1, thoughtImages));
    for (const [index, summary] of summaries.entries()) {
      steps.push({ parts: [{ text: summary, thought: true }] });
      if (index < thoughtImages && request.image) {
        const bytes = await renderAnswerImage(request, {
          width: Math.max(64, Math.round(request.image.width / 2)),
          height: Math.max(64, Math.round(request.image.height / 2)),
          badge: `thought ${index + 1}/${thoughtImages}`,
          draft: true,
        });
        steps.push({ parts: [{ inlineData: { mimeType, data: bytes.toString("base64") }, thought: true }] });
      }
    }
  }

  // The first non-thought part carries a signature, and so does every final image.
  let firstAnswerPart = true;
  const sign = (part: WirePart, kind: "image" | "text", content: Buffer | string): WirePart => {
    if (signs && (kind === "image" || firstAnswerPart)) {
      part.thoughtSignature = createSignature({ kind, modelId: model.id, content, realisticSize: options.realistic });
    }
    firstAnswerPart = false;
    return part;
  };

  const signedTail = outcome === "text_signed_tail" && signs;
  if (text !== undefined) {
    const pieces = splitText(text);
    pieces.forEach((piece, index) => {
      const part: WirePart = { text: piece };
      const merge = index < pieces.length - 1 || signedTail;
      steps.push({ parts: [index === 0 ? sign(part, "text", responseId) : part], mergeTextWithNext: merge });
    });
  }
  // Gemini 3 text streams end with one more chunk: an empty text part holding the final signature.
  if (signedTail) {
    steps.push({
      parts: [{ text: "", thoughtSignature: createSignature({ kind: "text", modelId: model.id, content: `${responseId}:tail`, realisticSize: options.realistic }) }],
    });
  }

  let imageBytes: Buffer | undefined;
  if (wantsImage && request.image) {
    const base = request.regionEdit?.base;
    imageBytes =
      region?.edited && base
        ? await renderRegionEdit({ base: base.bytes, region, width: request.image.width, height: request.image.height, mimeType, label: request.prompt })
        : await renderAnswerImage(request, {
            width: request.image.width,
            height: request.image.height,
            realistic: options.realistic,
          });
    steps.push({ parts: [sign({ inlineData: { mimeType, data: imageBytes.toString("base64") } }, "image", imageBytes)] });
  }

  const imageTokenCount = imageBytes && request.image && model.kind === "image" ? (model.imageTokens[request.image.size] ?? 1120) : 0;
  const textTokenCount = text ? textTokens(text) : 0;
  // Real counts exceed the itemised details (recordings: 1392 vs IMAGE 1120); the rest is not broken down.
  const overhead = imageBytes ? deterministicInt(`overhead:${options.seed}`, 64, 280) : 0;
  const candidatesTokenCount = imageTokenCount + textTokenCount + overhead;
  const candidatesTokensDetails: ModalityTokens[] = [];
  if (imageTokenCount > 0) candidatesTokensDetails.push({ modality: "IMAGE", tokenCount: imageTokenCount });
  if (textTokenCount > 0) candidatesTokensDetails.push({ modality: "TEXT", tokenCount: textTokenCount });
  const thoughts = thinkingTokens(request, options.seed);
  const prompt = promptTokenCount(request);

  const toolUse = grounded ? deterministicInt(`tool-use:${options.seed}`, 80, 260) : 0;
  const usageFor = (thoughtsTokenCount: number | undefined, candidates = candidatesTokenCount): WireUsage => ({
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + (thoughtsTokenCount ?? 0) + toolUse,
    promptTokensDetails: promptDetails(request),
    // Text-only answers carry no per-modality breakdown of what they produced.
    ...(imageTokenCount > 0 ? { candidatesTokensDetails } : {}),
    ...(thoughtsTokenCount === undefined ? {} : { thoughtsTokenCount }),
    ...(toolUse > 0 ? { toolUsePromptTokenCount: toolUse, toolUsePromptTokensDetails: [{ modality: "TEXT" as const, tokenCount: toolUse }] } : {}),
    serviceTier: "standard",
  });

  // Image answers end with an extra empty text chunk that carries finishReason (streams/image-3-pro-signed.sse);
  // text answers put finishReason on their last text chunk.
  if (imageBytes) steps.push({ parts: [{ text: "" }] });

  // Earlier chunks report a larger thoughtsTokenCount than the last one, as in the recording.
  const drift = thoughts === undefined ? 0 : deterministicInt(`drift:${options.seed}`, 40, 120);
  const finishes = outcome !== "no_finish";
  let producedSoFar = 0;
  const chunks = steps.map((step, index): WireResponse => {
    const last = index === steps.length - 1;
    const candidate: WireCandidate = { content: { parts: step.parts, role: "model" }, index: 0 };
    if (last) {
      if (finishes) candidate.finishReason = "STOP";
      if (grounded) candidate.groundingMetadata = grounded.metadata;
    }
    if (signedTail) {
      // As recorded for text streams: output tokens grow chunk by chunk, thinking stays the same.
      producedSoFar += step.parts.reduce((sum, part) => sum + (part.thought ? 0 : textTokens(part.text ?? "")), 0);
      return withUsage(orderCandidate(candidate), usageFor(thoughts, producedSoFar), request, responseId);
    }
    const stepThoughts =
      thoughts === undefined || steps.length < 2 ? thoughts : thoughts + Math.round((drift * (steps.length - 1 - index)) / (steps.length - 1));
    return withUsage(orderCandidate(candidate), usageFor(stepThoughts), request, responseId);
  });

  const unaryParts: WirePart[] = [];
  let pendingText: WirePart | undefined;
  for (const step of steps) {
    for (const part of step.parts) {
      if (imageBytes && part.text === "" && !part.thought && step === steps[steps.length - 1]) continue;
      if (pendingText) {
        pendingText.text = `${pendingText.text ?? ""}${part.text ?? ""}`;
        if (part.thoughtSignature) pendingText.thoughtSignature = part.thoughtSignature;
        if (!step.mergeTextWithNext) {
          unaryParts.push(pendingText);
          pendingText = undefined;
        }
        continue;
      }
      if (step.mergeTextWithNext) pendingText = { ...part };
      else unaryParts.push({ ...part });
    }
  }
  const unaryCandidate: WireCandidate = { content: { parts: unaryParts, role: "model" }, index: 0 };
  if (finishes) unaryCandidate.finishReason = "STOP";
  if (grounded) unaryCandidate.groundingMetadata = grounded.metadata;
  const unary = withUsage(orderCandidate(unaryCandidate), usageFor(thoughts), request, responseId);
  const reported = region ? { region } : {};
  if (outcome === "vertex_chunks") {
    return { chunks: chunks.map((chunk) => asVertexChunk(chunk, options.seed)), unary: asVertexChunk(unary, options.seed), ...reported };
  }
  return { chunks, unary, ...reported };
}

/**
 * The region a request's mask marks, in pixels of the image the answer will have (or, for a text
 * answer, of the image it would edit). Undefined when the request carries no mask.
 */
async function readRegion(request: ResolvedRequest): Promise<UnderstoodRegion | undefined> {
  const edit = request.regionEdit;
  if (!edit) return undefined;
  const box = await maskBoundingBox(edit.mask.image.bytes);
  const base = edit.base?.info;
  const size = request.image ?? base ?? edit.mask.image.info ?? { width: 1, height: 1 };
  // A base this sharp build can't decode (HEIC) is left alone: the answer is then a plain image.
  return understoodRegion(box, size, edit.mask.number, base !== undefined);
}

/** What a Vertex-style proxy passes through: no candidate index, usage with only trafficType, a createTime. */
function asVertexChunk(chunk: WireResponse, seed: string): WireResponse {
  const createTime = new Date(Date.UTC(2026, 11, 1) + deterministicInt(`create:${seed}`, 0, 86_400_000)).toISOString();
  return {
    ...(chunk.candidates ? { candidates: chunk.candidates.map(({ index: _index, ...candidate }) => candidate) } : {}),
    usageMetadata: { trafficType: "ON_DEMAND" },
    modelVersion: chunk.modelVersion,
    createTime,
    responseId: chunk.responseId,
  };
}

/** Field order as the service serialises it, which keeps logs and diffs against recordings readable. */
function orderCandidate(candidate: WireCandidate): WireCandidate {
  return {
    content: candidate.content,
    ...(candidate.finishReason ? { finishReason: candidate.finishReason } : {}),
    ...(candidate.finishMessage ? { finishMessage: candidate.finishMessage } : {}),
    ...(candidate.groundingMetadata ? { groundingMetadata: candidate.groundingMetadata } : {}),
    ...(candidate.index === undefined ? {} : { index: candidate.index }),
  };
}
