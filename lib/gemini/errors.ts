import "server-only";

import { MODEL_CATALOG, findModel, resolveModel, type ModelProfile } from "./catalog";
import type { GenerationOutcome, GenerationSettings, StudioError, StudioErrorCode, StudioFix, ThinkingLevel } from "./types";

import { isMalformedAnswer, malformedAnswerError } from "./unusable-answer";

export { needsEdit } from "./types";

// One closed set of errors with copy a designer understands. No SDK import: the UI reads the copy
// table, and the SDK's ApiError is recognised by shape (name + numeric status), which also holds
// when two copies of the SDK are bundled.

export interface ErrorCopy {
  title: string;
  message: string;
  action: string;
  retryable: boolean;
}

export const ERROR_COPY: Record<StudioErrorCode, ErrorCopy> = {
  invalid_key: {
    title: "API key not accepted",
    message: "Google didn't accept the studio's Gemini API key.",
    action: "Check GEMINI_API_KEY on the server (copy it again from Google AI Studio) and restart the studio.",
    retryable: false,
  },
  key_blocked: {
    title: "API key blocked",
    message: "Google has blocked this API key, for example because it was reported as leaked or is restricted.",
    action: "Create a new key in Google AI Studio, put it in GEMINI_API_KEY and restart the studio.",
    retryable: false,
  },
  model_access: {
    title: "No access to this model",
    message: "This API key can't use the selected model.",
    action: "Pick another model, or enable billing for the key's project in Google AI Studio.",
    retryable: false,
  },
  model_retired: {
    title: "Model retired",
    message: "Google has retired the selected model.",
    action: "Switch to its replacement in the model menu.",
    retryable: false,
  },
  invalid_request: {
    title: "Request rejected",
    message: "Google rejected the request.",
    action: "Change the setting or input named in the details and try again.",
    retryable: false,
  },
  request_too_large: {
    title: "Conversation too large",
    message:
      "This conversation has grown past the 100 MB Google accepts in one request: every new turn sends each earlier image and its signature again.",
    action: "Continue in a new session from this image.",
    retryable: false,
  },
  quota_exhausted: {
    title: "Usage limit reached",
    message: "This API key has used up its quota for now.",
    action: "Wait a little and try again, or raise the quota or enable billing in Google AI Studio.",
    retryable: true,
  },
  safety_block: {
    title: "Blocked by safety filters",
    message: "Google's safety filters blocked this request.",
    action: "Rephrase the prompt or change the reference images, then try again.",
    retryable: false,
  },
  no_image: {
    title: "No image returned",
    message: "The model answered without an image.",
    action: "Try again, or say explicitly in the prompt that you want an image.",
    retryable: false,
  },
  service_unavailable: {
    title: "Google is busy",
    message: "Google's image service is overloaded or had an internal error.",
    action: "Try again in a minute.",
    retryable: true,
  },
  timeout: {
    title: "Took too long",
    message: "The model took too long to answer.",
    action: "Try again; smaller sizes and less thinking are faster.",
    retryable: true,
  },
  incomplete: {
    title: "Answer ended early",
    message: "Google's answer ended before the model said it was finished.",
    action: "Retry sends the request again; Google may bill the thinking of the first attempt too.",
    retryable: false,
  },
  network: {
    title: "Connection problem",
    message: "The studio couldn't reach Google, or the connection dropped mid-answer.",
    action: "Check the server's internet connection and try again.",
    retryable: true,
  },
  cancelled: {
    title: "Cancelled",
    message: "Generation was cancelled.",
    action: "Start it again when you're ready.",
    retryable: false,
  },
  internal: {
    title: "Something went wrong",
    message: "Something went wrong inside the studio.",
    action: "Try again; if it keeps happening, report it with the details.",
    retryable: false,
  },
};

export function createStudioError(code: StudioErrorCode, extra: Partial<Omit<StudioError, "code">> = {}): StudioError {
  const copy = ERROR_COPY[code];
  const error: StudioError = { code, message: copy.message, action: copy.action, retryable: copy.retryable };
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) Object.assign(error, { [key]: value });
  }
  if (error.detail) error.detail = redactSecrets(error.detail);
  return error;
}

