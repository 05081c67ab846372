import "server-only";
import { bytesBehindData, isCanonicalBase64, withDataFromBytes } from "./base64";
import { errorFromService, type ServiceError } from "./errors";
import { readImageInfo } from "./image-size";
import type {
  GenerationEvent,
  GenerationOutcome,
  Grounding,
  GroundingSource,
  OutputImage,
  PixelSize,
  StoredPart,
  StudioError,
  Thought,
  Usage,
  UsageField,
} from "./types";

// Folds streamed generateContent chunks into one outcome. The wire shapes below are the subset the
// studio reads; the SDK's GenerateContentResponse and plain parsed recordings both satisfy them.

export interface WirePart {
  text?: string;
  inlineData?: { mimeType?: string; data?: string };
  thought?: boolean;
  thoughtSignature?: string;
}

export interface WireGroundingMetadata {
  webSearchQueries?: string[];
  imageSearchQueries?: string[];
  groundingChunks?: Array<{
    web?: { uri?: string; title?: string; domain?: string };
    image?: { sourceUri?: string; imageUri?: string; title?: string; domain?: string };
  }>;
  groundingSupports?: Array<{
    segment?: { startIndex?: number; endIndex?: number; text?: string };
    groundingChunkIndices?: number[];
  }>;
  searchEntryPoint?: { renderedContent?: string };
}

export interface WireUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
  candidatesTokensDetails?: Array<{ modality?: string; tokenCount?: number }>;
  /** What Google Search added to the prompt on grounded answers; part of totalTokenCount. */
  toolUsePromptTokenCount?: number;
  toolUsePromptTokensDetails?: Array<{ modality?: string; tokenCount?: number }>;
  /** Vertex-style proxies may send only this, with no counts at all. */
  trafficType?: string;
}

export interface WireChunk {
  candidates?: Array<{
    content?: { parts?: WirePart[]; role?: string };
    finishReason?: string;
    /** Google's own explanation (safety blocks, recitation); may hold markdown links. */
    finishMessage?: string;
    groundingMetadata?: WireGroundingMetadata;
    index?: number;
  }>;
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: WireUsage;
  modelVersion?: string;
  responseId?: string;
  /** An error event inside the stream (the SDK throws these; raw SSE readers see them as chunks). */
  error?: ServiceError;
}

export interface ResponseFolder {
  /** Adds one chunk and returns what the caller can show right away. */
  push(chunk: WireChunk): GenerationEvent[];
  /** The error event the stream carried, if any; later chunks are ignored. */
  readonly streamError: StudioError | null;
  /** True once a finish reason or a prompt block arrived: the stream was not cut short. */
  readonly complete: boolean;
  /** Chunks pushed so far, and whether any of them held an image (final or thought): what was paid for. */
  readonly chunkCount: number;
  readonly sawImage: boolean;
  finish(): GenerationOutcome;
}

/** Milliseconds since the request started. */
export type Clock = () => number;

