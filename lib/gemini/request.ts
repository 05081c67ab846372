import "server-only";
import { ThinkingLevel as SdkThinkingLevel, type Content, type GenerateContentConfig, type Part, type Tool } from "@google/genai";
import type { ModelProfile } from "./catalog";
import { checkReferences, resolveEffectiveSettings, type EffectiveSettings } from "./settings";
import type { GenerationRequest, InputImageRole, ModelTurn, ReferenceImage, StoredPart, ThinkingLevel } from "./types";

export interface GenerateCall {
  model: string;
  contents: Content[];
  config: GenerateContentConfig;
}

export interface GenerationPlan {
  call: GenerateCall;
  effective: EffectiveSettings;
  /** Designer-facing notes about settings that were changed or inputs the model handles less well. */
  warnings: string[];
  /** Reasons the service would reject this request; when non-empty it must not be sent. */
  problems: string[];
}

const SDK_THINKING_LEVEL: Record<ThinkingLevel, SdkThinkingLevel> = {
  minimal: SdkThinkingLevel.MINIMAL,
  medium: SdkThinkingLevel.MEDIUM,
  high: SdkThinkingLevel.HIGH,
};

const ROLE_LABEL: Record<InputImageRole, string> = {
  object: "object reference",
  character: "character reference",
  style: "style reference",
  // The region edit's instruction (lib/studio/region-edit.ts) says what the mask's white area means;
  // the label tells the model this image is an instruction, not material to draw.
  mask: "mask",
};

export function buildGenerateCall(request: GenerationRequest, profile: ModelProfile): GenerateCall {
  return planGeneration(request, profile).call;
}

export function planGeneration(request: GenerationRequest, profile: ModelProfile): GenerationPlan {
  // A turn the model never answered (blocked, no image) has no parts to replay, and the API
  // rejects a content with empty parts; the exchange is left out of the conversation.
  const history = request.history.filter((turn) => turn.modelTurn.parts.length > 0);
  const hasInputImages =
    request.references.length > 0 ||
    history.some((turn) => turn.references.length > 0 || turn.modelTurn.parts.some((part) => part.inlineData !== undefined));
  const effective = resolveEffectiveSettings(request.settings, profile, { hasInputImages });
  const referenceCheck = checkReferences(request.references, profile);
  const problems = [...referenceCheck.errors];

  const contents: Content[] = [];
  for (const turn of history) {
    contents.push({ role: "user", parts: buildUserParts(turn.prompt, turn.references) });
    contents.push(replayModelTurn(turn.modelTurn));
  }
  const userParts = buildUserParts(request.prompt, request.references);
  if (userParts.length === 0) problems.push("Write a prompt or add a reference image.");
  contents.push({ role: "user", parts: userParts });

  return {
    call: { model: profile.id, contents, config: buildConfig(effective) },
    effective,
    warnings: [...effective.adjustments.map((adjustment) => adjustment.message), ...referenceCheck.warnings],
    problems,
  };
}

/**
 * The prompt, then each reference image. The API has no field for a reference's role, so a short
 * label before each image carries it, and lets the prompt say "image 2".
 */
export function buildUserParts(prompt: string, references: readonly ReferenceImage[]): Part[] {
  const parts: Part[] = [];
  if (prompt.trim() !== "") parts.push({ text: prompt });
  const labelled = references.length > 1 || references.some((reference) => reference.role);
  references.forEach((reference, index) => {
    if (labelled) {
      const role = reference.role ? ` (${ROLE_LABEL[reference.role]})` : "";
      parts.push({ text: `Image ${index + 1}${role}:` });
    }
    parts.push(referencePart(reference));
  });
  return parts;
}

/**
 * A reference image's part, one per byte array. A conversation's references come from the history
 * cache as the very same arrays at every follow-up (lib/server/jobs/history-cache.ts), so their
 * base64 is written once instead of at every turn (a 0.47 MB photo took most of the 6.6 ms the
 * request's planning took at turn 5 on the bench machine), and the part is frozen, which lets the
 * request stash keep its bytes beside it as it does for cached model turns (request-stash.ts).
 * Kept as long as the bytes are: the history cache counts an image 1 + 4/3 + 4/3 times for it.
 */
const referenceParts = new WeakMap<Uint8Array, Part>();

function referencePart(reference: ReferenceImage): Part {
  const known = referenceParts.get(reference.data);
  if (known?.inlineData?.mimeType === reference.mimeType) return known;
  const part: Part = Object.freeze({ inlineData: Object.freeze({ mimeType: reference.mimeType, data: toBase64(reference.data) }) });
  if (reference.data.byteLength > 0) referenceParts.set(reference.data, part);
  return part;
}

/**
 * An earlier model turn goes back exactly as it was received: every part, in order, with its
 * thoughtSignature on the same part. Gemini 3 answers 400 when an image part lost its signature.
 */
export function replayModelTurn(turn: ModelTurn): Content {
  return { role: "model", parts: turn.parts.map(toSdkPart) };
}

function toSdkPart(part: StoredPart): Part {
  // StoredPart is the wire part as parsed from JSON, which is what Part describes; the SDK
  // serializer copies the fields it knows and drops the rest.
  return part as Part;
}

function buildConfig(effective: EffectiveSettings): GenerateContentConfig {
  const config: GenerateContentConfig = {
    responseModalities: effective.imageOnly ? ["IMAGE"] : ["TEXT", "IMAGE"],
  };
  if (effective.aspectRatio || effective.imageSize) {
    config.imageConfig = {
      ...(effective.aspectRatio ? { aspectRatio: effective.aspectRatio } : {}),
      // Catalog sizes are already uppercase ("2K"); the API rejects "2k".
      ...(effective.imageSize ? { imageSize: effective.imageSize } : {}),
    };
  }
  if (effective.thinkingLevel || effective.includeThoughts) {
    config.thinkingConfig = {
      ...(effective.thinkingLevel ? { thinkingLevel: SDK_THINKING_LEVEL[effective.thinkingLevel] } : {}),
      ...(effective.includeThoughts ? { includeThoughts: true } : {}),
    };
  }
  const tool = searchTool(effective);
  if (tool) config.tools = [tool];
  return config;
}

function searchTool(effective: EffectiveSettings): Tool | null {
  if (!effective.webSearch && !effective.imageSearch) return null;
  // Without searchTypes the tool means web search, which every grounding model accepts; searchTypes
  // (an object of empty objects, as the SDK sends it) is only needed once image search is on.
  if (!effective.imageSearch) return { googleSearch: {} };
  return {
    googleSearch: {
      searchTypes: { ...(effective.webSearch ? { webSearch: {} } : {}), imageSearch: {} },
    },
  };
}

function toBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}