// ---------------------------------------------------------------------------------------------
// The service's error body: {"error": {"code", "message", "status", "details"}}

export interface ServiceErrorDetail {
  "@type"?: string;
  reason?: string;
  retryDelay?: string | { seconds?: number | string; nanos?: number };
  violations?: Array<{ quotaId?: string; quotaMetric?: string; description?: string }>;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

export interface ServiceError {
  code?: number;
  message?: string;
  status?: string;
  details?: ServiceErrorDetail[];
}

/**
 * Reads the error JSON out of an ApiError message. For an HTTP error the message is the body; for
 * an error event inside a stream the SDK prefixes it ("got status: UNAVAILABLE. {...}").
 */
export function parseServiceError(message: string): ServiceError | null {
  const start = message.indexOf("{");
  if (start < 0) return null;
  try {
    const parsed: unknown = JSON.parse(message.slice(start));
    if (typeof parsed !== "object" || parsed === null || !("error" in parsed)) return null;
    const error = (parsed as { error: unknown }).error;
    if (typeof error !== "object" || error === null) return null;
    return error as ServiceError;
  } catch {
    return null;
  }
}

/** RetryInfo.retryDelay is a protobuf Duration: "34.4s" in JSON, {seconds, nanos} in some clients. */
export function parseRetryDelay(value: ServiceErrorDetail["retryDelay"]): number | null {
  if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
    return match ? Math.round(Number(match[1]) * 1000) : null;
  }
  if (value && typeof value === "object") {
    const seconds = Number(value.seconds ?? 0);
    const nanos = Number(value.nanos ?? 0);
    if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) return null;
    return Math.round(seconds * 1000 + nanos / 1e6);
  }
  return null;
}

const KEY_INVALID_REASONS = new Set(["API_KEY_INVALID", "API_KEY_EXPIRED"]);
const KEY_BLOCKED_REASONS = new Set([
  "API_KEY_SERVICE_BLOCKED",
  "API_KEY_HTTP_REFERRER_BLOCKED",
  "API_KEY_IP_ADDRESS_BLOCKED",
  "API_KEY_ANDROID_APP_BLOCKED",
  "API_KEY_IOS_APP_BLOCKED",
  "CONSUMER_SUSPENDED",
]);

export interface ErrorContext {
  /** The model id the request named, to name a replacement when it turns out to be retired. */
  model?: string;
  catalog?: readonly ModelProfile[];
  /** Why our own AbortController fired, when it did. */
  abortReason?: "cancelled" | "timeout";
  /** The settings the request was sent with, to propose a concrete change for a rejected one. */
  settings?: GenerationSettings;
}

