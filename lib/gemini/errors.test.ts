import { ApiError } from "@google/genai";
import { describe, expect, it } from "vitest";
import { readFixtureJson, readFixtureText } from "./__fixtures__/load";
import {
  ERROR_COPY,
  controlNamedBy,
  createStudioError,
  errorFromOutcome,
  errorFromService,
  needsEdit,
  parseRetryDelay,
  parseServiceError,
  redactSecrets,
  toStudioError,
} from "./errors";
import { foldChunks, type WireChunk } from "./response";
import { STUDIO_ERROR_CODES, type GenerationOutcome, type GenerationSettings } from "./types";

function apiError(status: number, fixture: string): ApiError {
  // The SDK puts the JSON body, as text, in the message.
  return new ApiError({ message: JSON.stringify(JSON.parse(readFixtureText(fixture))), status });
}

function outcomeOf(chunk: WireChunk): GenerationOutcome {
  return foldChunks([chunk]).outcome;
}

describe("ERROR_COPY", () => {
  it("has a message and an action for every code in the closed set", () => {
    expect(Object.keys(ERROR_COPY).sort()).toEqual([...STUDIO_ERROR_CODES].sort());
    for (const copy of Object.values(ERROR_COPY)) {
      expect(copy.message.length).toBeGreaterThan(10);
      expect(copy.action.length).toBeGreaterThan(10);
    }
  });
});

describe("toStudioError with recorded error bodies", () => {
  it("400 API_KEY_INVALID → invalid_key, not retryable", () => {
    expect(toStudioError(apiError(400, "errors/400-api-key-invalid.json"))).toMatchObject({
      code: "invalid_key",
      retryable: false,
      httpStatus: 400,
      detail: "API key not valid. Please pass a valid API key.",
    });
  });

  it("404 on an unknown model → model_access quoting the service", () => {
    const error = toStudioError(apiError(404, "errors/404-model-not-found.json"), { model: "gemini-2.0-pro" });
    expect(error).toMatchObject({ code: "model_access", retryable: false, message: "gemini-2.0-pro isn't available to this API key, or Google no longer offers it." });
    expect(error.detail).toMatch(/^models\/gemini-2.0-pro is not found/);
  });

  it("404 on a retired or deprecated model → model_retired naming the replacement", () => {
    expect(toStudioError(apiError(404, "errors/404-model-not-found.json"), { model: "gemini-3-pro-image-preview" })).toMatchObject({
      code: "model_retired",
      message: "Google has retired gemini-3-pro-image-preview.",
      action: "Switch to Gemini 3 Pro Image.",
      replacementModel: "gemini-3-pro-image",
    });
    expect(toStudioError(apiError(404, "errors/404-model-not-found.json"), { model: "gemini-2.5-flash-image" })).toMatchObject({
      code: "model_retired",
      replacementModel: "gemini-nano-banana-2.1",
    });
  });

  it("429 RESOURCE_EXHAUSTED → quota_exhausted with the wait from RetryInfo", () => {
    const error = toStudioError(apiError(429, "errors/429-resource-exhausted-retryinfo.json"));
    expect(error).toMatchObject({ code: "quota_exhausted", retryable: true, retryAfterMs: 34_400, httpStatus: 429 });
    expect(error.action).toBe("Try again in 35 s, or raise the quota or enable billing in Google AI Studio.");
    expect(error.detail).toContain("Quota: GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
  });

  it("a daily quota is not worth retrying", () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: "You exceeded your current quota.",
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" },
        ],
      },
    });
    expect(toStudioError(new ApiError({ message: body, status: 429 }))).toMatchObject({
      code: "quota_exhausted",
      retryable: false,
      retryAfterMs: 7000,
      message: "This API key has used up its daily quota.",
    });
  });

  it("500 INTERNAL and 503 UNAVAILABLE → service_unavailable, retryable", () => {
    expect(toStudioError(apiError(500, "errors/500-internal.json"))).toMatchObject({ code: "service_unavailable", retryable: true });
    expect(toStudioError(apiError(503, "errors/503-unavailable.json"))).toMatchObject({
      code: "service_unavailable",
      retryable: true,
      detail: "The model is overloaded. Please try again later.",
    });
  });

  it("an error event inside a stream, as the SDK words it, maps by its code", () => {
    const chunk = JSON.parse(readFixtureText("errors/503-unavailable.json")) as object;
    const error = new ApiError({ message: `got status: UNAVAILABLE. ${JSON.stringify(chunk)}`, status: 503 });
    expect(toStudioError(error)).toMatchObject({ code: "service_unavailable", retryable: true, httpStatus: 503 });
  });
});

