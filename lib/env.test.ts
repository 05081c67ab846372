import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("defaults the data directory to .nano-banana in the working directory", () => {
    const env = parseEnv({}, "/srv/studio");
    expect(env.dataDir).toBe(path.resolve("/srv/studio", ".nano-banana"));
    expect(env.port).toBe(3000);
    expect(env.mode).toBe("unconfigured");
    expect(env.geminiApiKey).toBeUndefined();
  });

  it("is live with a key and offline preview when the launcher says so", () => {
    expect(parseEnv({ GEMINI_API_KEY: "AIza-secret" }).mode).toBe("live");
    expect(parseEnv({ GEMINI_API_KEY: "x", STUDIO_OFFLINE_PREVIEW: "1" }).mode).toBe("offline-preview");
  });

  it("treats blank values as unset rather than as an empty key", () => {
    const env = parseEnv({ GEMINI_API_KEY: "   ", STUDIO_DATA_DIR: "" }, "/tmp/x");
    expect(env.geminiApiKey).toBeUndefined();
    expect(env.dataDir).toBe(path.resolve("/tmp/x", ".nano-banana"));
  });

  it("resolves a relative data directory and reads the port", () => {
    const env = parseEnv({ STUDIO_DATA_DIR: "data/images", PORT: "4100" }, "/srv/studio");
    expect(env.dataDir).toBe("/srv/studio/data/images");
    expect(env.port).toBe(4100);
  });

  it("rejects a malformed base URL or port with a message naming the variable", () => {
    expect(() => parseEnv({ GEMINI_BASE_URL: "not a url" })).toThrow(EnvError);
    expect(() => parseEnv({ GEMINI_BASE_URL: "ftp://example.com" })).toThrow(/GEMINI_BASE_URL/);
    expect(() => parseEnv({ PORT: "70000" })).toThrow(/PORT/);
  });

  it("never includes the key in an error message", () => {
    try {
      parseEnv({ GEMINI_API_KEY: "AIza-do-not-leak", PORT: "abc" });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("AIza-do-not-leak");
    }
  });
});

describe("parseEnv: rate limit, proxy trust and job deadline", () => {
  it("defaults to 20 generations a minute, no trusted proxy and the runner's own deadline", () => {
    const env = parseEnv({});
    expect(env.rateLimitPerMinute).toBe(20);
    expect(env.trustedProxies).toEqual([]);
    expect(env.jobDeadlineMs).toBeUndefined();
  });

  it("reads them, with 0 turning the limit off", () => {
    const env = parseEnv({ STUDIO_RATE_LIMIT_PER_MINUTE: "0", STUDIO_TRUST_PROXY: "1", STUDIO_JOB_DEADLINE_MS: "3000" });
    expect(env).toMatchObject({ rateLimitPerMinute: 0, trustedProxies: ["127.0.0.0/8", "::1"], jobDeadlineMs: 3000 });
  });

  it("rejects nonsense with the variable's name", () => {
    expect(() => parseEnv({ STUDIO_RATE_LIMIT_PER_MINUTE: "-1" })).toThrow(/STUDIO_RATE_LIMIT_PER_MINUTE/);
    expect(() => parseEnv({ STUDIO_TRUST_PROXY: "yes" })).toThrow(/STUDIO_TRUST_PROXY/);
    expect(() => parseEnv({ STUDIO_JOB_DEADLINE_MS: "10" })).toThrow(/STUDIO_JOB_DEADLINE_MS/);
  });
});