export function errorFromService(httpStatus: number, body: ServiceError | null, context: ErrorContext = {}): StudioError {
  const status = body?.status ?? "";
  const serviceMessage = body?.message?.trim() || undefined;
  const details = body?.details ?? [];
  const reasons = details.map((detail) => detail.reason).filter((reason): reason is string => Boolean(reason));
  const base = { httpStatus, detail: serviceMessage };

  if (/leaked/i.test(serviceMessage ?? "")) {
    return createStudioError("key_blocked", {
      ...base,
      message: "Google reported this API key as leaked and no longer accepts it.",
      action: "Create a new key in Google AI Studio, put it in GEMINI_API_KEY and restart the studio; delete the leaked one.",
    });
  }
  if (reasons.some((reason) => KEY_BLOCKED_REASONS.has(reason))) {
    const service = details.find((detail) => detail.reason === "API_KEY_SERVICE_BLOCKED");
    return createStudioError("key_blocked", {
      ...base,
      ...(service
        ? {
            message: "This API key is restricted to other Google APIs: it may not call the Gemini API.",
            action:
              "In Google Cloud console → APIs & Services → Credentials, allow the Generative Language API for this key (or create an unrestricted Gemini key in Google AI Studio), then restart the studio.",
          }
        : {}),
    });
  }
  if (reasons.some((reason) => KEY_INVALID_REASONS.has(reason)) || httpStatus === 401 || status === "UNAUTHENTICATED") {
    return createStudioError("invalid_key", base);
  }
  if (httpStatus === 429 || status === "RESOURCE_EXHAUSTED") return quotaError(details, base);
  if (httpStatus === 404 || status === "NOT_FOUND") return notFoundError(context, base);
  if (httpStatus === 403 && /permission to access the File\b/.test(serviceMessage ?? "")) {
    // STUDIO_GEMINI_FILES: a file the studio uploaded is gone even after the one re-upload (files.ts).
    return createStudioError("internal", {
      ...base,
      message: "Google no longer has an image the studio uploaded for this conversation, even after uploading it again.",
      action: "Try again: the studio uploads it once more. If it keeps happening, set STUDIO_GEMINI_FILES=0.",
    });
  }
  if (httpStatus === 403 || status === "PERMISSION_DENIED" || status === "FAILED_PRECONDITION") {
    // FAILED_PRECONDITION is how the API says "not in your region" or "enable billing for this model".
    return createStudioError("model_access", {
      ...base,
      message: context.model ? `This API key can't use ${context.model}.` : ERROR_COPY.model_access.message,
    });
  }
  if (httpStatus === 499 || status === "CANCELLED") return createStudioError("cancelled", base);
  if (httpStatus === 408 || httpStatus === 504 || status === "DEADLINE_EXCEEDED") return createStudioError("timeout", base);
  if (httpStatus >= 500) return createStudioError("service_unavailable", base);
  // Google's wording for a body over its inline limit ("Request payload size exceeds the limit:
  // 104857600 bytes."); a proxy in front of it may say 413 instead.
  if (httpStatus === 413 || /request payload size exceeds the limit/i.test(serviceMessage ?? "")) {
    return createStudioError("request_too_large", base);
  }
  if (httpStatus >= 400) {
    const text = [serviceMessage ?? "", ...fieldViolations(details)].join("\n");
    const setting = settingNamedBy(text);
    const fix = fixForRejection(text, context);
    return createStudioError("invalid_request", {
      ...base,
      ...(setting ? { action: setting } : {}),
      ...(fix ? { fix } : {}),
    });
  }
  return createStudioError("internal", base);
}

/** google.rpc.BadRequest lists the offending fields; the message alone sometimes doesn't. */
function fieldViolations(details: ServiceErrorDetail[]): string[] {
  const out: string[] = [];
  for (const detail of details) {
    const violations = detail.fieldViolations;
    if (!Array.isArray(violations)) continue;
    for (const violation of violations as unknown[]) {
      if (typeof violation !== "object" || violation === null) continue;
      const { field, description } = violation as { field?: unknown; description?: unknown };
      out.push([field, description].filter((part): part is string => typeof part === "string").join(": "));
    }
  }
  return out;
}

// The wire names (snake_case in messages, camelCase in field paths) of what a designer can change,
// with the control that changes it. First match wins, so the specific ones come first.
const SETTING_HINTS: Array<[RegExp, string]> = [
  [/thought_?signature/i, "The conversation can't be continued as it is: use the image as a reference in a new conversation."],
  [/aspect_?ratio/i, "Change the aspect ratio setting and try again."],
  [/image_?size/i, "Change the output size setting and try again."],
  [/thinking_?(level|config)|include_?thoughts/i, "Change the thinking setting (or turn Show thoughts off) and try again."],
  [/google_?search|search_?types|\btools\b/i, "Turn Google Search grounding (and Image Search) off and try again."],
  [/response_?modalities/i, "Change the Image only setting and try again."],
  [/inline_?data|mime_?type|\bimage\b.*(too large|size|format)/i, "Change or remove the reference images and try again."],
  [/token|too long|contents/i, "Shorten the prompt or remove reference images, then try again."],
];

function settingNamedBy(text: string): string | null {
  const control = controlNamedBy(text);
  if (control && !/thought_?signature/i.test(text)) return CONTROL_HINTS[control];
  for (const [pattern, action] of SETTING_HINTS) if (pattern.test(text)) return action;
  return null;
}

const CONTROL_HINTS: Record<StudioFix["control"], string> = {
  thinking: "Change the thinking setting (or turn Show thoughts off) and try again.",
  imageSize: "Change the output size setting and try again.",
  aspectRatio: "Change the aspect ratio setting and try again.",
  search: "Turn Google Search grounding (and Image Search) off and try again.",
  references: "Change or remove the reference images and try again.",
  prompt: "Shorten the prompt or remove reference images, then try again.",
};

