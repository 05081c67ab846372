import { z } from "zod";
import { invalidJsonPayload, type EmulatorApiError } from "./errors";

/**
 * The generateContent request as the Developer API decodes it. Objects the app is likely to get
 * wrong are strict, because the real service rejects unknown field names ("Unknown name ... Cannot
 * find field") instead of ignoring them; free-form or rarely used objects stay loose.
 */

const looseObject = z.looseObject({});

const blobSchema = z.strictObject({
  mimeType: z.string().optional(),
  data: z.string().optional(),
});

const partSchema = z.strictObject({
  text: z.string().optional(),
  inlineData: blobSchema.optional(),
  fileData: looseObject.optional(),
  functionCall: looseObject.optional(),
  functionResponse: looseObject.optional(),
  executableCode: looseObject.optional(),
  codeExecutionResult: looseObject.optional(),
  toolCall: looseObject.optional(),
  toolResponse: looseObject.optional(),
  videoMetadata: looseObject.optional(),
  partMetadata: looseObject.optional(),
  mediaResolution: z.unknown().optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
});

const contentSchema = z.strictObject({
  role: z.string().optional(),
  parts: z.array(partSchema).optional(),
});

const thinkingConfigSchema = z.strictObject({
  includeThoughts: z.boolean().optional(),
  thinkingBudget: z.number().int().optional(),
  thinkingLevel: z.string().optional(),
});

/** Only these two exist on the Developer API; outputMimeType and friends are Vertex-only. */
const imageConfigSchema = z.strictObject({
  aspectRatio: z.string().optional(),
  imageSize: z.string().optional(),
});

const generationConfigSchema = z.strictObject({
  stopSequences: z.array(z.string()).optional(),
  responseMimeType: z.string().optional(),
  responseSchema: z.unknown().optional(),
  responseJsonSchema: z.unknown().optional(),
  responseModalities: z.array(z.string()).optional(),
  candidateCount: z.number().int().optional(),
  maxOutputTokens: z.number().int().optional(),
  temperature: z.number().optional(),
  topP: z.number().optional(),
  topK: z.number().int().optional(),
  seed: z.number().int().optional(),
  presencePenalty: z.number().optional(),
  frequencyPenalty: z.number().optional(),
  responseLogprobs: z.boolean().optional(),
  logprobs: z.number().int().optional(),
  enableEnhancedCivicAnswers: z.boolean().optional(),
  speechConfig: z.unknown().optional(),
  thinkingConfig: thinkingConfigSchema.optional(),
  imageConfig: imageConfigSchema.optional(),
  mediaResolution: z.string().optional(),
  audioTranscriptionConfig: z.unknown().optional(),
});

const googleSearchSchema = z.looseObject({
  searchTypes: z
    .looseObject({
      webSearch: looseObject.optional(),
      imageSearch: looseObject.optional(),
    })
    .optional(),
});

const toolSchema = z.looseObject({
  googleSearch: googleSearchSchema.optional(),
  googleSearchRetrieval: z.unknown().optional(),
});

export const generateContentRequestSchema = z.strictObject({
  model: z.string().optional(),
  contents: z.array(contentSchema).optional(),
  tools: z.array(toolSchema).optional(),
  toolConfig: looseObject.optional(),
  safetySettings: z.array(looseObject).optional(),
  systemInstruction: contentSchema.optional(),
  generationConfig: generationConfigSchema.optional(),
  cachedContent: z.string().optional(),
  serviceTier: z.string().optional(),
  store: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  continuationToken: z.string().optional(),
});

export type GenerateContentRequest = z.infer<typeof generateContentRequestSchema>;
export type RequestContent = z.infer<typeof contentSchema>;
export type RequestPart = z.infer<typeof partSchema>;

/** Subtrees whose keys are user data (schemas, function arguments), so they keep their spelling. */
const FREE_FORM_KEYS = new Set([
  "args",
  "response",
  "responseSchema",
  "responseJsonSchema",
  "parameters",
  "parametersJsonSchema",
  "labels",
  "metadata",
]);

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** Proto JSON accepts both `inline_data` and `inlineData`; the emulator works on the camelCase form. */
export function normalizeFieldNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeFieldNames);
  if (value === null || typeof value !== "object") return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const camel = snakeToCamel(key);
    result[camel] = FREE_FORM_KEYS.has(camel) ? child : normalizeFieldNames(child);
  }
  return result;
}