export function createResponseFolder(requested: PixelSize | null, clock: Clock, warnings: readonly string[] = []): ResponseFolder {
  const parts: StoredPart[] = [];
  const images: OutputImage[] = [];
  const thoughts: Thought[] = [];
  const outcomeWarnings = [...warnings];
  let text = "";
  let grounding: WireGroundingMetadata | null = null;
  let usage: WireUsage | null = null;
  let finishReason: string | null = null;
  let finishMessage: string | null = null;
  let chunkCount = 0;
  let sawImage = false;
  let blockReason: string | null = null;
  let modelVersion: string | null = null;
  let responseId: string | null = null;
  let streamError: StudioError | null = null;
  let phase: "sending" | "thinking" | "rendering" = "sending";

  function enterPhase(next: "thinking" | "rendering", events: GenerationEvent[]) {
    if (phase === next || (phase === "rendering" && next === "thinking")) return;
    phase = next;
    events.push({ type: "phase", phase: next });
  }

  function push(chunk: WireChunk): GenerationEvent[] {
    const events: GenerationEvent[] = [];
    if (streamError) return events;
    if (chunk.error) {
      streamError = errorFromService(chunk.error.code ?? 500, chunk.error);
      return events;
    }
    chunkCount += 1;
    modelVersion = chunk.modelVersion ?? modelVersion;
    responseId = chunk.responseId ?? responseId;
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
    if (chunk.promptFeedback?.blockReason) blockReason = chunk.promptFeedback.blockReason;

    // The studio never asks for more than one candidate.
    const candidate = chunk.candidates?.[0];
    if (!candidate) return events;
    if (candidate.finishReason) finishReason = candidate.finishReason;
    if (candidate.finishMessage?.trim()) finishMessage = candidate.finishMessage;
    if (candidate.groundingMetadata) grounding = { ...grounding, ...candidate.groundingMetadata };

    for (const part of candidate.content?.parts ?? []) {
      // Data the stasher decoded from the wire (sse-stash.ts) comes with its bytes behind it.
      const behind = part.inlineData ? bytesBehindData(part.inlineData) : undefined;
      const bytes = behind ?? (part.inlineData?.data ? decodeBase64(part.inlineData.data) : null);
      if (bytes) sawImage = true;
      const partIndex = parts.push(storePart(part, bytes)) - 1;
      if (part.thought) {
        enterPhase("thinking", events);
        const thought = toThought(part, bytes, clock(), partIndex);
        if (thought) {
          thoughts.push(thought);
          events.push({ type: "thought", thought });
        }
        continue;
      }
      if (part.inlineData && bytes) {
        enterPhase("rendering", events);
        const image = toOutputImage(part.inlineData, bytes, requested, partIndex);
        images.push(image);
        events.push({ type: "image", image });
      } else if (part.text) {
        enterPhase("rendering", events);
        text += part.text;
        events.push({ type: "text", text: part.text });
      }
    }
    return events;
  }

  function finish(): GenerationOutcome {
    for (const image of images) {
      if (image.width === null || image.height === null) {
        outcomeWarnings.push(`Couldn't read the pixel size of the returned ${image.mimeType} image.`);
      } else if (image.sizeMismatch && image.requested) {
        outcomeWarnings.push(
          `Asked for ${image.requested.width}×${image.requested.height} but got ${image.width}×${image.height}: the service ignored the size or aspect ratio setting.`,
        );
      }
    }
    return {
      images: [...images],
      thoughts: [...thoughts],
      text,
      grounding: grounding ? normalizeGrounding(grounding) : null,
      usage: usage ? normalizeUsage(usage, { imagesReturned: images.length > 0 }) : null,
      finishReason,
      finishMessage,
      blockReason,
      modelVersion,
      responseId,
      modelTurn: { parts: [...parts] },
      warnings: outcomeWarnings,
    };
  }

  return {
    push,
    finish,
    get streamError() {
      return streamError;
    },
    get complete() {
      return finishReason !== null || blockReason !== null;
    },
    get chunkCount() {
      return chunkCount;
    },
    get sawImage() {
      return sawImage;
    },
  };
}

export interface FoldResult {
  outcome: GenerationOutcome;
  events: GenerationEvent[];
  streamError: StudioError | null;
  complete: boolean;
}

export function foldChunks(
  chunks: Iterable<WireChunk>,
  options: { requested?: PixelSize | null; clock?: Clock; warnings?: readonly string[] } = {},
): FoldResult {
  const folder = createResponseFolder(options.requested ?? null, options.clock ?? (() => 0), options.warnings);
  const events = [...chunks].flatMap((chunk) => folder.push(chunk));
  return { outcome: folder.finish(), events, streamError: folder.streamError, complete: folder.complete };
}

/**
 * A copy of the part as the service sent it, for replay. Parts are parsed JSON (the SDK hands
 * candidate content through untouched), so every field, known or not, is already JSON-safe.
 * An image's base64 is not kept beside its decoded bytes: it is encoded again when read, which
 * happens once, when the model turn is saved (a 2K image is 1.8 MB of base64 per running job).
 */
function storePart(part: WirePart, bytes: Uint8Array | null): StoredPart {
  const stored = { ...(part as StoredPart) };
  // Already encoded from its bytes on read (checked canonical when it was decoded).
  if (stored.inlineData && bytesBehindData(stored.inlineData)) return stored;
  if (bytes && stored.inlineData && isCanonicalBase64(stored.inlineData.data, bytes.byteLength)) {
    stored.inlineData = withDataFromBytes(stored.inlineData, bytes);
  }
  return stored;
}

