import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "./request-log";
import { startEmulator, type RunningEmulator } from "./server";
import { createClient, finalImagePart, inlinePart, rawRequest, solidImage } from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
});

async function requestLog(): Promise<RequestLogEntry[]> {
  return (await rawRequest(emulator, "GET", "/_emulator/requests", undefined, {})).json() as RequestLogEntry[];
}

describe("request log", () => {
  it("records model requests with secrets redacted and payloads shrunk", async () => {
    const ai = createClient(emulator, { apiKey: "super-secret-key" });
    const first = await ai.models.generateContent({ model: "gemini-3-pro-image", contents: "a lantern", config: { responseModalities: ["IMAGE"] } });
    const image = finalImagePart(first);
    const reference = await solidImage(40, 40, "#abcdef");
    await ai.models.generateContent({
      model: "gemini-3-pro-image",
      contents: [
        { role: "user", parts: [{ text: "a lantern" }] },
        { role: "model", parts: [image] },
        { role: "user", parts: [{ text: "like this one" }, inlinePart(reference)] },
      ],
    });

    const log = await requestLog();
    expect(log).toHaveLength(2);
    const entry = log[1];
    expect(entry).toMatchObject({
      id: expect.any(Number),
      method: "POST",
      path: "/v1/models/gemini-3-pro-image:generateContent",
      model: "gemini-3-pro-image",
      apiVersion: "v1",
      status: 200,
      fault: null,
    });
    expect(new Date(entry?.time ?? "").toISOString()).toBe(entry?.time);
    expect(entry?.headers["x-goog-api-key"]).toBe("***");
    expect(JSON.stringify(log)).not.toContain("super-secret-key");

    const body = entry?.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> };
    const replayed = body.contents[1]?.parts[0] as { inlineData: { data: string; mimeType: string }; thoughtSignature: string };
    expect(replayed.inlineData.mimeType).toBe("image/jpeg");
    expect(replayed.inlineData.data).toMatch(/^<\d+ base64 chars sha256=[0-9a-f]{16}>$/);
    expect(replayed.thoughtSignature).toMatch(/^<signature \d+ chars valid>$/);
    const uploaded = body.contents[2]?.parts[1] as { inlineData: { data: string } };
    const digest = createHash("sha256").update(reference).digest("hex").slice(0, 16);
    expect(uploaded.inlineData.data).toBe(`<${reference.toString("base64").length} base64 chars sha256=${digest}>`);
  });

  it("marks invalid signatures, redacts ?key= and records error statuses", async () => {
    await rawRequest(
      emulator,
      "POST",
      "/v1beta/models/gemini-3.1-flash-image:generateContent?key=query-secret",
      {
        contents: [
          { role: "user", parts: [{ text: "x" }] },
          { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: (await solidImage(8, 8, "#000")).toString("base64") }, thoughtSignature: "Zm9yZ2Vk" }] },
          { role: "user", parts: [{ text: "y" }] },
        ],
      },
      {},
    );
    const [entry] = await requestLog();
    expect(entry?.path).toBe("/v1beta/models/gemini-3.1-flash-image:generateContent?key=***");
    expect(entry?.status).toBe(400);
    expect(JSON.stringify(entry?.body)).toContain("<signature 8 chars invalid>");
  });

  it("leaves control requests out and can be cleared", async () => {
    await rawRequest(emulator, "GET", "/v1beta/models");
    await rawRequest(emulator, "GET", "/_emulator/health", undefined, {});
    expect((await requestLog()).map((entry) => entry.path)).toEqual(["/v1beta/models"]);
    await rawRequest(emulator, "DELETE", "/_emulator/requests", undefined, {});
    expect(await requestLog()).toEqual([]);
  });
});

