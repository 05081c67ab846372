import "server-only";

import pino, { type Logger as PinoLogger } from "pino";

/**
 * Structured logs through pino: one JSON object per line, debug and info on stdout, warn and error
 * on stderr, each with `time` (ISO 8601), `level` (its name) and `event`. Lines are written in
 * this process by pino.multistream; pino's worker-thread transports are not used.
 *
 * What goes in is sanitized on the way out, whatever the caller passes: the studio handles API keys,
 * base64 images and thought signatures (opaque, up to ~600 KB), and none of them may reach a log.
 * - pino's `redact` replaces fields named like a secret (apiKey, authorization, thoughtSignature,
 *   ...) in their usual spellings, at the top level and the two below it;
 * - the `formatters.log` hook replaces the configured GEMINI_API_KEY, and anything shaped like a
 *   Google API key, inside any string at any depth; bytes (Buffer, Uint8Array, ArrayBuffer), data:
 *   URLs and long base64 runs become a size note; long strings are cut, deep or cyclic objects
 *   are bounded, errors become plain objects.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Receives each finished line (no trailing newline). Defaults to stdout/stderr by level. */
  write?: (line: string, level: LogLevel) => void;
  /** Exact strings to remove from every line: the configured API key. Read at each line. */
  secrets?: () => readonly string[];
  now?: () => Date;
  /** Lines below this level are dropped. */
  level?: LogLevel;
  fields?: LogFields;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * Field names whose values are secrets. Redact paths are case-sensitive, so each name is listed
 * in the spellings code and HTTP use: apiKey, api_key, API_KEY, api-key, Api-Key, apikey.
 */
const SECRET_NAMES = [
  ...["api key", "key", "x goog api key", "gemini api key", "authorization", "proxy authorization", "cookie", "set cookie"],
  ...["password", "secret", "token", "access token", "refresh token", "thought signature", "signature"],
];

function spellings(name: string): string[] {
  const words = name.split(" ");
  const title = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  const camel = [words[0] ?? "", ...title.slice(1)].join("");
  return [...new Set([words.join(""), camel, words.join("_"), words.join("_").toUpperCase(), words.join("-"), title.join("-")])];
}

/**
 * The top level and the two below it (headers.authorization, parts[0].thoughtSignature). Every
 * wildcard path costs pino time on every line, so it stops there; deeper keys, image data and
 * signatures are still caught by their content (formatters.log).
 */
const REDACT_PATHS = SECRET_NAMES.flatMap(spellings).flatMap((spelling) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(spelling) ? `.${spelling}` : `["${spelling}"]`;
  return ["", "*", "*.*"].map((prefix) => `${prefix}${key}`.replace(/^\./, ""));
});

/** Written by pino itself; a field of the same name would forge them (JSON readers keep the last duplicate). */
const RESERVED_FIELDS = new Set(["time", "level", "event"]);

const MAX_STRING = 2_000;
const MAX_DEPTH = 6;
const MAX_KEYS = 50;
const MAX_ITEMS = 50;
/** Base64 this long is image or signature data, never a message worth reading. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{200,}={0,2}/g;
const DATA_URL = /data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/=_-]*/gi;
const GOOGLE_KEY = /AIza[0-9A-Za-z_-]{20,}/g;

export function sanitizeString(value: string, secrets: readonly string[] = []): string {
  let text = value;
  for (const secret of secrets) {
    // Short "secrets" (an unset or placeholder key) would shred ordinary words.
    if (secret.length >= 8) text = text.split(secret).join("[redacted key]");
  }
  text = text
    .replace(GOOGLE_KEY, "[redacted key]")
    .replace(DATA_URL, (match) => `[data URL, ${match.length} chars]`)
    .replace(BASE64_RUN, (match) => `[base64, ${match.length} chars]`);
  return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}… [${text.length - MAX_STRING} more chars]` : text;
}

function describeError(error: Error, secrets: readonly string[], depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: sanitizeString(error.message, secrets) };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number") out.status = status;
  if (error.stack) out.stack = sanitizeString(error.stack.split("\n").slice(0, 8).join("\n"), secrets);
  if (error.cause !== undefined && depth < MAX_DEPTH) out.cause = sanitizeValue(error.cause, secrets, depth + 1, seen);
  return out;
}

/** A JSON-safe copy of `value` with keys, bytes and bulk removed from its contents. */
export function sanitizeValue(value: unknown, secrets: readonly string[] = [], depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case "string":
      return sanitizeString(value, secrets);
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "symbol":
    case "function":
      return `[${typeof value}]`;
  }
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  const object = value as object;
  if (seen.has(object)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[deep]";
  seen.add(object);
  try {
    if (value instanceof Error) return describeError(value, secrets, depth, seen);
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => sanitizeValue(item, secrets, depth + 1, seen));
      if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more items]`);
      return items;
    }
    if (value instanceof Map) return sanitizeValue(Object.fromEntries(value), secrets, depth, new WeakSet());
    if (value instanceof Headers) return sanitizeValue(Object.fromEntries(value.entries()), secrets, depth, new WeakSet());
    const out: Record<string, unknown> = {};
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, item] of entries.slice(0, MAX_KEYS)) {
      // As JSON.stringify would: an absent value is no field, not a null one.
      if (item !== undefined) out[key] = sanitizeValue(item, secrets, depth + 1, seen);
    }
    if (entries.length > MAX_KEYS) out["…"] = `${entries.length - MAX_KEYS} more keys`;
    return out;
  } finally {
    seen.delete(object);
  }
}

function sanitizeFields(fields: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const out = sanitizeValue(fields, secrets);
  if (typeof out !== "object" || out === null || Array.isArray(out)) return {};
  for (const name of RESERVED_FIELDS) delete (out as Record<string, unknown>)[name];
  return out as Record<string, unknown>;
}

function defaultWrite(line: string, level: LogLevel): void {
  // Plain stream writes: one line, exactly as built, without Next.js's console decorations.
  if (level === "warn" || level === "error") process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

// Read straight from process.env rather than lib/env.ts: the key must be redacted even from the
// line that reports an invalid environment.
function configuredSecrets(): readonly string[] {
  const key = process.env.GEMINI_API_KEY?.trim();
  return key ? [key] : [];
}

function wrap(instance: PinoLogger, secrets: () => readonly string[]): Logger {
  const emit = (level: LogLevel) => (event: string, fields: LogFields = {}) => {
    try {
      // The event goes in as pino's message, which formatters.log does not see.
      instance[level](fields, sanitizeString(event, secrets()));
    } catch {
      // Logging must never take a request down with it.
    }
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    // pino's bindings formatter applies to the root logger only, so a child's fields are sanitized here.
    child: (fields) => wrap(instance.child(sanitizeFields(fields, secrets())), secrets),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? defaultWrite;
  const secrets = options.secrets ?? configuredSecrets;
  const now = options.now ?? (() => new Date());
  // One stream per level, and dedupe sends each line only to its own: that is how the level
  // reaches `write` (stdout or stderr) without parsing the line again.
  const streams = LEVELS.map((level) => ({
    level,
    stream: { write: (line: string) => write(line.endsWith("\n") ? line.slice(0, -1) : line, level) },
  }));
  const instance = pino(
    {
      level: options.level ?? "info",
      // No pid or hostname: the line carries what the README promises and what callers pass.
      base: undefined,
      messageKey: "event",
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => sanitizeFields(object, secrets()),
      },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    pino.multistream(streams, { dedupe: true }),
  );
  const logger = wrap(instance, secrets);
  return options.fields ? logger.child(options.fields) : logger;
}

/** The studio's logger. */
export const log: Logger = createLogger();
