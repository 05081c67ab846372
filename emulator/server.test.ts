import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyInvalid,
  internalError,
  modelNotFound,
  resourceExhausted,
  unavailable,
  unregisteredCaller,
} from "./errors";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, rawRequest, readFixtureJson, sortedKeys } from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, invalidApiKeys: ["invalid-key", "revoked-key"] });
});

afterAll(async () => {
  await emulator.close();
});

describe("fixed error bodies", () => {
  it("are identical to the recorded ones", () => {
    expect(apiKeyInvalid().body).toEqual(readFixtureJson("errors/400-api-key-invalid.json"));
    expect(resourceExhausted().body).toEqual(readFixtureJson("errors/429-resource-exhausted-retryinfo.json"));
    expect(internalError().body).toEqual(readFixtureJson("errors/500-internal.json"));
    expect(unavailable().body).toEqual(readFixtureJson("errors/503-unavailable.json"));
    expect(modelNotFound("gemini-2.0-pro", "v1beta", "generateContent").body).toEqual(
      readFixtureJson("errors/404-model-not-found.json"),
    );
  });
});

describe("listening", () => {
  it("binds 127.0.0.1 on a random port and answers health checks", async () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.port).toBeGreaterThan(0);
    const health = await rawRequest(emulator, "GET", "/_emulator/health", undefined, {});
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ ok: true });
  });

  it("closes promptly even with a request hanging", async () => {
    const local = await startEmulator();
    const pending = fetch(`${local.url}/v1beta/models/gemini-3.1-flash-image:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": "k" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "[[fault:hang]]" }] }] }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe("authentication", () => {
  it("answers a request without a key with the real 403", async () => {
    const response = await rawRequest(emulator, "GET", "/v1beta/models", undefined, {});
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    expect(response.json()).toEqual(unregisteredCaller().body);
    expect(response.text).toContain("Method doesn't allow unregistered callers");
  });

  it("accepts the key as a query parameter", async () => {
    const response = await rawRequest(emulator, "GET", "/v1beta/models?key=test-key", undefined, {});
    expect(response.status).toBe(200);
  });

  it("answers an invalid key with exactly the recorded API_KEY_INVALID body", async () => {
    const response = await rawRequest(emulator, "GET", "/v1beta/models", undefined, { "x-goog-api-key": "invalid-key" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    expect(response.json()).toEqual(readFixtureJson("errors/400-api-key-invalid.json"));

    const error = await captureApiError(
      createClient(emulator, { apiKey: "revoked-key" }).models.generateContent({ model: "gemini-3.1-flash-image", contents: "hi" }),
    );
    expect(error.status).toBe(400);
    expect(error.body).toEqual(readFixtureJson("errors/400-api-key-invalid.json"));
  });
});

describe("routing", () => {
  it("serves v1 (the SDK default), v1beta and v1alpha", async () => {
    for (const apiVersion of [undefined, "v1beta", "v1alpha"]) {
      const response = await createClient(emulator, { apiVersion }).models.generateContent({
        model: "gemini-2.5-flash-image",
        contents: "a lighthouse",
      });
      expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    }
    const requests = (await rawRequest(emulator, "GET", "/_emulator/requests", undefined, {}).then((r) => r.json())) as Array<{
      path: string;
      apiVersion: string;
    }>;
    const versions = requests.filter((entry) => entry.path.includes("gemini-2.5-flash-image")).map((entry) => entry.apiVersion);
    expect(versions).toEqual(expect.arrayContaining(["v1", "v1beta", "v1alpha"]));
  });

  it("answers unknown paths with Google's HTML 404 page", async () => {
    const response = await rawRequest(emulator, "GET", "/v1beta/tunedModels/nope");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(response.text).toContain("Error 404 (Not Found)!!1");
    expect((await rawRequest(emulator, "POST", "/v1beta/models/gemini-3-pro-image:predict", {})).status).toBe(404);
    expect((await rawRequest(emulator, "GET", "/v2/models")).status).toBe(404);
  });

  it("answers retired and unknown ids with the real NOT_FOUND body naming the API version", async () => {
    for (const [apiVersion, modelId] of [
      ["v1beta", "gemini-3.1-flash-image-preview"],
      [undefined, "gemini-3-pro-image-preview"],
      ["v1alpha", "gemini-9-ultra-image"],
    ] as const) {
      const error = await captureApiError(createClient(emulator, { apiVersion }).models.generateContent({ model: modelId, contents: "x" }));
      expect(error.status).toBe(404);
      const recorded = readFixtureJson("errors/404-model-not-found.json") as { error: object };
      expect(sortedKeys(error.body)).toEqual(sortedKeys(recorded));
      expect(sortedKeys(error.body.error)).toEqual(sortedKeys(recorded.error));
      expect(error.body.error).toEqual({
        code: 404,
        status: "NOT_FOUND",
        message: `models/${modelId} is not found for API version ${apiVersion ?? "v1"}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      });
    }
    const viaGet = await captureApiError(createClient(emulator).models.get({ model: "gemini-3-pro-image-preview" }));
    expect(viaGet.status).toBe(404);
  });

  it("does not offer generateContent on models that lack it", async () => {
    const error = await captureApiError(
      createClient(emulator).models.generateContent({ model: "imagen-4.0-generate-001", contents: "x" }),
    );
    expect(error.status).toBe(404);
    expect(error.body.error.message).toContain("is not supported for generateContent");
  });
});