describe("held requests", () => {
  it("answers a fault queued with hold only once released, and says how many waited", async () => {
    await rawRequest(emulator, "POST", "/_emulator/faults", { kind: "429", retryDelay: "1s", hold: true }, {});
    let answered = false;
    const pending = rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", { contents: [{ parts: [{ text: "a lantern" }] }] }).then((answer) => {
      answered = true;
      return answer;
    });
    await expect.poll(async () => (await rawRequest(emulator, "GET", "/_emulator/held", undefined, {})).json()).toEqual({ held: 1 });
    expect(answered).toBe(false);

    expect((await rawRequest(emulator, "POST", "/_emulator/release", undefined, {})).json()).toEqual({ released: 1 });
    const answer = await pending;
    expect(answer.status).toBe(429);
    expect((await rawRequest(emulator, "GET", "/_emulator/held", undefined, {})).json()).toEqual({ held: 0 });
    expect((await rawRequest(emulator, "POST", "/_emulator/release", undefined, {})).json()).toEqual({ released: 0 });
  });

  it("lets a held request go when its client gives up, and on reset", async () => {
    await rawRequest(emulator, "POST", "/_emulator/faults", { faults: [{ kind: "500", hold: true }, { kind: "500", hold: true }] }, {});
    const controller = new AbortController();
    const abandoned = fetch(`${emulator.url}/v1beta/models/gemini-3.1-flash-image:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "test-key" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "a lantern" }] }] }),
      signal: controller.signal,
    }).catch(() => null);
    await expect.poll(async () => (await rawRequest(emulator, "GET", "/_emulator/held", undefined, {})).json()).toEqual({ held: 1 });
    controller.abort();
    await abandoned;
    await expect.poll(async () => (await rawRequest(emulator, "GET", "/_emulator/held", undefined, {})).json()).toEqual({ held: 0 });

    const kept = rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", { contents: [{ parts: [{ text: "a lantern" }] }] });
    await expect.poll(async () => (await rawRequest(emulator, "GET", "/_emulator/held", undefined, {})).json()).toEqual({ held: 1 });
    await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
    expect((await kept).status).toBe(500);
  });
});

describe("generations in flight", () => {
  const inFlight = async () => (await rawRequest(emulator, "GET", "/_emulator/in-flight", undefined, {})).json();
  const generate = (signal?: AbortSignal) =>
    fetch(`${emulator.url}/v1beta/models/gemini-3.1-flash-image:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "test-key" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "a lantern" }] }] }),
      signal,
    }).catch(() => null);

  it("counts generate requests while they are answered and keeps the most at once until reset", async () => {
    expect(await inFlight()).toEqual({ current: 0, peak: 0 });
    await rawRequest(emulator, "POST", "/_emulator/faults", { faults: [{ kind: "slow", delayMs: 0, hold: true }, { kind: "slow", delayMs: 0, hold: true }, { kind: "slow", delayMs: 0, hold: true }] }, {});
    const controller = new AbortController();
    const requests = [generate(), generate(), generate(controller.signal)];
    await expect.poll(inFlight).toEqual({ current: 3, peak: 3 });
    // Control and listing requests are not generations.
    await rawRequest(emulator, "GET", "/v1beta/models");
    expect(await inFlight()).toEqual({ current: 3, peak: 3 });

    // A client that gives up leaves the count too.
    controller.abort();
    await expect.poll(inFlight).toEqual({ current: 2, peak: 3 });
    expect((await rawRequest(emulator, "DELETE", "/_emulator/in-flight", undefined, {})).json()).toEqual({ current: 2, peak: 2 });

    await rawRequest(emulator, "POST", "/_emulator/release", undefined, {});
    const answers = await Promise.all(requests);
    expect(answers.slice(0, 2).map((answer) => answer?.status)).toEqual([200, 200]);
    expect(await inFlight()).toEqual({ current: 0, peak: 2 });
    await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
    expect(await inFlight()).toEqual({ current: 0, peak: 0 });
  });

  it("counts a request the emulator refuses only while it is answered", async () => {
    await rawRequest(emulator, "POST", "/_emulator/faults", { kind: "429" }, {});
    expect((await generate())?.status).toBe(429);
    expect(await inFlight()).toEqual({ current: 0, peak: 1 });
  });
});

describe("live configuration", () => {
  it("changes latency and payload size until reset", async () => {
    const changed = await rawRequest(emulator, "POST", "/_emulator/config", { latencyMs: 200, realisticPayload: true }, {});
    expect(changed.json()).toEqual({ latencyMs: 200, realisticPayload: true, enforceSignatures: true });

    const started = Date.now();
    const slow = await createClient(emulator).models.generateContent({
      model: "gemini-3.1-flash-image",
      contents: "configured",
      config: { responseModalities: ["IMAGE"] },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(finalImagePart(slow).thoughtSignature?.length).toBeGreaterThan(590_000);

    await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
    expect((await rawRequest(emulator, "GET", "/_emulator/config", undefined, {})).json()).toEqual({
      latencyMs: 0,
      realisticPayload: false,
      enforceSignatures: true,
    });
  });

  it("rejects unknown settings", async () => {
    const response = await rawRequest(emulator, "POST", "/_emulator/config", { latency: 5 }, {});
    expect(response.status).toBe(400);
    expect((response.json() as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT");
  });
});

describe("cli", () => {
  it("prints its address, serves, and exits cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "emulator/cli.ts"], {
      cwd: new URL("../", import.meta.url).pathname,
      env: { ...process.env, EMULATOR_PORT: "0", EMULATOR_LATENCY_MS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, "line")) as [string];
      const match = /^Gemini emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      expect(match).not.toBeNull();
      const health = await fetch(`${match?.[1]}/_emulator/health`);
      expect(await health.json()).toEqual({ ok: true });
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
