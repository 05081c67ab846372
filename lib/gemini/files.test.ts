import { ApiError, FileState, type Content, type File as GeminiFile } from "@google/genai";
import { describe, expect, it } from "vitest";
import { createFileUploads, isMissingFileError, MIN_INLINE_CHARS, type FileUploadsOptions } from "./files";

// The Files API map without a network: which parts go by URI, what the map keeps and forgets, and
// how uploads that fail, hang or are cancelled fall back to inline data.

function image(seed: string, chars = MIN_INLINE_CHARS + 100): { mimeType: string; data: string } {
  return { mimeType: "image/jpeg", data: Buffer.from(seed.repeat(Math.ceil((chars * 3) / 4 / seed.length))).toString("base64").slice(0, chars - (chars % 4)) };
}

function fakeFiles(behaviour: (count: number) => Promise<GeminiFile> | "hang" = (count) => Promise.resolve(file(count))) {
  let count = 0;
  const uploads: Array<{ mimeType?: string; size: number }> = [];
  const ai = {
    files: {
      upload: ({ file: blob, config }: { file: Blob; config?: { mimeType?: string } }) => {
        count += 1;
        uploads.push({ mimeType: config?.mimeType, size: blob.size });
        const next = behaviour(count);
        return next === "hang" ? new Promise<GeminiFile>(() => undefined) : next;
      },
    },
  } as unknown as FileUploadsOptions["ai"];
  return { ai, uploads };
}

function file(count: number): GeminiFile {
  return {
    name: `files/f${count}`,
    uri: `https://example.test/v1beta/files/f${count}`,
    mimeType: "image/jpeg",
    state: FileState.ACTIVE,
    createTime: "2026-12-07T00:00:00.000000Z",
    expirationTime: "2026-12-09T00:00:00.000000Z",
  };
}

const conversation = (reference: { mimeType: string; data: string }, modelImage: { mimeType: string; data: string }): Content[] => [
  { role: "user", parts: [{ text: "A dish" }, { inlineData: reference }] },
  { role: "model", parts: [{ inlineData: modelImage, thoughtSignature: "c2ln" }] },
  { role: "user", parts: [{ text: "Gold plate" }] },
];

describe("createFileUploads", () => {
  it("names user images by URI, keeps model parts as they are, and uploads each image once", async () => {
    const { ai, uploads } = fakeFiles();
    const files = createFileUploads({ ai, now: () => 0 });
    const contents = conversation(image("ref"), image("model"));
    const first = await files.attach(contents);
    expect(first.contents[0]?.parts?.[1]).toEqual({ fileData: { fileUri: "https://example.test/v1beta/files/f1", mimeType: "image/jpeg" } });
    expect(first.contents[1]).toBe(contents[1]);
    expect(first.contents[2]).toBe(contents[2]);
    expect(first.keys).toHaveLength(1);
    expect(first.savedChars).toBe(image("ref").data.length);
    expect(contents[0]?.parts?.[1]).toHaveProperty("inlineData");
    await files.attach(contents);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toEqual({ mimeType: "image/jpeg", size: Buffer.from(image("ref").data, "base64").length });

    files.forget(first.keys);
    await files.attach(contents);
    expect(uploads).toHaveLength(2);
  });

  it("keeps at most maxEntries images, forgetting the least used", async () => {
    const { ai, uploads } = fakeFiles();
    const files = createFileUploads({ ai, now: () => 0, maxEntries: 2 });
    const ask = (seed: string) => files.attach([{ role: "user", parts: [{ inlineData: image(seed) }] }]);
    await ask("a");
    await ask("b");
    await ask("c");
    expect(files.size).toBe(2);
    await ask("a");
    expect(uploads).toHaveLength(4);
  });

  it("falls back to inline data, and warns, when an upload fails or hangs past its timeout", async () => {
    const warnings: string[] = [];
    const { ai } = fakeFiles((count) => (count === 1 ? Promise.reject(new Error("quota")) : "hang"));
    const files = createFileUploads({ ai, now: () => 0, uploadTimeoutMs: 20, warn: (event, fields) => warnings.push(`${event}: ${String(fields.error)}`) });
    const contents = conversation(image("ref"), image("model"));
    expect((await files.attach(contents)).contents[0]).toEqual(contents[0]);
    const hung = await files.attach(contents);
    expect(hung.contents[0]).toEqual(contents[0]);
    expect(hung.keys).toEqual([]);
    expect(warnings).toEqual(["gemini_file_upload_failed: quota", "gemini_file_upload_failed: The upload took longer than 20 ms."]);
    expect(files.size).toBe(0);
  });

  it("refuses a file that is not ACTIVE", async () => {
    const { ai } = fakeFiles((count) => Promise.resolve({ ...file(count), state: FileState.PROCESSING }));
    const warnings: unknown[] = [];
    const files = createFileUploads({ ai, now: () => 0, warn: (_event, fields) => warnings.push(fields.error) });
    const attached = await files.attach([{ role: "user", parts: [{ inlineData: image("x") }] }]);
    expect(attached.keys).toEqual([]);
    expect(warnings).toEqual(["The uploaded file is PROCESSING, not ACTIVE."]);
  });

  it("does not wait for uploads once the caller cancels", async () => {
    const { ai } = fakeFiles(() => "hang");
    const files = createFileUploads({ ai, now: () => 0, uploadTimeoutMs: 60_000 });
    const controller = new AbortController();
    const attaching = files.attach([{ role: "user", parts: [{ inlineData: image("x") }] }], controller.signal);
    controller.abort();
    expect((await attaching).keys).toEqual([]);
  });

  it("leaves small images, thoughts and text-only conversations alone without uploading", async () => {
    const { ai, uploads } = fakeFiles();
    const files = createFileUploads({ ai, now: () => 0 });
    const contents: Content[] = [{ role: "user", parts: [{ text: "Hi" }, { inlineData: image("s", 400) }, { inlineData: image("t"), thought: true }] }];
    expect((await files.attach(contents)).contents).toEqual(contents);
    expect(uploads).toHaveLength(0);
  });
});

describe("isMissingFileError", () => {
  it("knows Google's answer for a file that is gone, and nothing else", () => {
    const body = (message: string, code = 403, status = "PERMISSION_DENIED") => JSON.stringify({ error: { code, message, status } });
    expect(isMissingFileError(new ApiError({ status: 403, message: body("You do not have permission to access the File abc123 or it may not exist.") }))).toBe(true);
    expect(isMissingFileError(new ApiError({ status: 403, message: body("Your API key was reported as leaked. Please use another API key.") }))).toBe(false);
    expect(isMissingFileError(new ApiError({ status: 400, message: body("You do not have permission to access the File abc123 or it may not exist.", 400) }))).toBe(false);
    expect(isMissingFileError(new Error("You do not have permission to access the File abc"))).toBe(false);
  });
});
