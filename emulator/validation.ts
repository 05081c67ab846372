import { EmulatorApiError, invalidArgument, invalidJsonPayload } from "./errors";
import { fileIdFromUri, fileNotAccessible } from "./files";
import { inspectImage, type ImageInfo } from "./images";
import {
  closestAspectRatio,
  outputPixels,
  supportedAspectRatios,
  supportedImageSizes,
  SUPPORTED_INPUT_MIME_TYPES,
  type ImageModelSpec,
  type ImageSize,
  type TextModelSpec,
  type ThinkingLevel,
} from "./models";
import type { GenerateContentRequest, RequestContent, RequestPart } from "./request-schema";
import type { SearchTypes } from "./grounding";
import { verifySignature } from "./signatures";
import { stripFaultDirectives } from "./faults";
import { findMask, type MaskReference } from "./region";

/**
 * Semantic checks the real service makes after decoding the JSON, in roughly the same order, with
 * the same (or real-looking) messages. The result is everything the response builder needs.
 */

export interface InputImage {
  bytes: Buffer;
  mimeType: string;
  info: ImageInfo | undefined;
}

export interface ThinkingPlan {
  /** Whether the model thinks at all for this request (billed as thoughtsTokenCount). */
  thinks: boolean;
  level: ThinkingLevel | undefined;
  /** Thought summaries and interim images are only sent when asked for. */
  includeThoughts: boolean;
}

export interface ResolvedRequest {
  model: ImageModelSpec | TextModelSpec;
  /** The last user turn's text without fault directives. */
  prompt: string;
  userTurns: number;
  /** Inline images of the last user turn, in order. */
  references: InputImage[];
  wantsImage: boolean;
  wantsText: boolean;
  image: { size: ImageSize; aspectRatio: string; width: number; height: number } | undefined;
  thinking: ThinkingPlan;
  search: SearchTypes | undefined;
  promptTokens: { text: number; image: number };
  /** A region edit (region.ts): the mask the last user turn labels, and the image it applies to. */
  regionEdit: { mask: MaskReference; base: InputImage | undefined } | undefined;
}

export interface ValidationContext {
  apiVersion: string;
  enforceSignatures: boolean;
}

const THINKING_LEVELS: readonly string[] = ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"];
const MODALITIES: readonly string[] = ["MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"];
const DATA_FIELDS = [
  "text",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
  "toolCall",
  "toolResponse",
] as const;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function enumError(field: string, typeName: string, value: string, apiVersion: string): EmulatorApiError {
  return invalidJsonPayload([
    {
      field,
      description: `Invalid value at '${field}' (type.googleapis.com/google.ai.generativelanguage.${apiVersion}.${typeName}), "${value}"`,
    },
  ]);
}

function isUserRole(content: RequestContent): boolean {
  return content.role === undefined || content.role === "" || content.role === "user";
}

export function textTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(Buffer.byteLength(text, "utf8") / 4));
}

export function inputImageTokens(model: ImageModelSpec | TextModelSpec, info: ImageInfo | undefined): number {
  const rule = model.kind === "image" ? model.inputImageTokens : { perImage: 258, tiled: true };
  if (!rule.tiled || !info || (info.width <= 384 && info.height <= 384)) return rule.perImage;
  return Math.ceil(info.width / 768) * Math.ceil(info.height / 768) * rule.perImage;
}

