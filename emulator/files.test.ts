import sharp from "sharp";
import type { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "./request-log";
import { startEmulator, type RunningEmulator } from "./server";
import { captureApiError, createClient, imageSize, finalImagePart, imageBytes, rawRequest, solidImage } from "./test-support";

// The Files API through the real SDK (ai.files.upload / get / list / delete), the raw upload
// protocol's refusals, fileData parts in generateContent and interactions, and expiry.

let emulator: RunningEmulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  ai = createClient(emulator);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
});

const MODEL = "gemini-3.1-flash-image";
const GONE = /^You do not have permission to access the File [a-z0-9-]+ or it may not exist\.$/;

async function upload(bytes: Buffer, mimeType = "image/png") {
  return ai.files.upload({ file: new Blob([new Uint8Array(bytes)], { type: mimeType }), config: { mimeType } });
}

async function control(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function requestLog(): Promise<RequestLogEntry[]> {
  return (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as RequestLogEntry[];
}

/** Starts an upload by hand; the upload URL, or the refusal. */
async function start(headers: Record<string, string>, body: unknown = { file: { mimeType: "image/png" } }) {
  return rawRequest(emulator, "POST", "/upload/v1beta/files", body, { "x-goog-api-key": "test-key", ...headers });
}

const START = {
  "x-goog-upload-protocol": "resumable",
  "x-goog-upload-command": "start",
  "x-goog-upload-header-content-length": "4",
  "x-goog-upload-header-content-type": "image/png",
};

async function send(uploadUrl: string, command: string, offset: number, bytes: Buffer) {
  const response = await fetch(uploadUrl, {
    method: "POST",
    headers: { "x-goog-api-key": "test-key", "x-goog-upload-command": command, "x-goog-upload-offset": String(offset) },
    body: new Uint8Array(bytes),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("uploading through ai.files.upload", () => {
  it("keeps the bytes for 48 hours and answers a File resource", async () => {
    const bytes = await solidImage(40, 30, "#336699");
    const before = Date.now();
    const file = await upload(bytes);
    expect(file).toMatchObject({ mimeType: "image/png", sizeBytes: String(bytes.length), state: "ACTIVE", source: "UPLOADED" });
    expect(file.name).toMatch(/^files\/[a-z0-9]{12}$/);
    // The URI names the API version the upload came in on (the SDK uses v1).
    expect(file.uri).toBe(`${emulator.url}/v1/${file.name}`);
    const lifetime = Date.parse(file.expirationTime ?? "") - Date.parse(file.createTime ?? "");
    expect(lifetime).toBe(48 * 60 * 60 * 1000);
    expect(Date.parse(file.createTime ?? "")).toBeGreaterThanOrEqual(before - 1);
    expect(file.sha256Hash).toMatch(/^[A-Za-z0-9+/]+=*$/);

    const log = await requestLog();
    expect(log.map((entry) => [entry.path.replace(/upload_id=[^&]+/, "upload_id=*"), entry.status])).toEqual([
      ["/upload/v1/files", 200],
      ["/upload/v1/files?upload_id=*&upload_protocol=resumable", 200],
    ]);
    expect(log[1]?.body).toMatchObject({ upload: "upload, finalize", offset: "0", file: file.name, sizeBytes: bytes.length });
  });

  it("gets, lists and deletes files; a deleted one answers the real 403", async () => {
    const first = await upload(await solidImage(10, 10, "#ff0000"));
    const second = await upload(await solidImage(10, 10, "#00ff00"));
    expect(await ai.files.get({ name: first.name ?? "" })).toMatchObject({ name: first.name, uri: first.uri });

    const listed: string[] = [];
    for await (const file of await ai.files.list({ config: { pageSize: 1 } })) listed.push(file.name ?? "");
    expect(listed.sort()).toEqual([first.name, second.name].sort());

    await ai.files.delete({ name: first.name ?? "" });
    const gone = await captureApiError(ai.files.get({ name: first.name ?? "" }));
    expect(gone.status).toBe(403);
    expect(gone.body.error).toMatchObject({ code: 403, status: "PERMISSION_DENIED" });
    expect(gone.body.error.message).toMatch(GONE);
    expect((await captureApiError(ai.files.delete({ name: first.name ?? "" }))).status).toBe(403);
    const empty = await rawRequest(emulator, "GET", "/v1beta/files");
    expect((empty.json() as { files: unknown[] }).files).toHaveLength(1);
  });

  it("lists nothing as an empty object", async () => {
    const response = await rawRequest(emulator, "GET", "/v1beta/files");
    expect(response.json()).toEqual({});
  });

  it("needs a key like every other method", async () => {
    const response = await start({ ...START, "x-goog-api-key": "" });
    expect(response.status).toBe(403);
    expect((await control("files")).files).toEqual([]);
  });
});

describe("the upload protocol's refusals (described, not recorded)", () => {
  it("refuses a start that is not resumable, has another command, or misses its size or type", async () => {
    for (const [headers, reason] of [
      [{ ...START, "x-goog-upload-protocol": "multipart" }, /resumable/],
      [{ ...START, "x-goog-upload-command": "upload" }, /must be "start"/],
      [{ ...START, "x-goog-upload-header-content-length": "" }, /Content-Length/],
      [{ ...START, "x-goog-upload-header-content-length": "-3" }, /Invalid upload size/],
    ] as const) {
      const headersWithout = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ""));
      const response = await start(headersWithout, { file: {} });
      expect(response.status, JSON.stringify(headers)).toBe(400);
      expect((response.json() as { error: { message: string } }).error.message).toMatch(reason);
    }
    const noType = await start({ ...START, "x-goog-upload-header-content-type": "" }, {});
    expect(noType.status).toBe(400);
    expect(noType.text).toMatch(/Content-Type/);
    expect((await control("files")).files).toEqual([]);
  });

  it("refuses a wrong command, a wrong offset and a size that does not match, and keeps no file", async () => {
    const started = await start(START);
    expect(started.status).toBe(200);
    expect(started.headers.get("x-goog-upload-status")).toBe("active");
    const uploadUrl = started.headers.get("x-goog-upload-url") ?? "";
    expect(uploadUrl).toMatch(/\/upload\/v1beta\/files\?upload_id=[\w-]+&upload_protocol=resumable$/);

    expect((await send(uploadUrl, "cancel", 0, Buffer.from("ab"))).status).toBe(400);
    expect((await send(uploadUrl, "upload", 1, Buffer.from("ab"))).text).toMatch(/offset 1 does not match the 0 bytes/);
    const partial = await send(uploadUrl, "upload", 0, Buffer.from("ab"));
    expect(partial.status).toBe(200);
    expect(partial.headers.get("x-goog-upload-status")).toBe("active");
    expect(partial.text).toBe("");
    // Finalized two bytes short of the four declared.
    const short = await send(uploadUrl, "finalize", 2, Buffer.alloc(0));
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/finalized after 2 bytes; 4 were declared/);
    expect((await send(uploadUrl, "upload, finalize", 2, Buffer.from("cd"))).status).toBe(404);

    const again = (await start(START)).headers.get("x-goog-upload-url") ?? "";
    const tooMuch = await send(again, "upload, finalize", 0, Buffer.from("abcdef"));
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.text).toMatch(/more bytes than the 4 declared/);
    expect((await control("files")).files).toEqual([]);
  });

  it("takes an upload in several chunks and answers final with the File", async () => {
    const uploadUrl = (await start(START)).headers.get("x-goog-upload-url") ?? "";
    expect((await send(uploadUrl, "upload", 0, Buffer.from("ab"))).headers.get("x-goog-upload-size-received")).toBe("2");
    const final = await send(uploadUrl, "upload, finalize", 2, Buffer.from("cd"));
    expect(final.status).toBe(200);
    expect(final.headers.get("x-goog-upload-status")).toBe("final");
    expect(JSON.parse(final.text)).toMatchObject({ file: { sizeBytes: "4", mimeType: "image/png", state: "ACTIVE" } });
  });

  it("refuses a name already taken and an invalid one", async () => {
    const named = await start(START, { file: { name: "files/my-ref" } });
    await send(named.headers.get("x-goog-upload-url") ?? "", "upload, finalize", 0, Buffer.from("abcd"));
    expect((await start(START, { file: { name: "files/my-ref" } })).status).toBe(409);
    expect((await start(START, { file: { name: "files/-Bad" } })).status).toBe(400);
  });
});

describe("fileData parts", () => {
  it("answer as the same bytes inline would: a 16:9 reference sets a 16:9 answer", async () => {
    const wide = await upload(await solidImage(320, 180, "#884422"), "image/png");
    const response = await ai.models.generateContent({
      model: MODEL,
      contents: [{ role: "user", parts: [{ text: "Make it brighter" }, { fileData: { fileUri: wide.uri ?? "", mimeType: "image/png" } }] }],
      config: { imageConfig: { imageSize: "1K" } },
    });
    const size = await imageSize(imageBytes(finalImagePart(response)));
    expect(size.width / size.height).toBeCloseTo(16 / 9, 1);
    const entry = (await requestLog()).find((logged) => logged.path.includes(":generateContent"));
    expect(entry?.status).toBe(200);
    expect(entry?.files).toEqual([{ fileUri: wide.uri, name: wide.name, sizeBytes: Number(wide.sizeBytes), mimeType: "image/png" }]);
    // The body keeps the part as sent: a URI, not bytes.
    expect(JSON.stringify(entry?.body)).toContain(`"fileUri":"${wide.uri}"`);
  });

  it("mark a region edit's base image and mask just as inline images do", async () => {
    const base = await upload(await solidImage(200, 100, "#2060a0"));
    const white = await sharp({ create: { width: 50, height: 50, channels: 3, background: "#ffffff" } }).png().toBuffer();
    const maskBytes = await sharp({ create: { width: 200, height: 100, channels: 3, background: "#000000" } })
      .composite([{ input: white, left: 100, top: 25 }])
      .png()
      .toBuffer();
    const mask = await upload(maskBytes);
    await ai.models.generateContent({
      model: MODEL,
      contents: [
        {
          role: "user",
          parts: [
            { text: "Put a lamp in the marked area" },
            { text: "Image 1:" },
            { fileData: { fileUri: base.uri ?? "", mimeType: "image/png" } },
            { text: "Image 2 (mask):" },
            { fileData: { fileUri: mask.name ?? "", mimeType: "image/png" } },
          ],
        },
      ],
    });
    const entry = (await requestLog()).find((logged) => logged.path.includes(":generateContent"));
    expect(entry?.region).toMatchObject({ marked: true, edited: true, percent: { x: 50, y: 25, width: 25, height: 50 } });
  });

  it("naming a file that never was, or has expired, gets the real 403 on both methods and in interactions", async () => {
    const file = await upload(await solidImage(20, 20, "#00aa00"));
    const ask = (fileUri: string) =>
      ai.models.generateContent({ model: MODEL, contents: [{ role: "user", parts: [{ text: "Again" }, { fileData: { fileUri, mimeType: "image/png" } }] }] });
    const unknown = await captureApiError(ask(`${emulator.url}/v1beta/files/nosuchfile00`));
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.message).toBe("You do not have permission to access the File nosuchfile00 or it may not exist.");

    await ask(file.uri ?? "");
    expect(await control("files/expire", { names: [file.name] })).toEqual({ expired: 1 });
    const expired = await captureApiError(ask(file.uri ?? ""));
    expect(expired.body.error).toMatchObject({ code: 403, status: "PERMISSION_DENIED" });
    expect(expired.body.error.message).toMatch(GONE);
    const streamed = await captureApiError(
      (async () => {
        for await (const chunk of await ai.models.generateContentStream({
          model: MODEL,
          contents: [{ role: "user", parts: [{ fileData: { fileUri: file.uri ?? "", mimeType: "image/png" } }] }],
        })) void chunk;
      })(),
    );
    expect(streamed.status).toBe(403);
    const interaction = await rawRequest(emulator, "POST", "/v1beta/interactions", { model: MODEL, input: [{ type: "image", uri: file.uri, mime_type: "image/png" }] });
    expect(interaction.status).toBe(403);
    expect((interaction.json() as { error: { message: string } }).error.message).toMatch(GONE);
    expect((await control("files")).files).toEqual([]);
  });

  it("in interactions, an image given by uri answers like inline data", async () => {
    const file = await upload(await solidImage(320, 180, "#446688"));
    const raw = await rawRequest(emulator, "POST", "/v1beta/interactions", {
      model: MODEL,
      input: [{ type: "text", text: "Brighter" }, { type: "image", uri: file.uri, mime_type: "image/png" }],
    });
    expect(raw.status).toBe(200);
    expect((raw.json() as { status: string }).status).toBe("completed");
  });

  it("expire after 48 hours on the emulator's clock, not before", async () => {
    const file = await upload(await solidImage(20, 20, "#00aa00"));
    await control("files/advance", { ms: 48 * 60 * 60 * 1000 - 60_000 });
    expect(await ai.files.get({ name: file.name ?? "" })).toMatchObject({ name: file.name });
    await control("files/advance", { ms: 60_000 });
    expect((await captureApiError(ai.files.get({ name: file.name ?? "" }))).status).toBe(403);
  });

  it("refuses bad control bodies and changes nothing", async () => {
    await upload(await solidImage(20, 20, "#00aa00"));
    const bad = await fetch(`${emulator.url}/_emulator/files/advance`, { method: "POST", body: JSON.stringify({ ms: -1 }) });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${emulator.url}/_emulator/files/expire`, { method: "POST", body: JSON.stringify({ name: "files/x" }) });
    expect(unknown.status).toBe(400);
    expect((await control("files")).files).toHaveLength(1);
  });
});