describe("models", () => {
  it("lists every model through the SDK pager, page by page", async () => {
    const pager = await createClient(emulator).models.list({ config: { pageSize: 2 } });
    expect(pager.page).toHaveLength(2);
    const names: string[] = [];
    for await (const model of pager) names.push(model.name ?? "");
    expect(names).toEqual(
      expect.arrayContaining([
        "models/gemini-3.1-flash-image",
        "models/gemini-3-pro-image",
        "models/gemini-2.5-flash-image",
        "models/gemini-2.5-flash",
      ]),
    );
    expect(names).not.toContain("models/gemini-3.1-flash-image-preview");
    expect(new Set(names).size).toBe(names.length);
  });

  it("pages with nextPageToken like the real API", async () => {
    const first = (await rawRequest(emulator, "GET", "/v1beta/models?pageSize=3")).json() as {
      models: Array<Record<string, unknown>>;
      nextPageToken?: string;
    };
    expect(first.models).toHaveLength(3);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = (await rawRequest(emulator, "GET", `/v1beta/models?pageSize=3&pageToken=${first.nextPageToken}`)).json() as {
      models: Array<{ name: string }>;
    };
    expect(second.models[0]?.name).not.toBe(first.models[0]?.name);
    const all = (await rawRequest(emulator, "GET", "/v1beta/models")).json() as { models: unknown[]; nextPageToken?: string };
    expect(all.nextPageToken).toBeUndefined();
    for (const model of all.models) {
      expect(model).toEqual(
        expect.objectContaining({
          name: expect.stringMatching(/^models\//),
          version: expect.any(String),
          displayName: expect.any(String),
          description: expect.any(String),
          inputTokenLimit: expect.any(Number),
          outputTokenLimit: expect.any(Number),
          supportedGenerationMethods: expect.any(Array),
        }),
      );
    }
  });

  it("lists no tuned models", async () => {
    const pager = await createClient(emulator).models.list({ config: { queryBase: false } });
    expect(pager.page).toEqual([]);
  });

  it("gets one model, also when the path carries the models/ prefix", async () => {
    const ai = createClient(emulator);
    const pro = await ai.models.get({ model: "gemini-3-pro-image" });
    expect(pro.name).toBe("models/gemini-3-pro-image");
    expect(pro.displayName).toBe("Nano Banana Pro");
    expect(pro.supportedActions).toContain("generateContent");
    expect(pro.thinking).toBe(true);
    const flash = await ai.models.get({ model: "models/gemini-2.5-flash-image" });
    expect(flash.thinking).toBeUndefined();
  });
});

describe("request decoding", () => {
  it("accepts proto snake_case field names", async () => {
    const response = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", {
      contents: [{ role: "user", parts: [{ text: "snake case" }] }],
      generation_config: { response_modalities: ["IMAGE"], image_config: { aspect_ratio: "4:3", image_size: "512" } },
    });
    expect(response.status).toBe(200);
    const body = response.json() as { candidates: Array<{ content: { parts: Array<{ inlineData?: unknown }> } }> };
    expect(body.candidates[0]?.content.parts[0]?.inlineData).toBeDefined();
  });

  it("rejects malformed JSON and unknown fields like the real service", async () => {
    const malformed = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", '{"contents": [');
    expect(malformed.status).toBe(400);
    const malformedBody = malformed.json() as { error: { message: string; status: string; details: unknown[] } };
    expect(malformedBody.error.status).toBe("INVALID_ARGUMENT");
    expect(malformedBody.error.message).toMatch(/^Invalid JSON payload received\. Unexpected token\./);
    expect(malformedBody.error.details).toEqual([expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.BadRequest" })]);

    const unknown = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:generateContent", {
      contents: [{ parts: [{ text: "x" }] }],
      generationConfig: { imageConfig: { aspectRatio: "1:1", outputMimeType: "image/png" } },
    });
    expect(unknown.status).toBe(400);
    expect((unknown.json() as { error: { message: string } }).error.message).toBe(
      `Invalid JSON payload received. Unknown name "outputMimeType" at 'generation_config.image_config': Cannot find field.`,
    );
  });

  it("answers a body over the 100 MB inline limit with Google's 400, also when it streams without a length", async () => {
    const tooLarge = {
      error: { code: 400, message: "Request payload size exceeds the limit: 104857600 bytes.", status: "INVALID_ARGUMENT" },
    };
    const url = `${emulator.url}/v1beta/models/gemini-3.1-flash-image:generateContent`;
    // A declared length over the limit is refused before reading (lib/gemini/client.emulator.test.ts);
    // streamed without one, the 400 still reaches the client once the limit is passed.
    const megabyte = Buffer.alloc(1024 * 1024, 65);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from('{"contents":[{"parts":[{"text":"'));
        if (sent === 101) {
          controller.enqueue(Buffer.from('"}]}]}'));
          controller.close();
          return;
        }
        sent += 1;
        controller.enqueue(megabyte);
      },
    });
    const streamed = await fetch(url, { method: "POST", headers: { "x-goog-api-key": "k" }, body, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(400);
    expect(await streamed.json()).toEqual(tooLarge);
    // The rest of the body must not poison the kept-alive socket for the client's next calls (the
    // first of them goes out on a new socket while the client still counts the old one busy).
    for (const text of ["next", "and next", "and the next"]) {
      const next = await rawRequest(emulator, "POST", "/v1beta/models/gemini-3.1-flash-image:countTokens", { contents: [{ parts: [{ text }] }] });
      expect(next.status).toBe(200);
    }
  });

  it("streams a JSON array when alt=sse is missing", async () => {
    const response = await rawRequest(emulator, "POST", "/v1beta/models/gemini-2.5-flash-image:streamGenerateContent", {
      contents: [{ parts: [{ text: "array stream" }] }],
    });
    expect(response.status).toBe(200);
    const chunks = response.json() as Array<{ candidates: Array<{ finishReason?: string }> }>;
    expect(Array.isArray(chunks)).toBe(true);
    expect(chunks.at(-1)?.candidates[0]?.finishReason).toBe("STOP");
  });

  it("counts tokens", async () => {
    const counted = await createClient(emulator).models.countTokens({ model: "gemini-3-pro-image", contents: "twelve chars" });
    expect(counted.totalTokens).toBeGreaterThan(0);
  });
});