describe("toStudioError with other service errors", () => {
  function bodyError(status: number, error: object) {
    return new ApiError({ message: JSON.stringify({ error }), status });
  }

  it("a missing thought signature → invalid_request, Google's reason kept in detail, never in the message", () => {
    const message = "Image part is missing a thought_signature in content position 2, part position 1.";
    expect(toStudioError(bodyError(400, { code: 400, message, status: "INVALID_ARGUMENT" }))).toMatchObject({
      code: "invalid_request",
      retryable: false,
      message: "Google rejected the request.",
      detail: message,
    });
  });

  it("a body over the inline limit → request_too_large, with the way on and Google's words in detail", () => {
    // Google's wording, as quoted in public issue reports (there for its older 20 and 300 MB limits).
    const message = "Request payload size exceeds the limit: 104857600 bytes.";
    const error = toStudioError(bodyError(400, { code: 400, message, status: "INVALID_ARGUMENT" }));
    expect(error).toMatchObject({
      code: "request_too_large",
      retryable: false,
      message: ERROR_COPY.request_too_large.message,
      action: "Continue in a new session from this image.",
      detail: message,
      httpStatus: 400,
    });
    expect(error.fix).toBeUndefined();
    expect(needsEdit(error)).toBe(false);
    // A proxy's 413 means the same; another 400 about sizes is still a rejected request.
    expect(toStudioError(new ApiError({ message: "Request Entity Too Large", status: 413 })).code).toBe("request_too_large");
    expect(toStudioError(bodyError(400, { code: 400, message: "Unsupported image size.", status: "INVALID_ARGUMENT" })).code).toBe("invalid_request");
  });

  it("a leaked or blocked key → key_blocked", () => {
    const leaked = bodyError(403, { code: 403, message: "Your API key was reported as leaked. Please use another API key.", status: "PERMISSION_DENIED" });
    expect(toStudioError(leaked).code).toBe("key_blocked");
    const blocked = bodyError(403, {
      code: 403,
      message: "Requests to this API are blocked.",
      status: "PERMISSION_DENIED",
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_SERVICE_BLOCKED" }],
    });
    expect(toStudioError(blocked).code).toBe("key_blocked");
  });

  it("403 and FAILED_PRECONDITION (region, billing) → model_access", () => {
    expect(toStudioError(bodyError(403, { code: 403, message: "Permission denied.", status: "PERMISSION_DENIED" }), { model: "gemini-3-pro-image" })).toMatchObject({
      code: "model_access",
      message: "This API key can't use gemini-3-pro-image.",
    });
    expect(toStudioError(bodyError(400, { code: 400, message: "User location is not supported for the API use.", status: "FAILED_PRECONDITION" })).code).toBe(
      "model_access",
    );
  });

  it("401, 502, 504 and a non-JSON body", () => {
    expect(toStudioError(bodyError(401, { code: 401, status: "UNAUTHENTICATED" })).code).toBe("invalid_key");
    expect(toStudioError(new ApiError({ message: '{"error":{"message":"<html>Bad Gateway</html>","code":502,"status":"Bad Gateway"}}', status: 502 }))).toMatchObject({
      code: "service_unavailable",
      retryable: true,
    });
    expect(toStudioError(bodyError(504, { code: 504, status: "DEADLINE_EXCEEDED" }))).toMatchObject({ code: "timeout", retryable: true });
    expect(toStudioError(new ApiError({ message: "not json", status: 500 })).code).toBe("service_unavailable");
  });
});

