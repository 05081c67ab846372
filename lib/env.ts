import { isIP } from "node:net";
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
  // Set by scripts/serve.ts when it started the bundled emulator because no key was given.
  STUDIO_OFFLINE_PREVIEW: optionalString.pipe(z.enum(["0", "1"]).optional()),
  PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(65_535).optional()),
  // Generations (starts and retries) one client may begin per minute; 0 turns the limit off.
  STUDIO_RATE_LIMIT_PER_MINUTE: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
  // Deprecated: 1 means STUDIO_TRUSTED_PROXIES=127.0.0.0/8,::1 (a proxy on this machine).
  STUDIO_TRUST_PROXY: optionalString.pipe(z.enum(["0", "1"]).optional()),
  // No generation runs longer than this, whatever the model does (default 5 min).
  STUDIO_JOB_DEADLINE_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1_000).max(3_600_000).optional()),
  // Generations sent to Gemini at once (default 32); further starts wait in a queue.
  STUDIO_MAX_CONCURRENT_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(1_000).optional()),
  // Starts that may wait for a free slot (default 256); one more is refused. 0 refuses instead of queueing.
  STUDIO_MAX_QUEUED_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
  // Comma list of proxy addresses (IPs or CIDRs) whose X-Forwarded-For is believed.
  STUDIO_TRUSTED_PROXIES: optionalString,
  // /api/health answers 503 below this much free space in the data directory (default 512 MB).
  STUDIO_MIN_FREE_DISK_MB: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(10_000_000).optional()),
  // Upload bytes one user may send per hour (default 2000 MB); 0 turns the quota off.
  STUDIO_UPLOAD_QUOTA_MB_PER_HOUR: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(10_000_000).optional()),
  // Hours an uploaded image no turn uses is kept before it is removed (default 24).
  STUDIO_UNUSED_UPLOAD_TTL_HOURS: optionalString.pipe(z.coerce.number<string | undefined>().min(0).max(100_000).optional()),
});

export type StudioMode = "live" | "offline-preview" | "unconfigured";

export interface StudioEnv {
  geminiApiKey: string | undefined;
  geminiBaseUrl: string | undefined;
  dataDir: string;
  defaultModel: string | undefined;
  mode: StudioMode;
  port: number;
  /** 0 when generation is not rate limited. */
  rateLimitPerMinute: number;
  /** Undefined: the job runner's default. */
  jobDeadlineMs: number | undefined;
  /** Undefined: the job runner's default (32). */
  maxConcurrentJobs: number | undefined;
  /** Undefined: the job runner's default (256). */
  maxQueuedJobs: number | undefined;
  /**
   * Proxies whose X-Forwarded-For is believed, as IPs or CIDRs. STUDIO_TRUST_PROXY=1 without a list
   * means loopback (a proxy on the same machine), which is the only case it was ever safe for.
   */
  trustedProxies: string[];
  /** Readiness fails below this many free bytes in the data directory. */
  minFreeDiskBytes: number;
  /** Upload bytes per user per hour; 0 when unlimited. */
  uploadQuotaBytesPerHour: number;
  /** How long an image no turn references is kept (an upload waiting in a composer). */
  unusedUploadTtlMs: number;
}

export const DEFAULT_MIN_FREE_DISK_MB = 512;
export const DEFAULT_UPLOAD_QUOTA_MB_PER_HOUR = 2_000;
export const DEFAULT_UNUSED_UPLOAD_TTL_HOURS = 24;
const LOOPBACK_PROXIES = ["127.0.0.0/8", "::1"];

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
  const proxies = values.STUDIO_TRUSTED_PROXIES?.split(",").map((entry) => entry.trim()).filter(Boolean) ?? [];
  const badProxies = proxies.filter((entry) => !isAddressOrCidr(entry));
  if (badProxies.length > 0) {
    throw new EnvError([`STUDIO_TRUSTED_PROXIES: not an IP address or CIDR: ${badProxies.join(", ")}`]);
  }
  const offlinePreview = values.STUDIO_OFFLINE_PREVIEW === "1";
  const mode: StudioMode = offlinePreview ? "offline-preview" : values.GEMINI_API_KEY ? "live" : "unconfigured";
  return {
    geminiApiKey: values.GEMINI_API_KEY,
    geminiBaseUrl: values.GEMINI_BASE_URL,
    dataDir: path.resolve(cwd, values.STUDIO_DATA_DIR ?? ".nano-banana"),
    defaultModel: values.STUDIO_DEFAULT_MODEL,
    mode,
    port: values.PORT ?? 3000,
    rateLimitPerMinute: values.STUDIO_RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    jobDeadlineMs: values.STUDIO_JOB_DEADLINE_MS,
    maxConcurrentJobs: values.STUDIO_MAX_CONCURRENT_JOBS,
    maxQueuedJobs: values.STUDIO_MAX_QUEUED_JOBS,
    trustedProxies: proxies.length > 0
      ? proxies
      : values.STUDIO_TRUST_PROXY === "1"
        ? LOOPBACK_PROXIES
        : [],
    minFreeDiskBytes: (values.STUDIO_MIN_FREE_DISK_MB ?? DEFAULT_MIN_FREE_DISK_MB) * 1_000_000,
    uploadQuotaBytesPerHour: (values.STUDIO_UPLOAD_QUOTA_MB_PER_HOUR ?? DEFAULT_UPLOAD_QUOTA_MB_PER_HOUR) * 1_000_000,
    unusedUploadTtlMs: (values.STUDIO_UNUSED_UPLOAD_TTL_HOURS ?? DEFAULT_UNUSED_UPLOAD_TTL_HOURS) * 3_600_000,
  };
}

function isAddressOrCidr(entry: string): boolean {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32);
}

let cached: StudioEnv | undefined;

export function getEnv(): StudioEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
