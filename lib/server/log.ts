import "server-only";

/**
 * Structured logs: one JSON object per line on stdout (debug, info) or stderr (warn, error), so a
 * log shipper can parse them and an operator can grep them.
 *
 * What goes in is sanitized on the way out, whatever the caller passes: the studio handles API keys,
 * base64 images and thought signatures (opaque, up to ~600 KB), and none of them may reach a log.
 * - fields named like a secret (apiKey, authorization, thoughtSignature, ...) are replaced;
 * - the configured GEMINI_API_KEY, and anything shaped like a Google API key, is replaced inside
 *   any string;
 * - bytes (Buffer, Uint8Array, ArrayBuffer), data: URLs and long base64 runs become a size note;
 * - long strings are cut, deep or cyclic objects are bounded.
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

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Compared without case, `-` or `_`: "x-goog-api-key", "apiKey" and "API_KEY" are all one name. */
const SECRET_FIELDS = new Set([
  "apikey",
  "key",
  "xgoogapikey",
  "geminiapikey",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "password",
  "secret",
  "token",
  "accesstoken",
  "refreshtoken",
  "thoughtsignature",
  "signature",
]);
/** Fields that hold image bytes in the wire format (inlineData.data) or in the studio's own types. */
const BINARY_FIELDS = new Set(["data", "bytes", "inlinedata", "imagedata", "b64json"]);

const MAX_STRING = 2_000;
const MAX_DEPTH = 6;
const MAX_KEYS = 50;
const MAX_ITEMS = 50;
/** Base64 this long is image or signature data, never a message worth reading. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{200,}={0,2}/g;
const DATA_URL = /data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/=_-]*/gi;
const GOOGLE_KEY = /AIza[0-9A-Za-z_-]{20,}/g;

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

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

/** A JSON-safe copy of `value` with secrets, bytes and bulk removed. */
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
      if (item === undefined) continue;
      const name = normalizeName(key);
      if (SECRET_FIELDS.has(name)) out[key] = "[redacted]";
      else if (BINARY_FIELDS.has(name) && (typeof item === "string" || item instanceof Uint8Array || item instanceof ArrayBuffer)) {
        out[key] = typeof item === "string" ? `[${item.length} chars]` : `[${item.byteLength} bytes]`;
      } else out[key] = sanitizeValue(item, secrets, depth + 1, seen);
    }
    if (entries.length > MAX_KEYS) out["…"] = `${entries.length - MAX_KEYS} more keys`;
    return out;
  } finally {
    seen.delete(object);
  }
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

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? defaultWrite;
  const secrets = options.secrets ?? configuredSecrets;
  const now = options.now ?? (() => new Date());
  const threshold = LEVELS[options.level ?? "info"];
  const base = options.fields ?? {};

  function emit(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (LEVELS[level] < threshold) return;
    try {
      const known = secrets();
      const body = sanitizeValue({ ...base, ...fields }, known) as Record<string, unknown>;
      // time, level and event come last in the spread so no field can forge them.
      const line = JSON.stringify({ ...body, time: now().toISOString(), level, event: sanitizeString(event, known) });
      write(line, level);
    } catch {
      // Logging must never take a request down with it.
    }
  }

  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** The studio's logger. */
export const log: Logger = createLogger();
