import path from "node:path";
import { z } from "zod";

/**
 * The studio's environment, validated once at first use. Importing this from a
 * client component would put server settings in the bundle, so only server code
 * (route handlers, server actions, lib/ server modules) may read it.
 */
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const envSchema = z.object({
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STUDIO_DATA_DIR: optionalString,
  STUDIO_DEFAULT_MODEL: optionalString,
  // Google's per-request storage setting for generateContent (store); unset leaves Google's default.
  STUDIO_GEMINI_STORE: optionalString.pipe(z.enum(["true", "false"]).optional()),
  // Set by scripts/serve.ts when it started the bundled emulator because no key was given.
  STUDIO_OFFLINE_PREVIEW: optionalString.pipe(z.enum(["0", "1"]).optional()),
  PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(65_535).optional()),
  // Generations (starts and retries) one client may begin per minute; 0 turns the limit off.
  STUDIO_RATE_LIMIT_PER_MINUTE: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
  // 1 behind a reverse proxy that sets X-Forwarded-For; only then is that header believed.
  STUDIO_TRUST_PROXY: optionalString.pipe(z.enum(["0", "1"]).optional()),
  // No generation runs longer than this, whatever the model does (default 5 min).
  STUDIO_JOB_DEADLINE_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1_000).max(3_600_000).optional()),
  // Generations sent to Gemini at once (default 32); further starts wait in a queue.
  STUDIO_MAX_CONCURRENT_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(1_000).optional()),
  // Starts that may wait for a free slot (default 256); one more is refused. 0 refuses instead of queueing.
  STUDIO_MAX_QUEUED_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
});

export type StudioMode = "live" | "offline-preview" | "unconfigured";

export interface StudioEnv {
  geminiApiKey: string | undefined;
  geminiBaseUrl: string | undefined;
  dataDir: string;
  defaultModel: string | undefined;
  /** STUDIO_GEMINI_STORE: false asks Google not to store requests (`store: false`); undefined: Google's default. */
  geminiStore: boolean | undefined;
  mode: StudioMode;
  port: number;
  /** 0 when generation is not rate limited. */
  rateLimitPerMinute: number;
  trustProxy: boolean;
  /** Undefined: the job runner's default. */
  jobDeadlineMs: number | undefined;
  /** Undefined: the job runner's default (32). */
  maxConcurrentJobs: number | undefined;
  /** Undefined: the job runner's default (256). */
  maxQueuedJobs: number | undefined;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 20;

export class EnvError extends Error {
  constructor(issues: string[]) {
    super(`Invalid environment:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.name = "EnvError";
  }
}

export function parseEnv(source: Record<string, string | undefined>, cwd = process.cwd()): StudioEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const values = parsed.data;
  const offlinePreview = values.STUDIO_OFFLINE_PREVIEW === "1";
  const mode: StudioMode = offlinePreview ? "offline-preview" : values.GEMINI_API_KEY ? "live" : "unconfigured";
  return {
    geminiApiKey: values.GEMINI_API_KEY,
    geminiBaseUrl: values.GEMINI_BASE_URL,
    dataDir: path.resolve(cwd, values.STUDIO_DATA_DIR ?? ".nano-banana"),
    defaultModel: values.STUDIO_DEFAULT_MODEL,
    geminiStore: values.STUDIO_GEMINI_STORE === undefined ? undefined : values.STUDIO_GEMINI_STORE === "true",
    mode,
    port: values.PORT ?? 3000,
    rateLimitPerMinute: values.STUDIO_RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    trustProxy: values.STUDIO_TRUST_PROXY === "1",
    jobDeadlineMs: values.STUDIO_JOB_DEADLINE_MS,
    maxConcurrentJobs: values.STUDIO_MAX_CONCURRENT_JOBS,
    maxQueuedJobs: values.STUDIO_MAX_QUEUED_JOBS,
  };
}

let cached: StudioEnv | undefined;

export function getEnv(): StudioEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