/**
 * Google words request errors about the concept in plain English ("Thinking level is not
 * supported for this model", "only one of thinking budget and thinking level", "Unsupported
 * aspect ratio"), sometimes with the wire name (thinking_level, image_size, aspectRatio). Each
 * control is recognised by meaning, in any of those spellings. Order matters: a message about
 * "image search" concerns Search, not the reference images.
 */
const CONTROL_PATTERNS: Array<[StudioFix["control"], RegExp]> = [
  ["thinking", /\bthinking[\s_-]*(level|budget|config|mode)\b|\bthinking\b.*\b(not (supported|enabled)|only works)|include[\s_-]*thoughts|\bthoughts?\b.*\bnot supported/i],
  ["search", /google[\s_-]*search|search[\s_-]*(grounding|types?|tool)|\bgrounding\b|\b(image|web)[\s_-]*search\b|\btools?\b.*not supported/i],
  ["aspectRatio", /aspect[\s_-]*ratio|\bratio\b.*\b(not supported|unsupported|invalid)|\b\d{1,2}:\d{1,2}\b.*\b(not supported|unsupported)/i],
  ["imageSize", /image[\s_-]*size|output[\s_-]*size|\bresolution\b|\b(512|1K|2K|4K)\b.*\b(not supported|unsupported|only)\b/i],
  [
    "references",
    /inline[\s_-]*data|mime[\s_-]*type|reference[\s_-]*images?|input[\s_-]*images?|too many images|number of images|provided image|image (is|was) (not valid|invalid|too large|corrupt)|unsupported image/i,
  ],
  ["prompt", /\btoo long\b|token (limit|count)|exceeds the maximum number of tokens|input token/i],
];

export function controlNamedBy(text: string): StudioFix["control"] | null {
  for (const [control, pattern] of CONTROL_PATTERNS) if (pattern.test(text)) return control;
  return null;
}

const LEVEL_LABEL: Record<ThinkingLevel, string> = { minimal: "Minimal", medium: "Medium", high: "High" };

/**
 * The setting change that answers a rejected request, offered as one click. Without the settings
 * the request used, only the control is named (the designer edits it).
 */
export function fixForRejection(text: string, context: ErrorContext = {}): StudioFix | undefined {
  if (/thought_?signature/i.test(text)) return undefined;
  const control = controlNamedBy(text);
  if (!control) return undefined;
  const settings = context.settings;
  const profile = findModel(settings?.model ?? context.model ?? "", context.catalog ?? MODEL_CATALOG);
  if (!settings) return { control, label: `Edit the ${CONTROL_NAMES[control]} and retry` };

  switch (control) {
    case "thinking": {
      const levels = profile?.thinking.levels ?? [];
      // "Only one of budget and level": the studio only sends a level, so the level is what to drop.
      const tooMany = /only (set )?(only )?one of|both .*budget|budget and (a )?(thinking )?level/i.test(text);
      const other = tooMany ? undefined : pickLevel(levels, settings.thinkingLevel);
      if (other) return { control, label: `Use thinking level ${LEVEL_LABEL[other]} and retry`, settings: { thinkingLevel: other } };
      return {
        control,
        label: "Let the model choose its thinking and retry",
        settings: { thinkingLevel: undefined, ...(profile?.thinking.canShowThoughts === false ? { showThoughts: false } : {}) },
      };
    }
    case "imageSize": {
      const sizes = profile?.imageSizes ?? ["1K"];
      const next = [profile?.defaultImageSize ?? "1K", ...sizes].find((size) => size !== settings.imageSize && sizes.includes(size)) ?? "1K";
      return { control, label: `Use output size ${next} and retry`, settings: { imageSize: next } };
    }
    case "aspectRatio": {
      const ratio = profile?.defaultAspectRatio ?? "1:1";
      return { control, label: `Use aspect ratio ${ratio} and retry`, settings: { aspectRatio: ratio } };
    }
    case "search": {
      const imageOnly = /image[\s_-]*search/i.test(text) && settings.webSearch;
      return imageOnly
        ? { control, label: "Turn Image Search off and retry", settings: { imageSearch: false } }
        : { control, label: "Turn Google Search off and retry", settings: { webSearch: false, imageSearch: false } };
    }
    case "references":
      return { control, label: "Edit the reference images and retry" };
    case "prompt":
      return { control, label: "Shorten the prompt and retry" };
  }
}