describe("toStudioError with transport failures", () => {
  it("cancel and timeout, told apart by the caller", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    expect(toStudioError(abort, { abortReason: "cancelled" })).toMatchObject({ code: "cancelled", retryable: false });
    expect(toStudioError(abort, { abortReason: "timeout" })).toMatchObject({ code: "timeout", retryable: true });
    expect(toStudioError(abort).code).toBe("cancelled");
  });

  it("unreachable hosts and dropped connections → network, retryable", () => {
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    expect(toStudioError(refused)).toMatchObject({ code: "network", retryable: true, detail: "fetch failed: connect ECONNREFUSED 127.0.0.1:9: (ECONNREFUSED)" });
    const dropped = new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
    expect(toStudioError(dropped).code).toBe("network");
    expect(toStudioError(new Error("Incomplete JSON segment at the end")).code).toBe("network");
  });

  it("SDK-side validation → invalid_request; anything else → internal", () => {
    expect(toStudioError(new Error("outputMimeType parameter is only supported in Gemini Enterprise Agent Platform mode, not in Gemini Developer API mode.")).code).toBe(
      "invalid_request",
    );
    expect(toStudioError(new RangeError("bug"))).toMatchObject({ code: "internal", detail: "bug", retryable: false });
    expect(toStudioError("a string")).toMatchObject({ code: "internal", detail: "a string" });
  });

  it("passes a studio error through unchanged", () => {
    const error = createStudioError("no_image", { modelText: "I can't draw that." });
    expect(toStudioError(error)).toBe(error);
  });
});

describe("errorFromOutcome", () => {
  it("no error when an image came back", () => {
    expect(errorFromOutcome(outcomeOf(readFixtureJson<WireChunk>("responses/image-3.1-flash-signed-jpeg.json")))).toBeNull();
  });

  it("NO_IMAGE with content: {} → no_image", () => {
    expect(errorFromOutcome(outcomeOf(readFixtureJson<WireChunk>("responses/no-image.json")))).toMatchObject({
      code: "no_image",
      finishReason: "NO_IMAGE",
      message: "The model answered without an image.",
    });
  });

  it("a prompt blocked before any candidate → safety_block naming the reason", () => {
    expect(errorFromOutcome(outcomeOf(readFixtureJson<WireChunk>("responses/prompt-blocked.json")))).toMatchObject({
      code: "safety_block",
      blockReason: "PROHIBITED_CONTENT",
      message: "Google blocked your prompt (prohibited content).",
      retryable: false,
    });
  });

  it("an image stopped by the image filter → safety_block about the image", () => {
    const outcome = outcomeOf({ candidates: [{ content: {}, finishReason: "IMAGE_SAFETY" }] });
    expect(errorFromOutcome(outcome)).toMatchObject({
      code: "safety_block",
      finishReason: "IMAGE_SAFETY",
      message: "Google blocked the generated image (image safety filters).",
    });
  });

  it("a text-only answer → no_image carrying the model's text", () => {
    const outcome = outcomeOf({ candidates: [{ content: { parts: [{ text: "I can only describe this scene." }] }, finishReason: "STOP" }] });
    expect(errorFromOutcome(outcome)).toMatchObject({
      code: "no_image",
      message: "The model answered with text instead of an image.",
      modelText: "I can only describe this scene.",
    });
  });
});

