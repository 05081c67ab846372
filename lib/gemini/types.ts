import * as z from "zod/mini";

// Studio-facing types for image generation. No SDK import: client components use these too. The
// schemas use zod/mini, the tree-shakable form of the same library: classic zod's chained methods
// cannot be dropped by the bundler and cost every page ~30 KB of gzipped JavaScript (bench/README,
// "Page weight, round 4"). Server code may still compose them with classic zod schemas.

export const IMAGE_SIZES = ["512", "1K", "2K", "4K"] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

export const ASPECT_RATIOS = [
  "1:1",
  "2:3",
  "3:2",
  "3:4",
  "4:3",
  "4:5",
  "5:4",
  "9:16",
  "16:9",
  "21:9",
  "1:4",
  "4:1",
  "1:8",
  "8:1",
] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export type AspectRatioSetting = AspectRatio | "match-input";

export const THINKING_LEVELS = ["minimal", "medium", "high"] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

/** The roles a designer gives a reference in the tray. */
export const REFERENCE_ROLES = ["object", "character", "style"] as const;
export type ReferenceRole = (typeof REFERENCE_ROLES)[number];
/**
 * A mask marks the area a region edit may change (lib/studio/region-edit.ts). The studio draws it
 * from the box the designer marks; nobody picks it in the tray.
 */
export const MASK_ROLE = "mask";
export type InputImageRole = ReferenceRole | typeof MASK_ROLE;

export const imageSizeSchema = z.enum(IMAGE_SIZES);
export const aspectRatioSchema = z.enum(ASPECT_RATIOS);
export const aspectRatioSettingSchema = z.union([aspectRatioSchema, z.literal("match-input")]);
export const thinkingLevelSchema = z.enum(THINKING_LEVELS);
export const referenceRoleSchema = z.enum(REFERENCE_ROLES);
export const inputImageRoleSchema = z.enum([...REFERENCE_ROLES, MASK_ROLE]);

export const generationSettingsSchema = z.object({
  model: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  imageSize: imageSizeSchema,
  aspectRatio: aspectRatioSettingSchema,
  thinkingLevel: z.optional(thinkingLevelSchema),
  showThoughts: z.boolean(),
  webSearch: z.boolean(),
  imageSearch: z.boolean(),
  imageOnly: z.boolean(),
});
export type GenerationSettings = z.infer<typeof generationSettingsSchema>;

export interface PixelSize {
  width: number;
  height: number;
}

export interface ReferenceImage {
  mimeType: string;
  data: Uint8Array;
  role?: InputImageRole;
  width?: number;
  height?: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One part of a model turn, exactly as the service sent it. Fields the studio does not know
 * (future part kinds, metadata) are kept too: the turn is replayed verbatim in later requests.
 */
export interface StoredPart {
  text?: string;
  inlineData?: { mimeType: string; data: string; [key: string]: JsonValue };
  thought?: boolean;
  /** Opaque and possibly ~600 KB; must go back on this same part, unchanged. */
  thoughtSignature?: string;
  [key: string]: JsonValue | undefined;
}

export interface ModelTurn {
  parts: StoredPart[];
  /**
   * The Interactions API's id for this answer (STUDIO_GEMINI_BACKEND=interactions): a follow-up
   * sends it as previous_interaction_id instead of replaying the parts. Absent for generateContent.
   */
  interactionId?: string;
}

export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every(isJsonValue);
  }
  return false;
}

function isStoredPart(value: unknown): value is StoredPart {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !isJsonValue(value)) return false;
  const part = value as Record<string, JsonValue>;
  const inline = part.inlineData;
  return (
    (part.text === undefined || typeof part.text === "string") &&
    (part.thought === undefined || typeof part.thought === "boolean") &&
    (part.thoughtSignature === undefined || typeof part.thoughtSignature === "string") &&
    (inline === undefined ||
      (typeof inline === "object" &&
        inline !== null &&
        !Array.isArray(inline) &&
        typeof inline.mimeType === "string" &&
        typeof inline.data === "string"))
  );
}

// Unknown keys are part of "exactly as received" and must survive a storage round trip, so this
// checks the known fields and JSON-safety instead of stripping to a fixed shape.
export const storedPartSchema = z.custom<StoredPart>(isStoredPart, { message: "Not a stored model part" });

export const modelTurnSchema = z.object({ parts: z.array(storedPartSchema), interactionId: z.optional(z.string().check(z.minLength(1), z.maxLength(500))) });

export interface HistoryTurn {
  prompt: string;
  references: ReferenceImage[];
  modelTurn: ModelTurn;
}

export interface GenerationRequest {
  history: HistoryTurn[];
  prompt: string;
  references: ReferenceImage[];
  settings: GenerationSettings;
}