const CONTROL_NAMES: Record<StudioFix["control"], string> = {
  thinking: "Thinking setting",
  imageSize: "output size",
  aspectRatio: "aspect ratio",
  search: "Google Search setting",
  references: "reference images",
  prompt: "prompt",
};

/** Another level the model accepts, High first (the one every thinking image model has offered). */
function pickLevel(levels: readonly ThinkingLevel[], current: ThinkingLevel | undefined): ThinkingLevel | undefined {
  const preference: ThinkingLevel[] = ["high", "medium", "minimal"];
  return preference.find((level) => level !== current && levels.includes(level));
}

function quotaError(details: ServiceErrorDetail[], base: { httpStatus: number; detail?: string }): StudioError {
  let retryAfterMs: number | undefined;
  const quotaIds: string[] = [];
  for (const detail of details) {
    const delay = parseRetryDelay(detail.retryDelay);
    if (delay !== null) retryAfterMs = delay;
    for (const violation of detail.violations ?? []) if (violation.quotaId) quotaIds.push(violation.quotaId);
  }
  // A per-day quota does not come back within any retry budget worth waiting for.
  const daily = quotaIds.some((quotaId) => /PerDay/i.test(quotaId));
  const wait = retryAfterMs !== undefined ? formatWait(retryAfterMs) : null;
  return createStudioError("quota_exhausted", {
    ...base,
    detail: [base.detail, ...quotaIds.map((quotaId) => `Quota: ${quotaId}`)].filter(Boolean).join("\n") || undefined,
    retryable: !daily,
    retryAfterMs,
    message: daily ? "This API key has used up its daily quota." : ERROR_COPY.quota_exhausted.message,
    action: daily
      ? "Try again tomorrow, or enable billing or raise the quota in Google AI Studio."
      : wait
        ? `Try again in ${wait}, or raise the quota or enable billing in Google AI Studio.`
        : ERROR_COPY.quota_exhausted.action,
  });
}

function notFoundError(context: ErrorContext, base: { httpStatus: number; detail?: string }): StudioError {
  const catalog = context.catalog ?? MODEL_CATALOG;
  if (context.model) {
    const resolution = resolveModel(context.model, catalog);
    const profile = resolution.profile;
    const replacementId =
      resolution.retired?.replacementId ??
      (profile && profile.status.stage !== "stable" && profile.status.stage !== "preview" ? profile.status.replacement : null);
    if (replacementId) return retiredModelError(context.model, replacementId, catalog, base);
  }
  return createStudioError("model_access", {
    ...base,
    message: context.model
      ? `${context.model} isn't available to this API key, or Google no longer offers it.`
      : ERROR_COPY.model_access.message,
    action: "Pick another model; the model menu lists those this key can use.",
  });
}

