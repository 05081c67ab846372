import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Content } from "@google/genai";
import { describe, expect, it, vi } from "vitest";
import { REQUEST_STASH_MIN_CHARS, createRequestStash, withRequestStash } from "./request-stash";

const base64 = (bytes: number) => randomBytes(bytes).toString("base64");

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** A conversation as a follow-up sends it: prompts with quotes and non-ASCII text, references, signed model turns. */
function conversation(): Content[] {
  return [
    { role: "user", parts: [{ text: 'Make it "golden" — 金色 🍌\n\\ and warm' }, { text: "Image 1 (object reference):" }, { inlineData: { mimeType: "image/jpeg", data: base64(30_000) } }] },
    {
      role: "model",
      parts: [
        { text: "**Composing** the plate", thought: true },
        { text: "Here it is.", thoughtSignature: base64(5_000) },
        { inlineData: { mimeType: "image/jpeg", data: base64(40_000) }, thoughtSignature: base64(20_000) },
        { text: "", thoughtSignature: "c2hvcnQ=" },
      ],
    },
    { role: "user", parts: [{ text: "Now add a logo" }] },
  ];
}

/** The whole body a restored stream gives, and the pieces it came in. */
async function drain(restored: ReturnType<ReturnType<typeof createRequestStash>["restoreBody"]>): Promise<{ bytes: Buffer; pieces: Uint8Array[] }> {
  if (typeof restored === "string") throw new Error("expected a stream");
  const pieces: Uint8Array[] = [];
  const reader = restored.stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) pieces.push(read.value);
  const bytes = Buffer.concat(pieces);
  expect(bytes.byteLength).toBe(restored.byteLength);
  return { bytes, pieces };
}

/** What the SDK would send: the contents inside a body with config around them. */
const bodyOf = (contents: Content[]) => JSON.stringify({ contents, generationConfig: { responseModalities: ["TEXT", "IMAGE"], imageConfig: { imageSize: "1K" } } });