export interface OutputImage {
  mimeType: string;
  data: Uint8Array;
  /** Decoded from the image header; null when the bytes are not a PNG, JPEG or WebP the studio can read. */
  width: number | null;
  height: number | null;
  /** The pixel size the catalog says the settings produce; null when not known (e.g. "match input"). */
  requested: PixelSize | null;
  /** True when the service returned another size than asked: it ignored a size or aspect ratio setting. */
  sizeMismatch: boolean;
  /** Where the image's part sits in the outcome's modelTurn.parts (set by the response folder). */
  partIndex?: number;
}

export type Thought =
  | { kind: "text"; text: string; at: number }
  | { kind: "image"; mimeType: string; data: Uint8Array; width: number | null; height: number | null; at: number; partIndex?: number };

export interface GroundingSource {
  index: number;
  kind: "web" | "image";
  uri: string;
  title: string | null;
  domain: string | null;
  imageUri?: string;
}

export interface GroundingSupport {
  /** UTF-8 byte offsets into the model's text, as the service counts them. */
  startByte: number;
  endByte: number;
  text: string;
  sourceIndices: number[];
}

export interface Grounding {
  webQueries: string[];
  imageQueries: string[];
  sources: GroundingSource[];
  supports: GroundingSupport[];
  /** Google's search-suggestions widget (HTML + CSS); its terms require showing it with grounded results. */
  searchEntryPointHtml: string | null;
}

export type UsageField = "promptTokens" | "outputTokens" | "imageTokens" | "textTokens" | "totalTokens";

/** Token counts as Google reported them. Fields added later are optional: older turns lack them. */
export interface Usage {
  promptTokens: number;
  /** Everything the candidate produced (image + text), thinking excluded. */
  outputTokens: number;
  imageTokens: number;
  thoughtsTokens: number;
  /** Google's total: prompt + output + thinking + search tool tokens. */
  totalTokens: number;
  /** Prompt tokens added by Google Search grounding, billed as input; absent in turns recorded before it was read. */
  toolUsePromptTokens?: number;
  /** Text output; null when Google gave no per-modality breakdown. */
  textTokens?: number | null;
  /** Counts Google did not send: shown as "not reported", never as 0. */
  notReported?: UsageField[];
}

export interface GenerationOutcome {
  images: OutputImage[];
  thoughts: Thought[];
  text: string;
  grounding: Grounding | null;
  usage: Usage | null;
  finishReason: string | null;
  /** Google's own explanation of the finish (safety blocks, recitation), verbatim; may hold markdown links. */
  finishMessage?: string | null;
  blockReason: string | null;
  modelVersion: string | null;
  responseId: string | null;
  modelTurn: ModelTurn;
  warnings: string[];
}

export const STUDIO_ERROR_CODES = [
  "invalid_key",
  "key_blocked",
  "model_access",
  "model_retired",
  "invalid_request",
  "request_too_large",
  "quota_exhausted",
  "safety_block",
  "no_image",
  "service_unavailable",
  "timeout",
  "incomplete",
  "network",
  "cancelled",
  "internal",
] as const;
export type StudioErrorCode = (typeof STUDIO_ERROR_CODES)[number];

export interface StudioError {
  code: StudioErrorCode;
  /** What happened, for a designer. */
  message: string;
  /** What to do next. */
  action: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** The service's own reason, safe to show (never contains the key). */
  detail?: string;
  httpStatus?: number;
  replacementModel?: string;
  finishReason?: string;
  blockReason?: string;
  /** What the model said instead of drawing, if anything. */
  modelText?: string;
  /** The control the service's complaint is about, and the setting change that answers it. */
  fix?: StudioFix;
}

/**
 * Errors that would come back the same if the identical request were sent again: the way forward
 * is to edit the prompt, settings or key, never a bare resend. Here rather than in errors.ts
 * (server-only) because the turn view picks its button with it.
 */
export function needsEdit(error: Pick<StudioError, "code">): boolean {
  return (
    error.code === "invalid_key" ||
    error.code === "key_blocked" ||
    error.code === "invalid_request" ||
    error.code === "safety_block" ||
    error.code === "model_access" ||
    error.code === "model_retired"
  );
}

export const FIX_CONTROLS = ["thinking", "imageSize", "aspectRatio", "search", "references", "prompt"] as const;
export type FixControl = (typeof FIX_CONTROLS)[number];

export interface StudioFix {
  control: FixControl;
  /** One-click label, e.g. "Use thinking level High and retry"; for edits with no setting change, what to edit. */
  label: string;
  /** The settings to change before sending again; absent when the designer has to edit (references, prompt). */
  settings?: Partial<Omit<GenerationSettings, "model">>;
}

export type GenerationPhase = "sending" | "thinking" | "rendering";

export type GenerationEvent =
  | { type: "attempt"; attempt: number; maxAttempts: number }
  /** `attempt` is the attempt that will start after `delayMs`. */
  | { type: "retry"; attempt: number; maxAttempts: number; delayMs: number; error: StudioError }
  | { type: "phase"; phase: GenerationPhase }
  | { type: "thought"; thought: Thought }
  | { type: "text"; text: string }
  | { type: "image"; image: OutputImage };
