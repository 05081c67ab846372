import { ApiError, type GenerateContentResponse } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseFaultDirective, stripFaultDirectives } from "./faults";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, parts, rawRequest, readFixtureJson, sortedKeys } from "./test-support";

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

type Trigger = "queue" | "directive";

async function queue(...faults: Array<Record<string, unknown>>): Promise<void> {
  const response = await rawRequest(emulator, "POST", "/_emulator/faults", { faults }, {});
  expect(response.status).toBe(200);
}

/** Arms a fault one way or the other and returns the prompt to send. */
async function arm(trigger: Trigger, fault: Record<string, unknown>): Promise<string> {
  if (trigger === "queue") {
    await queue(fault);
    return "a harmless prompt";
  }
  const args = Object.entries(fault)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => ` ${key}=${String(value)}`)
    .join("");
  return `a harmless prompt [[fault:${String(fault.kind)}${args}]]`;
}

function generate(prompt: string) {
  return createClient(emulator).models.generateContent({ model: "gemini-3.1-flash-image", contents: prompt });
}

async function collect(prompt: string, model = "gemini-3.1-flash-image"): Promise<{ chunks: GenerateContentResponse[]; error: unknown }> {
  const chunks: GenerateContentResponse[] = [];
  try {
    const stream = await createClient(emulator).models.generateContentStream({ model, contents: prompt });
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

describe.each<Trigger>(["queue", "directive"])("faults armed by %s", (trigger) => {
  it("429 has the recorded RESOURCE_EXHAUSTED body with QuotaFailure and RetryInfo", async () => {
    const recorded = readFixtureJson("errors/429-resource-exhausted-retryinfo.json") as { error: { details: unknown[] } };
    const error = await captureApiError(generate(await arm(trigger, { kind: "429" })));
    expect(error.status).toBe(429);
    expect(error.body).toEqual(recorded);

    const custom = await captureApiError(generate(await arm(trigger, { kind: "429", retryDelay: "2s" })));
    expect(sortedKeys(custom.body.error)).toEqual(sortedKeys(recorded.error));
    expect(custom.body.error.details?.[1]).toEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" });
  });

  it.each([
    ["500", "errors/500-internal.json"],
    ["503", "errors/503-unavailable.json"],
  ])("%s answers with the recorded body", async (kind, fixture) => {
    const error = await captureApiError(generate(await arm(trigger, { kind })));
    expect(error.status).toBe(Number(kind));
    expect(error.body).toEqual(readFixtureJson(fixture));
  });

  it("prompt_blocked has no candidates, as recorded", async () => {
    const recorded = readFixtureJson("responses/prompt-blocked.json") as Record<string, unknown>;
    const raw = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", {
      contents: [{ parts: [{ text: await arm(trigger, { kind: "prompt_blocked" }) }] }],
    });
    const body = raw.json() as Record<string, unknown>;
    expect(sortedKeys(body)).toEqual(sortedKeys(recorded));
    expect(sortedKeys(body.usageMetadata)).toEqual(sortedKeys(recorded.usageMetadata));
    expect(body.promptFeedback).toEqual({ blockReason: "PROHIBITED_CONTENT" });
  });

  it("no_image has an empty content and NO_IMAGE, as recorded", async () => {
    const recorded = readFixtureJson("responses/no-image.json") as { candidates: unknown[]; usageMetadata: unknown };
    const response = await generate(await arm(trigger, { kind: "no_image" }));
    expect(response.candidates).toEqual([{ content: {}, finishReason: "NO_IMAGE", index: 0 }]);
    expect(sortedKeys(response.usageMetadata)).toEqual(sortedKeys(recorded.usageMetadata));
  });

  it("image_safety ends with IMAGE_SAFETY and no image", async () => {
    const response = await generate(await arm(trigger, { kind: "image_safety" }));
    expect(response.candidates?.[0]?.finishReason).toBe("IMAGE_SAFETY");
    expect(parts(response).some((part) => part.inlineData)).toBe(false);
  });

  it("text_only answers with text and STOP", async () => {
    const response = await generate(await arm(trigger, { kind: "text_only" }));
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(parts(response).some((part) => part.inlineData)).toBe(false);
    expect(response.text?.length).toBeGreaterThan(0);
  });

  it("slow delays every chunk", async () => {
    const started = Date.now();
    const { chunks, error } = await collect(await arm(trigger, { kind: "slow", delayMs: 150 }), "gemini-2.5-flash-image");
    expect(error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(chunks.length * 150 - 20);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
  });

  it("cut drops the stream after the first chunk", async () => {
    const { chunks, error } = await collect(await arm(trigger, { kind: "cut" }));
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApiError);
  });

  it("cut drops a unary request without an answer", async () => {
    await expect(generate(await arm(trigger, { kind: "cut" }))).rejects.toThrow();
  });

  it("error_chunk sends an SSE error event mid-stream", async () => {
    const { chunks, error } = await collect(await arm(trigger, { kind: "error_chunk", afterChunks: 2 }));
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(500);
    expect((error as ApiError).message).toContain("got status: INTERNAL");
  });

  it("hang never answers until the client gives up", async () => {
    const prompt = await arm(trigger, { kind: "hang" });
    const ai = createClient(emulator);
    const started = Date.now();
    await expect(
      ai.models.generateContent({ model: "gemini-3.1-flash-image", contents: prompt, config: { httpOptions: { timeout: 300 } } }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const log = (await rawRequest(emulator, "GET", "/_emulator/requests", undefined, {})).json() as Array<{ fault: string; status: unknown }>;
    expect(log.at(-1)).toMatchObject({ fault: "hang", status: null });
  });
});

describe("fault queue", () => {
  it("is consumed FIFO, one fault per generate or stream request only", async () => {
    await queue({ kind: "429" }, { kind: "503" });
    expect((await rawRequest(emulator, "GET", "/_emulator/health", undefined, {})).status).toBe(200);
    expect((await rawRequest(emulator, "GET", "/v1beta/models")).status).toBe(200);
    const listed = (await rawRequest(emulator, "GET", "/_emulator/faults", undefined, {})).json() as { faults: unknown[] };
    expect(listed.faults).toHaveLength(2);

    expect((await captureApiError(generate("one"))).status).toBe(429);
    const streamed = await collect("two");
    expect((streamed.error as ApiError).status).toBe(503);
    expect((await generate("three")).candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("can be cleared", async () => {
    await queue({ kind: "500" });
    await rawRequest(emulator, "DELETE", "/_emulator/faults", undefined, {});
    expect((await generate("fine")).candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("rejects unknown fault kinds, on the control endpoint and in directives", async () => {
    const response = await rawRequest(emulator, "POST", "/_emulator/faults", { faults: [{ kind: "418" }] }, {});
    expect(response.status).toBe(400);
    const error = await captureApiError(generate("[[fault:teapot]]"));
    expect(error.status).toBe(400);
    expect(error.body.error.message).toContain("Invalid fault directive");
  });

  it("only reads directives from the last user turn", async () => {
    const response = await createClient(emulator).models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [
        { role: "user", parts: [{ text: "[[fault:500]] first" }] },
        { role: "model", parts: [{ text: "ok" }] },
        { role: "user", parts: [{ text: "second" }] },
      ],
    });
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
  });
});

describe("directive parsing", () => {
  it("reads kinds and arguments, and strips directives from the prompt", () => {
    expect(parseFaultDirective("draw [[fault:429 retryDelay=2s]] now")).toEqual({ fault: { kind: "429", retryDelay: "2s" } });
    expect(parseFaultDirective("[[fault:slow delayMs=250]]")).toEqual({ fault: { kind: "slow", delayMs: 250 } });
    expect(parseFaultDirective("no directive")).toBeUndefined();
    expect(stripFaultDirectives("draw [[fault:cut afterChunks=2]] a cat")).toBe("draw a cat");
  });
});
