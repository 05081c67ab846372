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
  // Google's per-request storage setting for generateContent (store); unset leaves Google's default.
  STUDIO_GEMINI_STORE: optionalString.pipe(z.enum(["true", "false"]).optional()),
  // Which Gemini API generates: generateContent (default) or the Interactions API.
  STUDIO_GEMINI_BACKEND: optionalString.pipe(z.enum(["generateContent", "interactions"]).optional()),
  // 1: user-side images go up once through the Files API and are named by URI afterwards.
  STUDIO_GEMINI_FILES: optionalString.pipe(z.enum(["0", "1"]).optional()),
  // Set by scripts/serve.ts when it started the bundled emulator because no key was given.
  STUDIO_OFFLINE_PREVIEW: optionalString.pipe(z.enum(["0", "1"]).optional()),
  PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(65_535).optional()),
  // Generations (starts and retries) one client may begin per minute; 0 turns the limit off.
  STUDIO_RATE_LIMIT_PER_MINUTE: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
  // Deprecated: 1 means STUDIO_TRUSTED_PROXIES=127.0.0.0/8,::1 (a proxy on this machine).
  STUDIO_TRUST_PROXY: optionalString.pipe(z.enum(["0", "1"]).optional()),
  // No generation runs longer than this, whatever the model does (default 5 min).
  STUDIO_JOB_DEADLINE_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1_000).max(3_600_000).optional()),
  // On SIGTERM, how long running generations may take to finish before they are stopped (default 8 s,
  // inside Docker's 10 s before SIGKILL); 0 stops them at once.
  STUDIO_SHUTDOWN_GRACE_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(600_000).optional()),
  // Generations sent to Gemini at once (default 32); further starts wait in a queue.
  STUDIO_MAX_CONCURRENT_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(1_000).optional()),
  // Starts that may wait for a free slot (default 256); one more is refused. 0 refuses instead of queueing.
  STUDIO_MAX_QUEUED_JOBS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(100_000).optional()),
  // Memory for the earlier turns and reference images that follow-ups replay (default 128 MB); 0 reads them from storage every time.
  STUDIO_HISTORY_CACHE_MB: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(1_000_000).optional()),
  // Scale-out storage: PostgreSQL for sessions and turns, optionally an S3-compatible bucket for images.
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional()),
  STUDIO_S3_BUCKET: optionalString.pipe(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)").optional()),
  STUDIO_S3_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STUDIO_S3_REGION: optionalString,
  STUDIO_S3_ACCESS_KEY_ID: optionalString,
  STUDIO_S3_SECRET_ACCESS_KEY: optionalString,
  STUDIO_S3_FORCE_PATH_STYLE: optionalString.pipe(z.enum(["0", "1"]).optional()),
  // Comma list of proxy addresses (IPs or CIDRs) whose X-Forwarded-For is believed.
  STUDIO_TRUSTED_PROXIES: optionalString,
  // /api/health answers 503 below this much free space in the data directory (default 512 MB).
  STUDIO_MIN_FREE_DISK_MB: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(10_000_000).optional()),
  // Upload bytes one user may send per hour (default 2000 MB); 0 turns the quota off.
  STUDIO_UPLOAD_QUOTA_MB_PER_HOUR: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(10_000_000).optional()),
  // Hours an uploaded image no turn uses is kept before it is removed (default 24).
  STUDIO_UNUSED_UPLOAD_TTL_HOURS: optionalString.pipe(z.coerce.number<string | undefined>().min(0).max(100_000).optional()),
  // Accounts (lib/server/auth). Signs session cookies; when unset, one is generated on first start
  // and kept in the data directory (auth-secret).
  BETTER_AUTH_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  // The address people open the studio at, e.g. https://studio.example.com. With https, cookies are Secure.
  BETTER_AUTH_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STUDIO_PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  // Single sign-on through any OpenID Connect issuer; all three or none.
  STUDIO_OIDC_ISSUER: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STUDIO_OIDC_CLIENT_ID: optionalString,
  STUDIO_OIDC_CLIENT_SECRET: optionalString,
  // Comma-separated email domains whose SSO users may join without an invitation, e.g. "example.com,example.org".
  STUDIO_OIDC_ALLOWED_DOMAINS: optionalString,
  // Failed password sign-ins in a row that lock an email address for 15 minutes (default 5).
  STUDIO_SIGN_IN_MAX_FAILURES: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(1_000).optional()),
  // Tests only: creates an admin (e2e@studio.test) with a session whose token is this value, so a
  // browser can be signed in before the first page. Never set it on a real studio.
  STUDIO_E2E_SESSION_TOKEN: optionalString.pipe(z.string().regex(/^[A-Za-z0-9]{32,}$/, "must be 32+ letters and digits").optional()),
});