/** The directive scan runs before validation, so it reads the raw (normalized) JSON loosely. */
export function lastUserText(json: unknown): string {
  if (json === null || typeof json !== "object" || !("contents" in json) || !Array.isArray(json.contents)) return "";
  const contents: unknown[] = json.contents;
  for (let i = contents.length - 1; i >= 0; i -= 1) {
    const content = contents[i];
    if (content === null || typeof content !== "object") continue;
    const role = "role" in content ? content.role : undefined;
    if (role !== undefined && role !== "" && role !== "user") continue;
    const parts = "parts" in content && Array.isArray(content.parts) ? (content.parts as unknown[]) : [];
    return parts
      .map((part) => (part !== null && typeof part === "object" && "text" in part && typeof part.text === "string" ? part.text : ""))
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

function checkStructure(contents: RequestContent[]): void {
  if (contents.length === 0) {
    throw invalidArgument("* GenerateContentRequest.contents: contents is not specified\n");
  }
  contents.forEach((content, i) => {
    if (!isUserRole(content) && content.role !== "model") {
      throw invalidArgument("Please use a valid role: user, model.");
    }
    const parts = content.parts ?? [];
    if (parts.length === 0) {
      throw invalidArgument(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`);
    }
    parts.forEach((part, j) => {
      if (!DATA_FIELDS.some((field) => part[field] !== undefined)) {
        throw invalidArgument(
          `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`,
        );
      }
      if (part.fileData) {
        // Live files were swapped for their bytes before validation (files.ts); what is left names none.
        const uri = typeof part.fileData.fileUri === "string" ? part.fileData.fileUri : "";
        throw fileNotAccessible(fileIdFromUri(uri));
      }
    });
  });
}

async function decodeInlineImage(part: RequestPart, i: number, j: number): Promise<InputImage | undefined> {
  const blob = part.inlineData;
  if (!blob) return undefined;
  const mimeType = (blob.mimeType ?? "").toLowerCase();
  if (!SUPPORTED_INPUT_MIME_TYPES.includes(mimeType)) {
    throw invalidArgument(`Unsupported MIME type: ${blob.mimeType ?? ""}`);
  }
  const data = blob.data ?? "";
  if (!BASE64.test(data)) {
    const field = `contents[${i}].parts[${j}].inline_data.data`;
    throw invalidJsonPayload([
      { field, description: `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed for "${data.slice(0, 40)}"` },
    ]);
  }
  const bytes = Buffer.from(data, data.includes("-") || data.includes("_") ? "base64url" : "base64");
  const info = bytes.length > 0 ? await inspectImage(bytes) : undefined;
  // This sharp build cannot decode HEVC-coded HEIC, so those are trusted rather than rejected.
  const heif = mimeType === "image/heic" || mimeType === "image/heif";
  if (!info && !(heif && bytes.length > 0)) {
    throw invalidArgument("Provided image is not valid.");
  }
  return { bytes, mimeType, info };
}

function resolveThinking(model: ImageModelSpec | TextModelSpec, request: GenerateContentRequest, apiVersion: string): ThinkingPlan {
  const config = request.generationConfig?.thinkingConfig ?? {};
  const includeThoughts = config.includeThoughts === true;
  const rawLevel = config.thinkingLevel;
  const budget = config.thinkingBudget;
  const configured = rawLevel !== undefined || budget !== undefined || config.includeThoughts !== undefined;

  if (model.kind === "image" && model.thinking.mode === "none") {
    if (configured) throw invalidArgument(`Thinking is not enabled for models/${model.id}`);
    return { thinks: false, level: undefined, includeThoughts: false };
  }
  if (rawLevel !== undefined && budget !== undefined) {
    throw invalidArgument("You can only set only one of thinking budget and thinking level.");
  }

  let level: ThinkingLevel | undefined;
  if (rawLevel !== undefined) {
    const upper = rawLevel.toUpperCase();
    if (!THINKING_LEVELS.includes(upper)) {
      throw enumError("generation_config.thinking_config.thinking_level", "ThinkingConfig.ThinkingLevel", rawLevel, apiVersion);
    }
    if (upper !== "THINKING_LEVEL_UNSPECIFIED") level = upper as ThinkingLevel;
  }

  if (model.kind === "text") {
    if (level) throw invalidArgument("Thinking level is not supported for this model.");
    return { thinks: budget !== 0, level: undefined, includeThoughts: includeThoughts && budget !== 0 };
  }

  const thinking = model.thinking;
  if (thinking.mode === "none") return { thinks: false, level: undefined, includeThoughts: false };
  if (level && !thinking.levels.includes(level)) {
    throw invalidArgument(
      `Thinking level ${level} is not supported for models/${model.id}. Supported levels: ${thinking.levels.join(", ")}.`,
    );
  }
  if (thinking.mode === "always") {
    if (budget === 0) throw invalidArgument("Budget 0 is invalid. This model only works in thinking mode.");
    return { thinks: true, level: "HIGH", includeThoughts };
  }
  // Gemini 3 still accepts the older budget knob: 0 means minimal, anything else full thinking.
  const effective: ThinkingLevel = level ?? (budget === undefined ? thinking.defaultLevel : budget === 0 ? "MINIMAL" : "HIGH");
  return { thinks: effective !== "MINIMAL" || includeThoughts, level: effective, includeThoughts };
}

function toolName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function resolveSearch(model: ImageModelSpec | TextModelSpec, request: GenerateContentRequest): SearchTypes | undefined {
  let search: SearchTypes | undefined;
  for (const tool of request.tools ?? []) {
    for (const key of Object.keys(tool)) {
      if (key === "googleSearchRetrieval") {
        throw invalidArgument("google_search_retrieval is not supported; please use google_search field instead.");
      }
      if (key === "googleSearch") {
        const types = tool.googleSearch?.searchTypes;
        const wantsImage = types?.imageSearch !== undefined;
        const wantsWeb = types === undefined || types.webSearch !== undefined || !wantsImage;
        if (model.kind === "image" && !model.grounding.webSearch) throw invalidArgument("Search Grounding is not supported.");
        if (wantsImage && (model.kind !== "image" || !model.grounding.imageSearch)) {
          throw invalidArgument(`Image Search is not supported for models/${model.id}.`);
        }
        search = { web: (search?.web ?? false) || wantsWeb, image: (search?.image ?? false) || wantsImage };
        continue;
      }
      if (model.kind === "image") {
        if (key === "functionDeclarations") throw invalidArgument(`Function calling is not enabled for models/${model.id}`);
        throw invalidArgument(`Tool use with ${toolName(key)} is not supported for models/${model.id}.`);
      }
    }
  }
  return search;
}

function resolveModalities(model: ImageModelSpec | TextModelSpec, request: GenerateContentRequest, apiVersion: string) {
  const requested = (request.generationConfig?.responseModalities ?? []).map((value, index) => {
    const upper = value.toUpperCase();
    if (!MODALITIES.includes(upper)) {
      throw enumError(`generation_config.response_modalities[${index}]`, "GenerationConfig.Modality", value, apiVersion);
    }
    return upper;
  });
  const effective = requested.filter((value) => value !== "MODALITY_UNSPECIFIED");
  const unsupported = effective.find((value) => value === "AUDIO" || (value === "IMAGE" && model.kind === "text"));
  if (unsupported) throw invalidArgument(`Model does not support the requested response modalities: ${unsupported.toLowerCase()}`);
  if (model.kind === "text") return { wantsImage: false, wantsText: true };
  if (effective.length === 0) return { wantsImage: true, wantsText: true };
  return { wantsImage: effective.includes("IMAGE"), wantsText: effective.includes("TEXT") };
}

function checkSignatures(contents: RequestContent[], images: Map<RequestPart, InputImage>): void {
  contents.forEach((content, i) => {
    if (content.role !== "model") return;
    (content.parts ?? []).forEach((part, j) => {
      const isFinalImage = part.inlineData !== undefined && part.thought !== true;
      if (isFinalImage && part.thoughtSignature === undefined) {
        throw invalidArgument(`Image part is missing a thought_signature in content position ${i + 1}, part position ${j + 1}.`);
      }
      if (part.thoughtSignature === undefined) return;
      const check = verifySignature(part.thoughtSignature, isFinalImage ? images.get(part)?.bytes : undefined);
      if (!check.valid) throw invalidArgument("Corrupted thought signature.");
    });
  });
}

export async function resolveRequest(
  model: ImageModelSpec | TextModelSpec,
  request: GenerateContentRequest,
  context: ValidationContext,
): Promise<ResolvedRequest> {
  const contents = request.contents ?? [];
  checkStructure(contents);

  const config = request.generationConfig ?? {};
  if (config.candidateCount !== undefined && config.candidateCount > 1) {
    throw invalidArgument(`Multiple candidates is not enabled for models/${model.id}`);
  }
  const { wantsImage, wantsText } = resolveModalities(model, request, context.apiVersion);

  let lastUserIndex = -1;
  contents.forEach((content, index) => {
    if (isUserRole(content)) lastUserIndex = index;
  });
  const lastUser = contents[lastUserIndex];
  const lastUserImages = (lastUser?.parts ?? []).filter((part) => part.inlineData !== undefined).length;
  if (model.kind === "image" && lastUserImages > model.maxReferenceImages) {
    throw invalidArgument(
      `Too many images in the request: ${lastUserImages} were provided, but models/${model.id} supports at most ${model.maxReferenceImages} images per turn.`,
    );
  }

  let image: ResolvedRequest["image"];
  const imageConfig = config.imageConfig;
  let size: ImageSize = "1K";
  let aspectRatio: string | undefined;
  if (model.kind === "image") {
    const sizes = supportedImageSizes(model);
    if (imageConfig?.imageSize !== undefined) {
      if (!(sizes as string[]).includes(imageConfig.imageSize)) {
        throw invalidArgument(
          `Unsupported image size: "${imageConfig.imageSize}". Supported image sizes for models/${model.id} are: ${sizes.map((value) => `"${value}"`).join(", ")}.`,
        );
      }
      size = imageConfig.imageSize as ImageSize;
    }
    if (imageConfig?.aspectRatio !== undefined) {
      const ratios = supportedAspectRatios(model);
      if (!ratios.includes(imageConfig.aspectRatio)) {
        throw invalidArgument(
          `Unsupported aspect ratio: "${imageConfig.aspectRatio}". Supported aspect ratios for models/${model.id} are: ${ratios.join(", ")}.`,
        );
      }
      aspectRatio = imageConfig.aspectRatio;
    }
  }

  const thinking = resolveThinking(model, request, context.apiVersion);
  const search = resolveSearch(model, request);

  const images = new Map<RequestPart, InputImage>();
  for (const [i, content] of contents.entries()) {
    for (const [j, part] of (content.parts ?? []).entries()) {
      const decoded = await decodeInlineImage(part, i, j);
      if (decoded) images.set(part, decoded);
    }
  }

  if (model.kind === "image" && model.signsOutput && context.enforceSignatures) checkSignatures(contents, images);

  const references = (lastUser?.parts ?? []).flatMap((part) => {
    const decoded = images.get(part);
    return decoded ? [decoded] : [];
  });

  const latestModelImage = contents
    .filter((content) => content.role === "model")
    .flatMap((content) => (content.parts ?? []).filter((part) => part.thought !== true))
    .map((part) => images.get(part))
    .filter((decoded): decoded is InputImage => decoded !== undefined)
    .at(-1);
  const mask = model.kind === "image" ? findMask(lastUser?.parts ?? [], images) : undefined;
  // The image a mask applies to: the model's last one, else the turn's first image that isn't the mask.
  const regionEdit = mask ? { mask, base: latestModelImage ?? references.find((reference) => reference !== mask.image) } : undefined;

  if (model.kind === "image" && wantsImage) {
    if (!aspectRatio) {
      // Without an aspect ratio the model matches the input image (the newest one it can see).
      const shape = references[0]?.info ?? latestModelImage?.info;
      aspectRatio = shape ? closestAspectRatio(model, shape.width, shape.height) : "1:1";
    }
    const pixels = outputPixels(model, size, aspectRatio);
    if (!pixels) throw invalidArgument(`Unsupported aspect ratio: "${aspectRatio}".`);
    image = { size, aspectRatio, ...pixels };
  }

  const allTexts = [...contents, ...(request.systemInstruction ? [request.systemInstruction] : [])].flatMap((content) =>
    (content.parts ?? []).map((part) => part.text ?? ""),
  );
  const promptTokens = {
    text: allTexts.reduce((sum, text) => sum + textTokens(text), 0),
    image: [...images.values()].reduce((sum, decoded) => sum + inputImageTokens(model, decoded.info), 0),
  };

  const prompt = stripFaultDirectives(
    (lastUser?.parts ?? [])
      .filter((part) => part.thought !== true && part.text !== undefined)
      .map((part) => part.text ?? "")
      .join("\n"),
  );

  return {
    model,
    prompt,
    userTurns: contents.filter(isUserRole).length,
    references,
    wantsImage: model.kind === "image" && wantsImage,
    wantsText: wantsText || !wantsImage,
    image,
    thinking,
    search,
    promptTokens,
    regionEdit,
  };
}
