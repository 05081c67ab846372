import { JobState, type InlinedRequest } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, finalImagePart, rawRequest } from "./test-support";

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

const MODEL = "gemini-3.1-flash-image";

function requests(...prompts: string[]): InlinedRequest[] {
  return prompts.map((prompt) => ({ contents: [{ role: "user", parts: [{ text: prompt }] }], config: { responseModalities: ["TEXT", "IMAGE"] } }));
}

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await rawRequest(emulator, method, `/_emulator/${path}`, body, {});
  expect(response.status).toBe(200);
  return response.json();
}

describe("batches through the real SDK", () => {
  it("creates a pending batch whose answers land in dest.inlinedResponses, in order, like generateContent's", async () => {
    await control("POST", "batches", { delayMs: null });
    const ai = createClient(emulator);
    const created = await ai.batches.create({ model: MODEL, src: requests("a red fox", "a blue whale"), config: { displayName: "two" } });
    expect(created.name).toMatch(/^batches\/[a-z0-9]+$/);
    expect(created.state).toBe(JobState.JOB_STATE_PENDING);
    expect(created.displayName).toBe("two");
    expect(created.model).toBe(`models/${MODEL}`);
    expect(created.dest).toBeUndefined();

    const name = created.name ?? "";
    expect((await ai.batches.get({ name })).state).toBe(JobState.JOB_STATE_RUNNING);
    expect(await control("POST", "batches/finish", {})).toEqual({ finished: 1 });

    const done = await ai.batches.get({ name });
    expect(done.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(done.endTime).toBeTruthy();
    const answers = done.dest?.inlinedResponses ?? [];
    expect(answers).toHaveLength(2);
    const direct = await ai.models.generateContent({ model: MODEL, contents: "a red fox", config: { responseModalities: ["TEXT", "IMAGE"] } });
    for (const item of answers) {
      expect(item.error).toBeUndefined();
      // The SDK's own response class, with the signature and usage a direct answer has.
      expect(finalImagePart(item.response!).thoughtSignature).toBeTruthy();
      const imageTokens = (response: typeof direct | undefined) => response?.usageMetadata?.candidatesTokensDetails?.find((entry) => entry.modality === "IMAGE")?.tokenCount;
      expect(imageTokens(item.response)).toBe(imageTokens(direct));
      expect(imageTokens(direct)).toBeGreaterThan(0);
    }
    // In the order sent: each image is drawn from its own prompt.
    const first = finalImagePart(answers[0]!.response!).inlineData?.data;
    expect(first).toBeTruthy();
    expect(first).not.toBe(finalImagePart(answers[1]!.response!).inlineData?.data);
  });

  it("speaks BATCH_STATE_* on the wire, in a long-running operation envelope", async () => {
    await control("POST", "batches", { delayMs: 0 });
    const create = await rawRequest(emulator, "POST", `/v1beta/models/${MODEL}:batchGenerateContent`, {
      batch: { displayName: "raw", inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: "a kite" }] }] }, metadata: { key: "k1" } }] } } },
    });
    expect(create.status).toBe(200);
    const operation = create.json() as { name: string; metadata: { state: string; "@type": string; batchStats: Record<string, string> } };
    expect(operation.metadata["@type"]).toBe("type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch");
    expect(operation.metadata.state).toBe("BATCH_STATE_PENDING");
    expect(operation.metadata.batchStats).toEqual({ requestCount: "1", pendingRequestCount: "1" });

    const got = (await rawRequest(emulator, "GET", `/v1beta/${operation.name}`)).json() as Record<string, never>;
    expect(got).toMatchObject({ name: operation.name, done: true, metadata: { state: "BATCH_STATE_SUCCEEDED", batchStats: { requestCount: "1", successfulRequestCount: "1" } } });
    expect(got).toHaveProperty(["metadata", "output", "inlinedResponses", "inlinedResponses", 0, "metadata"], { key: "k1" });
    expect(got).toHaveProperty(["response", "inlinedResponses", "inlinedResponses", 0, "response", "candidates"]);
  });

  it("ends the batch after the configured delay", async () => {
    await control("POST", "batches", { delayMs: 150 });
    const ai = createClient(emulator);
    const { name = "" } = await ai.batches.create({ model: MODEL, src: requests("a lamp") });
    expect((await ai.batches.get({ name })).state).not.toBe(JobState.JOB_STATE_SUCCEEDED);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await ai.batches.get({ name })).state).toBe(JobState.JOB_STATE_SUCCEEDED);
  });

  it.each([
    ["failed", JobState.JOB_STATE_FAILED, 13],
    ["expired", JobState.JOB_STATE_EXPIRED, 4],
  ] as const)("can end %s, with no responses and an operation error", async (ending, state, code) => {
    await control("POST", "batches", { delayMs: 0, ending });
    const ai = createClient(emulator);
    const { name = "" } = await ai.batches.create({ model: MODEL, src: requests("a lamp") });
    const job = await ai.batches.get({ name });
    expect(job.state).toBe(state);
    expect(job.dest).toBeUndefined();
    const raw = (await rawRequest(emulator, "GET", `/v1/${name}`)).json() as { done: boolean; error: { code: number } };
    expect(raw.done).toBe(true);
    expect(raw.error.code).toBe(code);
  });

  it("cancels a pending batch, and refuses to cancel a finished one", async () => {
    await control("POST", "batches", { delayMs: null });
    const ai = createClient(emulator);
    const { name = "" } = await ai.batches.create({ model: MODEL, src: requests("a lamp") });
    await ai.batches.cancel({ name });
    expect((await ai.batches.get({ name })).state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(await control("POST", "batches/finish", {})).toEqual({ finished: 0 });
    const refused = await captureApiError(ai.batches.cancel({ name }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.status).toBe("FAILED_PRECONDITION");
  });

  it("lists, deletes, and answers 404 for a batch it doesn't know", async () => {
    await control("POST", "batches", { delayMs: null });
    const ai = createClient(emulator);
    const { name = "" } = await ai.batches.create({ model: MODEL, src: requests("a lamp") });
    const listed = [];
    for await (const job of await ai.batches.list()) listed.push(job.name);
    expect(listed).toEqual([name]);
    await ai.batches.delete({ name });
    const missing = await captureApiError(ai.batches.get({ name }));
    expect(missing.status).toBe(404);
    expect(missing.body.error.status).toBe("NOT_FOUND");
  });

  it("reports a bad request inside the batch as that request's error, the others answered", async () => {
    await control("POST", "batches", { delayMs: 0 });
    const ai = createClient(emulator);
    const { name = "" } = await ai.batches.create({
      model: MODEL,
      src: [...requests("a lamp"), { contents: [{ role: "user", parts: [{ text: "x" }] }], config: { imageConfig: { imageSize: "9K" } } }],
    });
    const [good, bad] = (await ai.batches.get({ name })).dest?.inlinedResponses ?? [];
    expect(good?.response?.candidates?.length).toBe(1);
    expect(bad?.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
  });

  it("refuses an unknown model, an empty batch and a body over 20 MB", async () => {
    const ai = createClient(emulator);
    expect((await captureApiError(ai.batches.create({ model: "gemini-9-image", src: requests("a") }))).status).toBe(404);
    const empty = await rawRequest(emulator, "POST", `/v1/models/${MODEL}:batchGenerateContent`, { batch: { inputConfig: { requests: { requests: [] } } } });
    expect(empty.status).toBe(400);
    const huge = "a".repeat(21 * 1024 * 1024);
    const big = await rawRequest(emulator, "POST", `/v1/models/${MODEL}:batchGenerateContent`, {
      batch: { inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: huge }] }] } }] } } },
    });
    expect(big.status).toBe(400);
    expect(big.text).toContain("exceeds the limit");
    expect((await control("GET", "batches")) as { batches: unknown[] }).toMatchObject({ batches: [] });
  });

  it("rejects bad control settings and changes nothing", async () => {
    const refused = await rawRequest(emulator, "POST", "/_emulator/batches", { ending: "exploded" }, {});
    expect(refused.status).toBe(400);
    expect(await control("GET", "batches")).toEqual({ settings: { delayMs: 1000, ending: "succeeded" }, batches: [] });
  });
});