describe("request stash", () => {
  it("streams, byte for byte, the body JSON.stringify would have written with the strings in place", async () => {
    for (const contents of [conversation(), deepFreeze(conversation())]) {
      const stash = createRequestStash();
      const stashed = stash.stashContents(contents);
      // Both images and both long signatures; the short signature and all text stay in place.
      expect(stash.size).toBe(4);
      const sdkBody = bodyOf(stashed);
      expect(sdkBody.length).toBeLessThan(2_000);
      const expected = Buffer.from(bodyOf(contents), "utf8");
      const { bytes, pieces } = await drain(stash.restoreBody(sdkBody));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(expected).digest("hex"));
      expect(bytes.equals(expected)).toBe(true);
      // The SDK's JSON around each string, and each string on its own: nothing built whole.
      expect(pieces.length).toBe(2 * stash.size + 1);
      expect(Math.max(...pieces.map((piece) => piece.byteLength))).toBeLessThan(60_000);
    }
  });

  it("hands over the JSON before the first string at once, as the first piece", async () => {
    const stash = createRequestStash();
    const stashed = stash.stashContents(conversation());
    const sdkBody = bodyOf(stashed);
    const restored = stash.restoreBody(sdkBody);
    if (typeof restored === "string") throw new Error("expected a stream");
    const reader = restored.stream.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString("utf8")).toBe(sdkBody.slice(0, sdkBody.indexOf('"nbstash') + 1));
    await reader.cancel();
  });

  it("works for every attempt of the same request, keeps a frozen part's bytes, and never touches the contents it was given", async () => {
    const contents = deepFreeze(conversation());
    const before = JSON.stringify(contents);
    const stash = createRequestStash();
    const stashed = stash.stashContents(contents);
    expect(JSON.stringify(contents)).toBe(before);
    // Parts with nothing swapped are passed on as they are.
    expect(stashed[1]?.parts?.[0]).toBe(contents[1]?.parts?.[0]);
    const first = await drain(stash.restoreBody(bodyOf(stashed)));
    const second = await drain(stash.restoreBody(bodyOf(stashed)));
    expect(second.bytes.equals(first.bytes)).toBe(true);
    // The next follow-up over the same frozen parts sends the very bytes kept from the first.
    const next = createRequestStash();
    const third = await drain(next.restoreBody(bodyOf(next.stashContents(contents))));
    expect(third.bytes.equals(first.bytes)).toBe(true);
    const imageOf = (pieces: Uint8Array[]) => pieces.find((piece) => piece.byteLength > 50_000);
    expect(imageOf(third.pieces)).toBe(imageOf(first.pieces));
    // Parts that are not frozen are encoded again each time, and nothing of them is kept.
    const loose = conversation();
    const a = createRequestStash();
    const b = createRequestStash();
    const fromA = await drain(a.restoreBody(bodyOf(a.stashContents(loose))));
    const fromB = await drain(b.restoreBody(bodyOf(b.stashContents(loose))));
    expect(fromB.bytes.equals(fromA.bytes)).toBe(true);
    expect(imageOf(fromB.pieces)).not.toBe(imageOf(fromA.pieces));
  });

  it("leaves in place what JSON would escape or what is short, and then hands the body back as it is", () => {
    const odd = `${"A".repeat(REQUEST_STASH_MIN_CHARS)}"quoted"`;
    const unicode = `${"B".repeat(REQUEST_STASH_MIN_CHARS)}é`;
    const contents: Content[] = [
      { role: "model", parts: [{ text: "x", thoughtSignature: odd }, { inlineData: { mimeType: "image/png", data: unicode } }, { thoughtSignature: "A".repeat(REQUEST_STASH_MIN_CHARS - 1) }] },
    ];
    const stash = createRequestStash();
    const stashed = stash.stashContents(contents);
    expect(stash.size).toBe(0);
    expect(stashed).toEqual(contents);
    const body = bodyOf(stashed);
    expect(stash.restoreBody(body)).toBe(body);
  });

  it("refuses a body in which a stashed value came back changed, instead of sending something else", () => {
    const stash = createRequestStash();
    const stashed = stash.stashContents(conversation());
    const body = bodyOf(stashed);
    const token = /"(nbstash[0-9a-f]+n)0"/.exec(body)?.[1];
    expect(token).toBeDefined();
    // What an SDK that re-encoded inline data would do to the token.
    expect(() => stash.restoreBody(body.replace(`"${token}0"`, `"${token}0=="`))).toThrow(/not sent/);
    expect(() => stash.restoreBody(body.replace(`"${token}0"`, `"${token}99"`))).toThrow(/not sent/);
  });

  it("as fetch: a token that came back altered fails the call before fetch is reached", async () => {
    const fetchImpl = vi.fn(async () => new Response("{}")) as unknown as typeof fetch;
    const stash = createRequestStash();
    const body = bodyOf(stash.stashContents(conversation()));
    const token = /"(nbstash[0-9a-f]+n)1"/.exec(body)?.[1];
    const wrapped = withRequestStash(fetchImpl, () => stash);
    expect(() => wrapped("http://gemini.test/v1/models/x:streamGenerateContent", { method: "POST", body: body.replace(`"${token}1"`, `"x${token}1"`) })).toThrow(/not sent/);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("as fetch: streams the restored bytes with their length declared, and anything without stashed values as it came", async () => {
    const seen: Array<RequestInit | undefined> = [];
    const fetchImpl = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init);
      return new Response("{}");
    }) as unknown as typeof fetch;
    const contents = conversation();
    const stash = createRequestStash();
    const stashed = stash.stashContents(contents);
    let current: ReturnType<typeof createRequestStash> | undefined = stash;
    const wrapped = withRequestStash(fetchImpl, () => current);
    await wrapped("http://gemini.test/v1/models/x:streamGenerateContent", { method: "POST", headers: { "Content-Type": "application/json" }, body: bodyOf(stashed) });
    current = undefined;
    await wrapped("http://gemini.test/v1/models", { method: "GET" });
    const sent = seen[0];
    expect(sent?.body).toBeInstanceOf(ReadableStream);
    expect((sent as RequestInit & { duplex?: string }).duplex).toBe("half");
    const headers = new Headers(sent?.headers);
    const expected = Buffer.from(bodyOf(contents), "utf8");
    expect(headers.get("content-length")).toBe(String(expected.byteLength));
    expect(headers.get("content-type")).toBe("application/json");
    expect(Buffer.from(await new Response(sent?.body).arrayBuffer()).equals(expected)).toBe(true);
    expect(seen[1]?.body).toBeUndefined();
  });

  it("through Node's fetch to a real server: the server gets the same bytes as the bare body, with its Content-Length", async () => {
    const contents = conversation();
    const expected = Buffer.from(bodyOf(contents), "utf8");
    const received: Array<{ bytes: Buffer; length: string | undefined; chunked: string | undefined }> = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ bytes: Buffer.concat(chunks), length: request.headers["content-length"], chunked: request.headers["transfer-encoding"] });
        response.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const stash = createRequestStash();
      const wrapped = withRequestStash((input, init) => fetch(input, init), () => stash);
      const response = await wrapped(`http://127.0.0.1:${port}/v1/models/x:streamGenerateContent`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: bodyOf(stash.stashContents(contents)),
      });
      expect(response.ok).toBe(true);
      await response.text();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(received).toHaveLength(1);
    expect(createHash("sha256").update(received[0]?.bytes ?? "").digest("hex")).toBe(createHash("sha256").update(expected).digest("hex"));
    expect(received[0]?.length).toBe(String(expected.byteLength));
    expect(received[0]?.chunked).toBeUndefined();
  });
});