describe("parseEnv: job slots and queue", () => {
  it("leaves both to the runner's defaults when unset", () => {
    expect(parseEnv({})).toMatchObject({ maxConcurrentJobs: undefined, maxQueuedJobs: undefined });
  });

  it("reads them, with a queue of 0 allowed", () => {
    expect(parseEnv({ STUDIO_MAX_CONCURRENT_JOBS: "4", STUDIO_MAX_QUEUED_JOBS: "0" })).toMatchObject({ maxConcurrentJobs: 4, maxQueuedJobs: 0 });
  });

  it("rejects anything but a positive whole number of slots, and a negative queue", () => {
    for (const value of ["0", "-2", "1.5", "many"]) {
      expect(() => parseEnv({ STUDIO_MAX_CONCURRENT_JOBS: value })).toThrow(/STUDIO_MAX_CONCURRENT_JOBS/);
    }
    expect(() => parseEnv({ STUDIO_MAX_QUEUED_JOBS: "-1" })).toThrow(/STUDIO_MAX_QUEUED_JOBS/);
  });

  it("reads the history cache size in MB, 0 turning it off, and refuses anything else", () => {
    expect(parseEnv({}).historyCacheBytes).toBeUndefined();
    expect(parseEnv({ STUDIO_HISTORY_CACHE_MB: "256" }).historyCacheBytes).toBe(256_000_000);
    expect(parseEnv({ STUDIO_HISTORY_CACHE_MB: "0" }).historyCacheBytes).toBe(0);
    for (const value of ["-1", "1.5", "lots"]) {
      expect(() => parseEnv({ STUDIO_HISTORY_CACHE_MB: value })).toThrow(/STUDIO_HISTORY_CACHE_MB/);
    }
  });

  it("reads the shutdown grace period, 8 s by default and 0 allowed, and refuses anything else", () => {
    expect(parseEnv({}).shutdownGraceMs).toBe(8_000);
    expect(parseEnv({ STUDIO_SHUTDOWN_GRACE_MS: "0" }).shutdownGraceMs).toBe(0);
    expect(parseEnv({ STUDIO_SHUTDOWN_GRACE_MS: "25000" }).shutdownGraceMs).toBe(25_000);
    for (const value of ["-1", "1.5", "soon"]) {
      expect(() => parseEnv({ STUDIO_SHUTDOWN_GRACE_MS: value })).toThrow(/STUDIO_SHUTDOWN_GRACE_MS/);
    }
  });

  it("reads trusted proxies as IPs and CIDRs, and refuses anything else", () => {
    expect(parseEnv({ STUDIO_TRUSTED_PROXIES: " 10.0.0.0/8, ::1 ,192.168.1.5" }).trustedProxies).toEqual(["10.0.0.0/8", "::1", "192.168.1.5"]);
    // The list replaces the old switch when both are set.
    expect(parseEnv({ STUDIO_TRUSTED_PROXIES: "10.0.0.1", STUDIO_TRUST_PROXY: "1" }).trustedProxies).toEqual(["10.0.0.1"]);
    expect(() => parseEnv({ STUDIO_TRUSTED_PROXIES: "10.0.0.0/40" })).toThrow(/STUDIO_TRUSTED_PROXIES/);
    expect(() => parseEnv({ STUDIO_TRUSTED_PROXIES: "proxy.internal" })).toThrow(/proxy\.internal/);
  });

  it("reads the disk threshold, upload quota and unused-upload grace, with defaults", () => {
    expect(parseEnv({})).toMatchObject({ minFreeDiskBytes: 512_000_000, uploadQuotaBytesPerHour: 2_000_000_000, unusedUploadTtlMs: 24 * 3_600_000 });
    expect(parseEnv({ STUDIO_MIN_FREE_DISK_MB: "0", STUDIO_UPLOAD_QUOTA_MB_PER_HOUR: "50", STUDIO_UNUSED_UPLOAD_TTL_HOURS: "0.5" })).toMatchObject({
      minFreeDiskBytes: 0,
      uploadQuotaBytesPerHour: 50_000_000,
      unusedUploadTtlMs: 1_800_000,
    });
    expect(() => parseEnv({ STUDIO_MIN_FREE_DISK_MB: "-1" })).toThrow(EnvError);
  });
});