/** Where images go when STUDIO_S3_BUCKET is set; keys absent means the SDK's own chain (IAM role, env, profile). */
export interface S3Settings {
  bucket: string;
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

/** The S3 variables are only meaningful together: refuse a half-configured bucket rather than ignore it. */
function s3Settings(values: z.infer<typeof envSchema>): { settings?: S3Settings; issues: string[] } {
  const { STUDIO_S3_BUCKET: bucket, STUDIO_S3_ACCESS_KEY_ID: accessKeyId, STUDIO_S3_SECRET_ACCESS_KEY: secretAccessKey } = values;
  const issues: string[] = [];
  const others = (["STUDIO_S3_ENDPOINT", "STUDIO_S3_REGION", "STUDIO_S3_ACCESS_KEY_ID", "STUDIO_S3_SECRET_ACCESS_KEY", "STUDIO_S3_FORCE_PATH_STYLE"] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (!bucket) {
    if (others.length > 0) issues.push(`STUDIO_S3_BUCKET: required when ${others.join(", ")} ${others.length === 1 ? "is" : "are"} set`);
    return { issues };
  }
  if (!values.DATABASE_URL) issues.push("STUDIO_S3_BUCKET: images in a bucket need DATABASE_URL too (several instances share both); unset it to keep images in the data directory");
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    issues.push("STUDIO_S3_ACCESS_KEY_ID, STUDIO_S3_SECRET_ACCESS_KEY: set both, or neither to use the SDK's credential chain");
  }
  return {
    issues,
    settings: {
      bucket,
      endpoint: values.STUDIO_S3_ENDPOINT,
      region: values.STUDIO_S3_REGION ?? "us-east-1",
      accessKeyId,
      secretAccessKey,
      forcePathStyle: values.STUDIO_S3_FORCE_PATH_STYLE === "1",
    },
  };
}

export type StudioMode = "live" | "offline-preview" | "unconfigured";

export interface StudioEnv {
  geminiApiKey: string | undefined;
  geminiBaseUrl: string | undefined;
  dataDir: string;
  defaultModel: string | undefined;
  /** STUDIO_GEMINI_STORE: false asks Google not to store requests (`store: false`); undefined: Google's default. */
  geminiStore: boolean | undefined;
  /** STUDIO_GEMINI_BACKEND: "interactions" keeps conversations on Google's side (previous_interaction_id). */
  geminiBackend: "generateContent" | "interactions";
  /** STUDIO_GEMINI_FILES=1: reference images and earlier user images go by Files API URI (generateContent only). */
  geminiFiles: boolean;
  mode: StudioMode;
  port: number;
  /** 0 when generation is not rate limited. */
  rateLimitPerMinute: number;
  /** Undefined: the job runner's default. */
  jobDeadlineMs: number | undefined;
  /** On SIGTERM, how long running jobs may take to finish before they are stopped. */
  shutdownGraceMs: number;
  /** Undefined: the job runner's default (32). */
  maxConcurrentJobs: number | undefined;
  /** Undefined: the job runner's default (256). */
  maxQueuedJobs: number | undefined;
  /** Undefined: the job runner's default (DEFAULT_HISTORY_CACHE_MB); 0 turns the cache off. */
  historyCacheBytes: number | undefined;
  /** Set: sessions and turns live in this PostgreSQL database instead of SQLite. */
  databaseUrl: string | undefined;
  /** Set: images live in this bucket instead of the data directory (requires databaseUrl). */
  s3: S3Settings | undefined;
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
  auth: AuthEnv;
}

export interface OidcEnv {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case domains; empty means SSO signs in existing people only. */
  allowedDomains: string[];
}

export interface AuthEnv {
  /** Undefined: generated and kept in the data directory (lib/server/auth/secret.ts). */
  secret: string | undefined;
  /** Undefined: taken from each request's Host. */
  publicUrl: string | undefined;
  oidc: OidcEnv | undefined;
  maxSignInFailures: number;
  e2eSessionToken: string | undefined;
}

export const DEFAULT_MIN_FREE_DISK_MB = 512;
export const DEFAULT_UPLOAD_QUOTA_MB_PER_HOUR = 2_000;
export const DEFAULT_UNUSED_UPLOAD_TTL_HOURS = 24;
const LOOPBACK_PROXIES = ["127.0.0.0/8", "::1"];

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 20;
export const DEFAULT_SHUTDOWN_GRACE_MS = 8_000;

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
  const s3 = s3Settings(values);
  const proxies = values.STUDIO_TRUSTED_PROXIES?.split(",").map((entry) => entry.trim()).filter(Boolean) ?? [];
  const badProxies = proxies.filter((entry) => !isAddressOrCidr(entry));
  const issues = [...s3.issues];
  if (badProxies.length > 0) issues.push(`STUDIO_TRUSTED_PROXIES: not an IP address or CIDR: ${badProxies.join(", ")}`);
  if (issues.length > 0) throw new EnvError(issues);
  const oidcValues = [values.STUDIO_OIDC_ISSUER, values.STUDIO_OIDC_CLIENT_ID, values.STUDIO_OIDC_CLIENT_SECRET];
  if (oidcValues.some((value) => value !== undefined) && !oidcValues.every((value) => value !== undefined)) {
    throw new EnvError(["STUDIO_OIDC_ISSUER, STUDIO_OIDC_CLIENT_ID and STUDIO_OIDC_CLIENT_SECRET: set all three for single sign-on, or none"]);
  }
  const allowedDomains = (values.STUDIO_OIDC_ALLOWED_DOMAINS ?? "")
    .split(",")
    .map((domain) => domain.trim().toLowerCase().replace(/^@/, ""))
    .filter((domain) => domain !== "");
  const offlinePreview = values.STUDIO_OFFLINE_PREVIEW === "1";
  const mode: StudioMode = offlinePreview ? "offline-preview" : values.GEMINI_API_KEY ? "live" : "unconfigured";
  return {
    geminiApiKey: values.GEMINI_API_KEY,
    geminiBaseUrl: values.GEMINI_BASE_URL,
    dataDir: path.resolve(cwd, values.STUDIO_DATA_DIR ?? ".nano-banana"),
    defaultModel: values.STUDIO_DEFAULT_MODEL,
    geminiStore: values.STUDIO_GEMINI_STORE === undefined ? undefined : values.STUDIO_GEMINI_STORE === "true",
    geminiBackend: values.STUDIO_GEMINI_BACKEND ?? "generateContent",
    geminiFiles: values.STUDIO_GEMINI_FILES === "1",
    mode,
    port: values.PORT ?? 3000,
    rateLimitPerMinute: values.STUDIO_RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    jobDeadlineMs: values.STUDIO_JOB_DEADLINE_MS,
    shutdownGraceMs: values.STUDIO_SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS,
    maxConcurrentJobs: values.STUDIO_MAX_CONCURRENT_JOBS,
    maxQueuedJobs: values.STUDIO_MAX_QUEUED_JOBS,
    historyCacheBytes: values.STUDIO_HISTORY_CACHE_MB === undefined ? undefined : values.STUDIO_HISTORY_CACHE_MB * 1_000_000,
    databaseUrl: values.DATABASE_URL,
    s3: s3.settings,
    trustedProxies: proxies.length > 0
      ? proxies
      : values.STUDIO_TRUST_PROXY === "1"
        ? LOOPBACK_PROXIES
        : [],
    minFreeDiskBytes: (values.STUDIO_MIN_FREE_DISK_MB ?? DEFAULT_MIN_FREE_DISK_MB) * 1_000_000,
    uploadQuotaBytesPerHour: (values.STUDIO_UPLOAD_QUOTA_MB_PER_HOUR ?? DEFAULT_UPLOAD_QUOTA_MB_PER_HOUR) * 1_000_000,
    unusedUploadTtlMs: (values.STUDIO_UNUSED_UPLOAD_TTL_HOURS ?? DEFAULT_UNUSED_UPLOAD_TTL_HOURS) * 3_600_000,
    auth: {
      secret: values.BETTER_AUTH_SECRET,
      publicUrl: values.BETTER_AUTH_URL ?? values.STUDIO_PUBLIC_URL,
      oidc:
        values.STUDIO_OIDC_ISSUER && values.STUDIO_OIDC_CLIENT_ID && values.STUDIO_OIDC_CLIENT_SECRET
          ? {
              issuer: values.STUDIO_OIDC_ISSUER,
              clientId: values.STUDIO_OIDC_CLIENT_ID,
              clientSecret: values.STUDIO_OIDC_CLIENT_SECRET,
              allowedDomains,
            }
          : undefined,
      maxSignInFailures: values.STUDIO_SIGN_IN_MAX_FAILURES ?? 5,
      e2eSessionToken: values.STUDIO_E2E_SESSION_TOKEN,
    },
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
