import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, sanitizeString, sanitizeValue, type LogLevel } from "./log";

const KEY = "nbs-canary-key-7f3a9c2e5b1d";

function capture(options: { level?: LogLevel; secrets?: readonly string[] } = {}) {
  const lines: Array<{ level: LogLevel; line: string }> = [];
  const logger = createLogger({
    write: (line, level) => lines.push({ level, line }),
    secrets: () => options.secrets ?? [KEY],
    now: () => new Date("2026-11-22T10:00:00.000Z"),
    level: options.level,
  });
  const parsed = () => lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createLogger", () => {
  it("writes one JSON object per line with time, level and event", () => {
    const { logger, lines, parsed } = capture();
    logger.info("turn.started", { turnId: "t1", attempts: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).not.toContain("\n");
    expect(parsed()[0]).toEqual({ turnId: "t1", attempts: 1, time: "2026-11-22T10:00:00.000Z", level: "info", event: "turn.started" });
  });

  it("routes levels and drops lines below the threshold", () => {
    const { logger, lines } = capture({ level: "warn" });
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    expect(lines.map((entry) => [entry.level, JSON.parse(entry.line).event])).toEqual([
      ["warn", "c"],
      ["error", "d"],
    ]);
  });

  it("never lets a field forge the time, level or event", () => {
    const { logger, parsed } = capture();
    logger.info("real", { level: "error", event: "fake", time: "yesterday" });
    expect(parsed()[0]).toMatchObject({ level: "info", event: "real", time: "2026-11-22T10:00:00.000Z" });
  });

  it("carries a child's fields on every line", () => {
    const { logger, parsed } = capture();
    logger.child({ turnId: "t9" }).warn("turn.retry", { attempt: 2 });
    expect(parsed()[0]).toMatchObject({ turnId: "t9", attempt: 2, event: "turn.retry" });
  });

  it("removes the configured key and Google-shaped keys from every string, message and stack", () => {
    const { logger, lines } = capture();
    const error = new Error(`request failed with key ${KEY}`);
    logger.error(`boom ${KEY}`, {
      detail: `x-goog-api-key: ${KEY}`,
      other: "AIzaSyA1234567890abcdefghijklmnopqrstu",
      nested: { deeper: [KEY] },
      error,
    });
    const line = lines[0]?.line ?? "";
    expect(line).not.toContain(KEY);
    expect(line).not.toContain("AIzaSyA1234567890");
    expect(line).toContain("[redacted key]");
  });

  it("redacts fields named like secrets in their usual spellings, down to the third level", () => {
    const { logger, parsed } = capture();
    logger.info("request", {
      headers: { "x-goog-api-key": "abc", Authorization: "Bearer x", cookie: "s=1", "Set-Cookie": "t=2" },
      apiKey: "k",
      api_key: "k1",
      GEMINI_API_KEY: "k2",
      part: { text: "hello", thoughtSignature: "c2lnbmF0dXJl".repeat(10) },
      request: { headers: { "X-Goog-Api-Key": "abc", accept: "json" } },
      parts: [{ thoughtSignature: "c2ln" }],
    });
    expect(parsed()[0]).toMatchObject({
      headers: { "x-goog-api-key": "[redacted]", Authorization: "[redacted]", cookie: "[redacted]", "Set-Cookie": "[redacted]" },
      apiKey: "[redacted]",
      api_key: "[redacted]",
      GEMINI_API_KEY: "[redacted]",
      part: { text: "hello", thoughtSignature: "[redacted]" },
      request: { headers: { "X-Goog-Api-Key": "[redacted]", accept: "json" } },
      parts: [{ thoughtSignature: "[redacted]" }],
    });
  });

  it("strips keys and thought signatures by their content at any depth, also in a child's fields", () => {
    const { logger, lines } = capture();
    const signature = Buffer.alloc(900, 3).toString("base64");
    const deep = { a: { b: { c: { d: { apiKeyCopy: KEY, google: "AIzaSyA1234567890abcdefghijklmnopqrstu", sig: signature } } } } };
    logger.child({ apiKey: KEY, note: `key=${KEY}` }).info("deep", { deep, contents: [{ parts: [{ thoughtSignature: signature }] }] });
    const line = lines[0]?.line ?? "";
    expect(line).not.toContain(KEY);
    expect(line).not.toContain("AIzaSyA1234567890");
    expect(line).not.toContain(signature.slice(0, 50));
    expect(JSON.parse(line)).toMatchObject({ apiKey: "[redacted]", note: "key=[redacted key]" });
  });

  it("never lets a child's fields forge the level or event", () => {
    const { logger, parsed } = capture();
    logger.child({ level: "error", event: "fake", time: "yesterday", turnId: "t1" }).info("real");
    expect(parsed()[0]).toEqual({ turnId: "t1", level: "info", event: "real", time: "2026-11-22T10:00:00.000Z" });
  });

  it("keeps image bytes and base64 out: buffers, inlineData, data URLs and long base64 runs", () => {
    const { logger, lines, parsed } = capture();
    const base64 = Buffer.alloc(3000, 7).toString("base64");
    logger.info("image", {
      buffer: Buffer.alloc(1234),
      array: new Uint8Array(10),
      inlineData: { mimeType: "image/png", data: base64 },
      url: `data:image/png;base64,${base64}`,
      message: `the model said ${base64} and more`,
    });
    expect(lines[0]?.line).not.toContain(base64.slice(0, 100));
    expect(parsed()[0]).toMatchObject({
      buffer: "[1234 bytes]",
      array: "[10 bytes]",
      inlineData: { mimeType: "image/png", data: `[base64, ${base64.length} chars]` },
      url: `[data URL, ${"data:image/png;base64,".length + base64.length} chars]`,
    });
    expect(String(parsed()[0]?.message)).toMatch(/^the model said \[base64, \d+ chars\] and more$/);
  });

  it("bounds long strings, long arrays, deep and cyclic objects", () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: true };
    for (let index = 0; index < 10; index += 1) deep = { deep };
    logger.info("bounded", { text: "word ".repeat(2000), list: Array.from({ length: 80 }, (_, index) => index), cyclic, deep });
    const line = parsed()[0] ?? {};
    expect(String(line.text).length).toBeLessThan(2_100);
    expect((line.list as unknown[]).length).toBe(51);
    expect(line.cyclic).toEqual({ name: "loop", self: "[circular]" });
    expect(JSON.stringify(line.deep)).toContain("[deep]");
  });

  it("describes errors by name, message, code, status and a short stack", () => {
    const { logger, parsed } = capture();
    const error = Object.assign(new Error("disk full", { cause: new Error("ENOSPC") }), { code: "ENOSPC" });
    logger.error("storage.failed", { error });
    expect(parsed()[0]?.error).toMatchObject({ name: "Error", message: "disk full", code: "ENOSPC", cause: { message: "ENOSPC" } });
  });

  it("writes info to stdout and warnings and errors to stderr, one line each", () => {
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const logger = createLogger({ level: "debug" });
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    const events = (spy: typeof stdout) => spy.mock.calls.map(([chunk]) => JSON.parse(String(chunk).replace(/\n$/, "")).event);
    expect(events(stdout)).toEqual(["a", "b"]);
    expect(events(stderr)).toEqual(["c", "d"]);
    for (const [chunk] of [...stdout.mock.calls, ...stderr.mock.calls]) expect(String(chunk)).toMatch(/^\{[^\n]*\}\n$/);
  });

  it("does not throw when writing fails", () => {
    const logger = createLogger({
      write: () => {
        throw new Error("stdout closed");
      },
    });
    expect(() => logger.info("x")).not.toThrow();
  });
});

describe("sanitize helpers", () => {
  it("ignores secrets too short to be a key, so ordinary words survive", () => {
    expect(sanitizeString("the key is set", ["key"])).toBe("the key is set");
  });

  it("turns non-JSON values into something JSON can carry", () => {
    expect(sanitizeValue({ n: Number.NaN, b: BigInt(5), d: new Date("2026-01-01T00:00:00Z"), u: undefined })).toEqual({
      n: "NaN",
      b: "5",
      d: "2026-01-01T00:00:00.000Z",
    });
    expect(sanitizeValue([undefined])).toEqual([null]);
  });
});