export function retiredModelError(
  model: string,
  replacementId: string | null,
  catalog: readonly ModelProfile[] = MODEL_CATALOG,
  extra: Partial<StudioError> = {},
): StudioError {
  const replacement = replacementId ? catalog.find((profile) => profile.id === replacementId) : undefined;
  const replacementName = replacement
    ? replacement.displayName
    : (replacementId ?? "another model");
  return createStudioError("model_retired", {
    ...extra,
    message: `Google has retired ${model}.`,
    action: `Switch to ${replacementName}.`,
    replacementModel: replacementId ?? undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Anything thrown while calling the service

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

// Messages undici and the SDK's SSE reader use when a connection ends early.
const DROPPED_MESSAGES = [/^terminated$/i, /other side closed/i, /incomplete json segment/i, /response body is empty/i, /socket hang up/i];

export function isStudioError(value: unknown): value is StudioError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<StudioError>;
  return typeof candidate.code === "string" && candidate.code in ERROR_COPY && typeof candidate.message === "string";
}

export function toStudioError(error: unknown, context: ErrorContext = {}): StudioError {
  if (isStudioError(error)) return error;
  if (context.abortReason === "cancelled") return createStudioError("cancelled");
  if (context.abortReason === "timeout") return createStudioError("timeout");
  if (!(error instanceof Error)) return createStudioError("internal", { detail: String(error) });

  const status = (error as { status?: unknown }).status;
  if (error.name === "ApiError" && typeof status === "number") {
    return errorFromService(status, parseServiceError(error.message), context);
  }
  if (error.name === "AbortError" || error.name === "TimeoutError") {
    return createStudioError(error.name === "TimeoutError" ? "timeout" : "cancelled");
  }
  if (isNetworkError(error)) return createStudioError("network", { detail: networkDetail(error) });
  // The SDK validates some options client-side ("... parameter is only supported in ... mode").
  if (/is only supported in|is not supported in Gemini API/i.test(error.message)) {
    return createStudioError("invalid_request", { detail: error.message });
  }
  if (isMalformedAnswer(error)) return malformedAnswerError();
  if (/exception parsing stream chunk/i.test(error.message)) {
    return createStudioError("service_unavailable", { detail: "The service sent a malformed streamed response." });
  }
  return createStudioError("internal", { detail: error.message });
}

function isNetworkError(error: Error): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (DROPPED_MESSAGES.some((pattern) => pattern.test(current instanceof Error ? current.message : ""))) return true;
    if (current.name === "TypeError" && /fetch failed/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

function networkDetail(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause ? (cause as { code?: unknown }).code : undefined;
  return [error.message, cause?.message, typeof code === "string" ? `(${code})` : null].filter(Boolean).join(": ");
}

// ---------------------------------------------------------------------------------------------
// A response that arrived but holds no image

interface SafetyReason {
  subject: "prompt" | "image" | "response";
  label: string;
}

const SAFETY_REASONS: Record<string, SafetyReason> = {
  SAFETY: { subject: "response", label: "safety filters" },
  PROHIBITED_CONTENT: { subject: "response", label: "prohibited content" },
  BLOCKLIST: { subject: "response", label: "a blocked term" },
  SPII: { subject: "response", label: "sensitive personal information" },
  RECITATION: { subject: "response", label: "too close to existing material" },
  IMAGE_SAFETY: { subject: "image", label: "image safety filters" },
  IMAGE_PROHIBITED_CONTENT: { subject: "image", label: "prohibited content" },
  IMAGE_RECITATION: { subject: "image", label: "too close to an existing image" },
  JAILBREAK: { subject: "prompt", label: "prompt-injection protection" },
  MODEL_ARMOR: { subject: "prompt", label: "prompt screening" },
  OTHER: { subject: "prompt", label: "an unspecified policy" },
};

const SUBJECT_TEXT: Record<SafetyReason["subject"], string> = {
  prompt: "your prompt",
  image: "the generated image",
  response: "the response",
};

/** A safety block, a refusal or a text-only answer becomes an error; an outcome with an image does not. */
export function errorFromOutcome(outcome: GenerationOutcome): StudioError | null {
  if (outcome.images.length > 0) return null;
  const modelText = outcome.text.trim() || undefined;
  if (outcome.blockReason) {
    const reason = SAFETY_REASONS[outcome.blockReason] ?? { subject: "prompt", label: outcome.blockReason.toLowerCase() };
    return createStudioError("safety_block", {
      message: `Google blocked your prompt (${reason.label}).`,
      blockReason: outcome.blockReason,
      modelText,
    });
  }
  const finishReason = outcome.finishReason ?? undefined;
  if (finishReason && finishReason !== "OTHER" && SAFETY_REASONS[finishReason]) {
    const reason = SAFETY_REASONS[finishReason];
    return createStudioError("safety_block", {
      message: `Google blocked ${SUBJECT_TEXT[reason.subject]} (${reason.label}).`,
      finishReason,
      modelText,
    });
  }
  return createStudioError("no_image", {
    message: modelText ? "The model answered with text instead of an image." : ERROR_COPY.no_image.message,
    finishReason,
    modelText,
  });
}

export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

/** Keys never belong in text shown to a designer or written to a log. */
export function redactSecrets(text: string): string {
  return text.replace(/AIza[0-9A-Za-z_-]{20,}/g, "[redacted key]");
}