describe("helpers", () => {
  it("parses protobuf Durations in both JSON forms", () => {
    expect(parseRetryDelay("34.4s")).toBe(34_400);
    expect(parseRetryDelay("1s")).toBe(1000);
    expect(parseRetryDelay({ seconds: "2", nanos: 500_000_000 })).toBe(2500);
    expect(parseRetryDelay("soon")).toBeNull();
    expect(parseRetryDelay(undefined)).toBeNull();
  });

  it("parses the body out of both message forms", () => {
    expect(parseServiceError('{"error":{"code":500,"status":"INTERNAL"}}')).toEqual({ code: 500, status: "INTERNAL" });
    expect(parseServiceError('got status: INTERNAL. {"error":{"code":500}}')).toEqual({ code: 500 });
    expect(parseServiceError("plain text")).toBeNull();
  });

  it("never shows an API key in a detail", () => {
    expect(redactSecrets("key AIzaSyA1234567890abcdefghijklmnopqrstu was rejected")).toBe("key [redacted key] was rejected");
    expect(createStudioError("internal", { detail: "AIzaSyA1234567890abcdefghijklmnopqrstu" }).detail).toBe("[redacted key]");
  });
});

describe("invalid_request names the setting to change", () => {
  function rejected(message: string, details?: object[]) {
    return new ApiError({ message: JSON.stringify({ error: { code: 400, message, status: "INVALID_ARGUMENT", ...(details ? { details } : {}) } }), status: 400 });
  }

  it("from the service's message", () => {
    expect(toStudioError(rejected("* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported value")).action).toMatch(
      /aspect ratio setting/,
    );
    expect(toStudioError(rejected("Image part is missing a thought_signature in content position 2, part position 1.")).action).toMatch(
      /new conversation/,
    );
  });

  it("from a BadRequest's field violations when the message is generic", () => {
    const error = toStudioError(
      rejected("Request contains an invalid argument.", [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "generationConfig.imageConfig.imageSize", description: "bad" }] },
      ]),
    );
    expect(error).toMatchObject({ code: "invalid_request", detail: "Request contains an invalid argument." });
    expect(error.action).toMatch(/output size setting/);
  });

  it("keeps the general advice when nothing names a setting", () => {
    expect(toStudioError(rejected("Request contains an invalid argument.")).action).toBe(ERROR_COPY.invalid_request.action);
  });
});