describe("parseEnv: PostgreSQL and S3", () => {
  it("keeps the embedded default when neither is set", () => {
    expect(parseEnv({})).toMatchObject({ databaseUrl: undefined, s3: undefined });
  });

  it("reads a database URL and a bucket with its settings", () => {
    const env = parseEnv({
      DATABASE_URL: "postgres://studio:secret@db.internal:5432/studio",
      STUDIO_S3_BUCKET: "studio-images",
      STUDIO_S3_ENDPOINT: "http://127.0.0.1:3900",
      STUDIO_S3_REGION: "garage",
      STUDIO_S3_ACCESS_KEY_ID: "GK123",
      STUDIO_S3_SECRET_ACCESS_KEY: "s3cret",
      STUDIO_S3_FORCE_PATH_STYLE: "1",
    });
    expect(env.databaseUrl).toBe("postgres://studio:secret@db.internal:5432/studio");
    expect(env.s3).toEqual({ bucket: "studio-images", endpoint: "http://127.0.0.1:3900", region: "garage", accessKeyId: "GK123", secretAccessKey: "s3cret", forcePathStyle: true });
    expect(parseEnv({ DATABASE_URL: "postgresql://h/db", STUDIO_S3_BUCKET: "b-1" }).s3).toMatchObject({ region: "us-east-1", forcePathStyle: false, accessKeyId: undefined });
  });

  it("refuses a half-configured setup, naming the variables and never the password", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://u:hunter2@h/db" })).toThrow(/DATABASE_URL: must be a postgres/);
    try {
      parseEnv({ DATABASE_URL: "mysql://u:hunter2@h/db" });
    } catch (error) {
      expect(String(error)).not.toContain("hunter2");
    }
    expect(() => parseEnv({ STUDIO_S3_ENDPOINT: "http://s3.local" })).toThrow(/STUDIO_S3_BUCKET: required when STUDIO_S3_ENDPOINT is set/);
    expect(() => parseEnv({ STUDIO_S3_BUCKET: "images" })).toThrow(/need DATABASE_URL/);
    expect(() => parseEnv({ DATABASE_URL: "postgres://h/db", STUDIO_S3_BUCKET: "images", STUDIO_S3_ACCESS_KEY_ID: "x" })).toThrow(/set both/);
    expect(() => parseEnv({ DATABASE_URL: "postgres://h/db", STUDIO_S3_BUCKET: "Not_A_Bucket" })).toThrow(/STUDIO_S3_BUCKET: must be an S3 bucket name/);
    expect(() => parseEnv({ DATABASE_URL: "postgres://h/db", STUDIO_S3_BUCKET: "images", STUDIO_S3_FORCE_PATH_STYLE: "yes" })).toThrow(/STUDIO_S3_FORCE_PATH_STYLE/);
  });
});

describe("parseEnv: the Gemini backend", () => {
  it("defaults to generateContent and takes interactions", () => {
    expect(parseEnv({}).geminiBackend).toBe("generateContent");
    expect(parseEnv({ STUDIO_GEMINI_BACKEND: "interactions" }).geminiBackend).toBe("interactions");
  });

  it("rejects anything else, naming the variable", () => {
    expect(() => parseEnv({ STUDIO_GEMINI_BACKEND: "Interactions" })).toThrow(/STUDIO_GEMINI_BACKEND/);
  });
});

describe("parseEnv: the Files API", () => {
  it("is off unless STUDIO_GEMINI_FILES is 1, and rejects anything but 0 or 1", () => {
    expect(parseEnv({}).geminiFiles).toBe(false);
    expect(parseEnv({ STUDIO_GEMINI_FILES: "0" }).geminiFiles).toBe(false);
    expect(parseEnv({ STUDIO_GEMINI_FILES: "1" }).geminiFiles).toBe(true);
    expect(() => parseEnv({ STUDIO_GEMINI_FILES: "yes" })).toThrow(/STUDIO_GEMINI_FILES/);
  });
});

describe("parseEnv: Google's request storage", () => {
  it("leaves Google's default unless STUDIO_GEMINI_STORE says true or false", () => {
    expect(parseEnv({}).geminiStore).toBeUndefined();
    expect(parseEnv({ STUDIO_GEMINI_STORE: "" }).geminiStore).toBeUndefined();
    expect(parseEnv({ STUDIO_GEMINI_STORE: "false" }).geminiStore).toBe(false);
    expect(parseEnv({ STUDIO_GEMINI_STORE: "true" }).geminiStore).toBe(true);
  });

  it("rejects anything else, naming the variable", () => {
    expect(() => parseEnv({ STUDIO_GEMINI_STORE: "no" })).toThrow(/STUDIO_GEMINI_STORE/);
  });
});