function toThought(part: WirePart, bytes: Uint8Array | null, at: number, partIndex: number): Thought | null {
  if (part.inlineData && bytes) {
    const info = readImageInfo(bytes);
    return {
      kind: "image",
      mimeType: part.inlineData.mimeType ?? info?.mimeType ?? "application/octet-stream",
      data: bytes,
      width: info?.width ?? null,
      height: info?.height ?? null,
      at,
      partIndex,
    };
  }
  if (part.text) return { kind: "text", text: part.text, at };
  return null;
}

function toOutputImage(inlineData: { mimeType?: string }, data: Uint8Array, requested: PixelSize | null, partIndex: number): OutputImage {
  const info = readImageInfo(data);
  const width = info?.width ?? null;
  const height = info?.height ?? null;
  return {
    // The declared type wins: real responses are image/jpeg as often as image/png.
    mimeType: inlineData.mimeType ?? info?.mimeType ?? "application/octet-stream",
    data,
    width,
    height,
    requested,
    sizeMismatch: requested !== null && width !== null && height !== null && (width !== requested.width || height !== requested.height),
    partIndex,
  };
}

export function normalizeGrounding(metadata: WireGroundingMetadata): Grounding {
  const sources: GroundingSource[] = [];
  (metadata.groundingChunks ?? []).forEach((chunk, index) => {
    if (chunk.image) {
      sources.push({
        index,
        kind: "image",
        uri: chunk.image.sourceUri ?? chunk.image.imageUri ?? "",
        title: chunk.image.title ?? null,
        domain: chunk.image.domain ?? null,
        ...(chunk.image.imageUri ? { imageUri: chunk.image.imageUri } : {}),
      });
    } else if (chunk.web) {
      sources.push({
        index,
        kind: "web",
        uri: chunk.web.uri ?? "",
        title: chunk.web.title ?? null,
        domain: chunk.web.domain ?? null,
      });
    }
  });
  return {
    webQueries: [...(metadata.webSearchQueries ?? [])],
    imageQueries: [...(metadata.imageSearchQueries ?? [])],
    sources,
    supports: (metadata.groundingSupports ?? []).map((support) => ({
      // The service omits startIndex when it is 0 (proto3 default).
      startByte: support.segment?.startIndex ?? 0,
      endByte: support.segment?.endIndex ?? 0,
      text: support.segment?.text ?? "",
      sourceIndices: [...(support.groundingChunkIndices ?? [])],
    })),
    searchEntryPointHtml: metadata.searchEntryPoint?.renderedContent ?? null,
  };
}

/**
 * Usage as Google reported it, or null when it reported no counts at all (Vertex-style proxies send
 * only `trafficType`). Within a usage block a missing count is a zero (proto3 leaves zeros out:
 * NO_IMAGE answers have no candidatesTokenCount); only the image/text split of an answer with an
 * image but no candidatesTokensDetails is unknown, and is listed in `notReported`.
 */
export function normalizeUsage(usage: WireUsage, { imagesReturned = false }: { imagesReturned?: boolean } = {}): Usage | null {
  const counts = [usage.promptTokenCount, usage.candidatesTokenCount, usage.thoughtsTokenCount, usage.totalTokenCount, usage.toolUsePromptTokenCount];
  if (counts.every((count) => typeof count !== "number")) return null;
  const details = usage.candidatesTokensDetails;
  const byModality = (modality: string) =>
    (details ?? []).filter((detail) => detail.modality === modality).reduce((sum, detail) => sum + (detail.tokenCount ?? 0), 0);
  const outputTokens = usage.candidatesTokenCount ?? 0;
  const known = details !== undefined || !imagesReturned;
  return {
    promptTokens: usage.promptTokenCount ?? 0,
    outputTokens,
    imageTokens: details ? byModality("IMAGE") : 0,
    thoughtsTokens: usage.thoughtsTokenCount ?? 0,
    totalTokens: usage.totalTokenCount ?? 0,
    ...(usage.toolUsePromptTokenCount ? { toolUsePromptTokens: usage.toolUsePromptTokenCount } : {}),
    // Text-only answers carry no breakdown: everything they produced is text.
    textTokens: details ? byModality("TEXT") : known ? outputTokens : null,
    ...(known ? {} : { notReported: ["imageTokens", "textTokens"] satisfies UsageField[] }),
  };
}

function decodeBase64(data: string): Uint8Array {
  const buffer = Buffer.from(data, "base64");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
