/**
 * Error bodies as the real Gemini API sends them. The fixed ones are copied from recordings in
 * test/fixtures/gemini/errors (errors.test.ts checks they stay identical).
 */

export interface ApiErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Array<Record<string, unknown>>;
  };
}

/** Thrown anywhere in request handling; the HTTP layer turns it into a JSON error response. */
export class EmulatorApiError extends Error {
  readonly httpStatus: number;
  readonly body: ApiErrorBody;

  constructor(body: ApiErrorBody) {
    super(body.error.message);
    this.name = "EmulatorApiError";
    this.httpStatus = body.error.code;
    this.body = body;
  }
}

function body(code: number, status: string, message: string, details?: ApiErrorBody["error"]["details"]): ApiErrorBody {
  return { error: details ? { code, message, status, details } : { code, message, status } };
}

export function invalidArgument(message: string, details?: ApiErrorBody["error"]["details"]): EmulatorApiError {
  return new EmulatorApiError(body(400, "INVALID_ARGUMENT", message, details));
}

/** Field errors found while decoding JSON come with a google.rpc.BadRequest listing every violation. */
export function invalidJsonPayload(violations: Array<{ field?: string; description: string }>): EmulatorApiError {
  const message = violations.map((violation) => violation.description).join("\n");
  return invalidArgument(message, [
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: violations.map((violation) =>
        violation.field ? { field: violation.field, description: violation.description } : { description: violation.description },
      ),
    },
  ]);
}

export function apiKeyInvalid(): EmulatorApiError {
  return new EmulatorApiError(
    body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        locale: "en-US",
        message: "API key not valid. Please pass a valid API key.",
      },
    ]),
  );
}

export function unregisteredCaller(): EmulatorApiError {
  return new EmulatorApiError(
    body(
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    ),
  );
}

/** The wording names the API version from the URL and the method that was called. */
export function modelNotFound(modelId: string, apiVersion: string, method: string): EmulatorApiError {
  return new EmulatorApiError(
    body(
      404,
      "NOT_FOUND",
      `models/${modelId} is not found for API version ${apiVersion}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
    ),
  );
}

export function resourceExhausted(retryDelay = "34.4s"): EmulatorApiError {
  return new EmulatorApiError(
    body(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan.", [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }],
      },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
    ]),
  );
}

/** As described in docs/gemini-facts.md (no recording in test/fixtures/gemini). */
export function leakedKey(): EmulatorApiError {
  return new EmulatorApiError(body(403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key."));
}

/**
 * A key whose API restrictions exclude the Gemini API. Shape as described in docs/gemini-facts.md
 * (ErrorInfo with reason, domain and metadata, plus a LocalizedMessage); no recording in the repo.
 */
export function serviceBlocked(apiVersion: string, method: string): EmulatorApiError {
  const methodName = `google.ai.generativelanguage.${apiVersion}.GenerativeService.${method}`;
  const message = `Requests to this API generativelanguage.googleapis.com method ${methodName} are blocked.`;
  return new EmulatorApiError(
    body(403, "PERMISSION_DENIED", message, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_SERVICE_BLOCKED",
        domain: "googleapis.com",
        metadata: {
          consumer: "projects/000000000000",
          service: "generativelanguage.googleapis.com",
          apiName: "generativelanguage.googleapis.com",
          methodName,
        },
      },
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
    ]),
  );
}

/** Google words request errors about the concept, not the JSON field (docs/gemini-facts.md). */
export function thinkingLevelUnsupported(): EmulatorApiError {
  return invalidArgument("Thinking level is not supported for this model. Please retry with other thinking level.");
}

export function thinkingBudgetAndLevel(): EmulatorApiError {
  return invalidArgument("You can only set only one of thinking budget and thinking level.");
}

export function internalError(): EmulatorApiError {
  return new EmulatorApiError(
    body(
      500,
      "INTERNAL",
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    ),
  );
}

export function unavailable(): EmulatorApiError {
  return new EmulatorApiError(body(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
}

export function errorForStatus(code: number): EmulatorApiError {
  switch (code) {
    case 429:
      return resourceExhausted();
    case 503:
      return unavailable();
    case 400:
      return invalidArgument("Request contains an invalid argument.");
    default:
      return internalError();
  }
}

/**
 * Paths that match no API method are answered by Google's front end with its HTML 404 page, not
 * JSON; the SDK then wraps the HTML into `{"error":{"message":"<html>…","code":404,...}}`.
 */
export function notFoundHtml(path: string): string {
  const safePath = path.replace(/[<>&"]/g, "");
  return `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error 404 (Not Found)!!1</title>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>${safePath}</code> was not found on this server.  <ins>That’s all we know.</ins>
`;
}