function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Google reports field paths in proto (snake_case) form with bracketed indices. */
export function protoFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let result = "";
  for (const segment of path) {
    if (typeof segment === "number") result += `[${segment}]`;
    else result += `${result ? "." : ""}${camelToSnake(String(segment))}`;
  }
  return result;
}

const MESSAGE_TYPES: Record<string, string> = {
  contents: "Content",
  systemInstruction: "Content",
  parts: "Part",
  generationConfig: "GenerationConfig",
  imageConfig: "ImageConfig",
  thinkingConfig: "ThinkingConfig",
  inlineData: "Blob",
  tools: "Tool",
  googleSearch: "Tool.GoogleSearch",
};

const INTEGER_FIELDS = new Set(["thinkingBudget", "candidateCount", "maxOutputTokens", "topK", "seed", "logprobs"]);

function describeValue(input: unknown): string {
  if (Array.isArray(input)) return "Proto field is not repeating, cannot start list.";
  if (input !== null && typeof input === "object") return "Starting an object on a scalar field";
  return JSON.stringify(input) ?? "null";
}

function protoTypeFor(expected: string, path: ReadonlyArray<PropertyKey>, apiVersion: string): string {
  const last = [...path].reverse().find((segment): segment is string => typeof segment === "string") ?? "";
  if (expected === "string") return "TYPE_STRING";
  if (expected === "boolean") return "TYPE_BOOL";
  if (expected === "number" || expected === "int") return INTEGER_FIELDS.has(last) ? "TYPE_INT32" : "TYPE_FLOAT";
  const message = MESSAGE_TYPES[last];
  return message ? `type.googleapis.com/google.ai.generativelanguage.${apiVersion}.${message}` : "TYPE_MESSAGE";
}

export type ParseResult = { ok: true; request: GenerateContentRequest } | { ok: false; error: EmulatorApiError };

export function parseGenerateContentRequest(json: unknown, apiVersion: string): ParseResult {
  const normalized = normalizeFieldNames(json);
  const parsed = generateContentRequestSchema.safeParse(normalized, { reportInput: true });
  if (parsed.success) return { ok: true, request: parsed.data };

  const violations: Array<{ field?: string; description: string }> = [];
  for (const issue of parsed.error.issues) {
    const field = protoFieldPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const where = field ? ` at '${field}'` : "";
        violations.push({ field: field || undefined, description: `Invalid JSON payload received. Unknown name "${key}"${where}: Cannot find field.` });
      }
    } else if (issue.code === "invalid_type") {
      const type = protoTypeFor(issue.expected, issue.path, apiVersion);
      violations.push({ field, description: `Invalid value at '${field}' (${type}), ${describeValue(issue.input)}` });
    } else {
      violations.push({ field, description: `Invalid value at '${field}', ${describeValue(issue.input)}` });
    }
  }
  return { ok: false, error: invalidJsonPayload(violations) };
}

/**
 * ESF echoes the offending line with a caret under the position where decoding stopped.
 * JSON.parse reports a position in most Node versions; without one the caret goes first.
 */
export function malformedJsonError(raw: string, cause: unknown): EmulatorApiError {
  const position = cause instanceof SyntaxError ? Number(/position (\d+)/.exec(cause.message)?.[1] ?? 0) : 0;
  const lineStart = raw.lastIndexOf("\n", position - 1) + 1;
  const lineEndIndex = raw.indexOf("\n", position);
  const line = raw.slice(lineStart, lineEndIndex === -1 ? undefined : lineEndIndex).slice(0, 200);
  const caret = `${" ".repeat(Math.min(position - lineStart, 200))}^`;
  return invalidJsonPayload([{ description: `Invalid JSON payload received. Unexpected token.\n${line}\n${caret}` }]);
}