describe("Google's plain-English request errors point at the control and offer the fix", () => {
  const flash: GenerationSettings = {
    model: "gemini-3.1-flash-image",
    imageSize: "2K",
    aspectRatio: "16:9",
    thinkingLevel: "minimal",
    showThoughts: false,
    webSearch: true,
    imageSearch: true,
    imageOnly: false,
  };
  const rejected = (message: string, settings: GenerationSettings = flash) =>
    errorFromService(400, { code: 400, status: "INVALID_ARGUMENT", message }, { model: settings.model, settings });

  // Wordings as Google sends them (gemini-facts.md), as other Google APIs phrase the same idea,
  // and with the wire names older messages used.
  it.each([
    ["Thinking level is not supported for this model. Please retry with other thinking level.", "thinking"],
    ["The specified thinking level MINIMAL is not supported for this model. Please retry with other thinking level.", "thinking"],
    ["You can only set only one of thinking budget and thinking level.", "thinking"],
    ["Invalid value at 'generation_config.thinking_config.thinking_level'", "thinking"],
    ["Thinking is not enabled for models/gemini-2.5-flash-image", "thinking"],
    ["Budget 0 is invalid. This model only works in thinking mode.", "thinking"],
    ['Unsupported image size: "8K". Supported image sizes for models/x are: "1K".', "imageSize"],
    ["The requested output resolution is not available for this model.", "imageSize"],
    ["4K is not supported for this model.", "imageSize"],
    ['Unsupported aspect ratio: "9:21".', "aspectRatio"],
    ["Invalid value at 'generation_config.image_config.aspect_ratio'", "aspectRatio"],
    ["The ratio 2:1 is not supported.", "aspectRatio"],
    ["Search Grounding is not supported.", "search"],
    ["Image Search is not supported for models/gemini-3-pro-image.", "search"],
    ["Tool use with google_search is not supported for this model.", "search"],
    ["Provided image is not valid.", "references"],
    ["Unsupported MIME type: image/gif", "references"],
    ["Too many images in the request: at most 14 input images are allowed.", "references"],
    ["The input token count (1200000) exceeds the maximum number of tokens allowed (131072).", "prompt"],
  ])("%s → %s", (message, control) => {
    expect(controlNamedBy(message)).toBe(control);
    expect(rejected(message).fix?.control).toBe(control);
  });

  it("names no control for a message about none of them, and none for a missing thought signature", () => {
    expect(controlNamedBy("Request contains an invalid argument.")).toBeNull();
    expect(rejected("Request contains an invalid argument.").fix).toBeUndefined();
    expect(rejected("Image part is missing a thought_signature in content position 2, part position 1.").fix).toBeUndefined();
  });

  it("proposes another thinking level the model accepts, High first", () => {
    expect(rejected("Thinking level is not supported for this model. Please retry with other thinking level.").fix).toEqual({
      control: "thinking",
      label: "Use thinking level High and retry",
      settings: { thinkingLevel: "high" },
    });
    const onHigh = rejected("Thinking level is not supported for this model. Please retry with other thinking level.", {
      ...flash,
      thinkingLevel: "high",
    });
    expect(onHigh.fix).toMatchObject({ label: "Use thinking level Minimal and retry", settings: { thinkingLevel: "minimal" } });
  });

  it("drops the level when only one of budget and level may be set, or when the model takes none", () => {
    expect(rejected("You can only set only one of thinking budget and thinking level.").fix).toMatchObject({
      label: "Let the model choose its thinking and retry",
      settings: { thinkingLevel: undefined },
    });
    const pro = { ...flash, model: "gemini-3-pro-image", thinkingLevel: "high" as const };
    expect(rejected("Thinking level is not supported for this model. Please retry with other thinking level.", pro).fix).toMatchObject({
      settings: { thinkingLevel: undefined },
    });
  });

  it("offers the model's default size and ratio, and turns off only the search that was refused", () => {
    expect(rejected("4K is not supported for this model.").fix).toMatchObject({ label: "Use output size 1K and retry", settings: { imageSize: "1K" } });
    expect(rejected('Unsupported aspect ratio: "16:9".').fix).toMatchObject({ label: "Use aspect ratio 1:1 and retry", settings: { aspectRatio: "1:1" } });
    expect(rejected("Image Search is not supported for models/gemini-3.1-flash-image.").fix).toEqual({
      control: "search",
      label: "Turn Image Search off and retry",
      settings: { imageSearch: false },
    });
    expect(rejected("Search Grounding is not supported.").fix?.settings).toEqual({ webSearch: false, imageSearch: false });
    expect(rejected("Provided image is not valid.").fix).toEqual({ control: "references", label: "Edit the reference images and retry" });
  });

  it("maps the 403s for a leaked key and for a key restricted to other APIs to key_blocked, never retried", () => {
    const leaked = errorFromService(403, { code: 403, status: "PERMISSION_DENIED", message: "Your API key was reported as leaked. Please use another API key." });
    expect(leaked).toMatchObject({ code: "key_blocked", retryable: false, message: expect.stringMatching(/leaked/) });
    const blocked = errorFromService(403, {
      code: 403,
      status: "PERMISSION_DENIED",
      message: "Requests to this API generativelanguage.googleapis.com method x are blocked.",
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_SERVICE_BLOCKED", domain: "googleapis.com" }],
    });
    expect(blocked).toMatchObject({ code: "key_blocked", retryable: false, message: expect.stringMatching(/restricted to other Google APIs/) });
    expect(needsEdit(leaked) && needsEdit(blocked)).toBe(true);
    expect(needsEdit({ code: "service_unavailable" })).toBe(false);
  });

  it("says a lost uploaded file is Google's, not the key's, and leaves Retry to upload it again", () => {
    const lost = errorFromService(403, { code: 403, status: "PERMISSION_DENIED", message: "You do not have permission to access the File abc123 or it may not exist." }, { model: "gemini-3.1-flash-image" });
    expect(lost).toMatchObject({ code: "internal", retryable: false, httpStatus: 403, message: expect.stringMatching(/no longer has an image the studio uploaded/) });
    expect(needsEdit(lost)).toBe(false);
  });
});
