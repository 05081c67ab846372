import { describe, expect, it } from "vitest";
import { createSseRechunker, isSseResponse, withSseRechunking } from "./sse-rechunk";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Feeds the reads through the re-chunker and returns the chunks that come out. */
async function rechunk(reads: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const read of reads) controller.enqueue(read);
      controller.close();
    },
  });
  const out: Uint8Array[] = [];
  const reader = source.pipeThrough(createSseRechunker()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** Splits `bytes` into reads of the given sizes, cycling through them. */
function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const reads: Uint8Array[] = [];
  let offset = 0;
  for (let index = 0; offset < bytes.length; index += 1) {
    const size = sizes[index % sizes.length] ?? 1;
    reads.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return reads;
}

const texts = (chunks: readonly Uint8Array[]) => chunks.map((chunk) => decoder.decode(chunk));

describe("createSseRechunker", () => {
  it("forwards up to the last complete event and keeps the rest for the next read", async () => {
    const out = await rechunk([bytesOf('data: {"a":1}\n\ndata: {"b"'), bytesOf(":2}\n\ndata: {"), bytesOf('"c":3}\n\n')]);
    expect(texts(out)).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: {"c":3}\n\n']);
  });

  it("finds a delimiter split across two reads", async () => {
    const out = await rechunk([bytesOf("data: 1\n"), bytesOf("\ndata: 2\r\n\r"), bytesOf("\ndata: 3\r"), bytesOf("\r")]);
    expect(texts(out)).toEqual(["data: 1\n\n", "data: 2\r\n\r\n", "data: 3\r\r"]);
  });

  it("finds a CRLF delimiter split after each of its bytes", async () => {
    const body = bytesOf("data: one\r\n\r\ndata: two\r\n\r\n");
    for (let cut = 1; cut < body.length; cut += 1) {
      const out = await rechunk([body.slice(0, cut), body.slice(cut)]);
      expect(decoder.decode(concat(out))).toBe("data: one\r\n\r\ndata: two\r\n\r\n");
      for (const chunk of out) expect(decoder.decode(chunk)).toMatch(/^(data: (one|two)\r\n\r\n)+$/);
    }
  });

  it("does not take a lone CRLF for the end of an event", async () => {
    const out = await rechunk([bytesOf("data: 1\r\n"), bytesOf("data: 2\r\n\r\n")]);
    expect(texts(out)).toEqual(["data: 1\r\ndata: 2\r\n\r\n"]);
  });

  it("never splits a multi-byte character", async () => {
    const body = bytesOf("data: {\"text\":\"Bananen für 🍌 und ü\"}\n\ndata: {\"text\":\"日本\"}\n\n");
    const reads = split(body, [1, 2, 3, 5]);
    const out = await rechunk(reads);
    expect(texts(out)).toEqual(['data: {"text":"Bananen für 🍌 und ü"}\n\n', 'data: {"text":"日本"}\n\n']);
  });

  it("flushes trailing data without a delimiter at the end of the stream", async () => {
    const out = await rechunk([bytesOf("data: 1\n\ndata: 2"), bytesOf(" and more")]);
    expect(texts(out)).toEqual(["data: 1\n\n", "data: 2 and more"]);
  });

  it("skips empty reads and sends nothing for an empty stream", async () => {
    expect(await rechunk([])).toEqual([]);
    expect(await rechunk([new Uint8Array(0), new Uint8Array(0)])).toEqual([]);
    const out = await rechunk([new Uint8Array(0), bytesOf("data: 1\n"), new Uint8Array(0), bytesOf("\n"), new Uint8Array(0)]);
    expect(texts(out)).toEqual(["data: 1\n\n"]);
  });

  it("turns a 4 MB event read in 64 KB pieces into exactly one chunk", async () => {
    const event = bytesOf(`data: {"inlineData":{"data":"${"QUJD".repeat(1024 * 1024)}"}}\n\n`);
    const reads = split(event, [64 * 1024]);
    expect(reads.length).toBeGreaterThan(60);
    const out = await rechunk(reads);
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0] ?? []).equals(Buffer.from(event))).toBe(true);
  });

  it("passes every byte through unchanged, whatever the read sizes", async () => {
    const body = bytesOf(
      ['data: {"a":"ä"}\n\n', 'data: {"b":"🍌"}\r\n\r\n', "data: {}\r\r", ": comment\n\n", "data: x\n\n\n", "data: tail"].join(""),
    );
    for (const sizes of [[1], [2], [3, 7], [4096], [5, 1, 9, 2]]) {
      const out = await rechunk(split(body, sizes));
      expect(Buffer.from(concat(out)).equals(Buffer.from(body))).toBe(true);
      // Every chunk but the flushed tail ends on a delimiter.
      for (const chunk of out.slice(0, -1)) expect(decoder.decode(chunk)).toMatch(/(\n\n|\r\r|\r\n\r\n)$/);
    }
  });
});

describe("withSseRechunking", () => {
  function streamed(pieces: readonly string[], init: ResponseInit): Response {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(bytesOf(piece));
        controller.close();
      },
    });
    return new Response(body, init);
  }

  async function reads(response: Response): Promise<string[]> {
    const out: string[] = [];
    const reader = response.body?.getReader();
    if (!reader) return out;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out.push(decoder.decode(value));
    }
  }

  it("regroups an SSE answer and keeps its status and headers", async () => {
    const fetchImpl = withSseRechunking(async () =>
      streamed(["data: 1\n", "\ndata: 2", "\n\n"], { status: 200, statusText: "OK", headers: { "content-type": "text/event-stream", "x-id": "7" } }),
    );
    const response = await fetchImpl("http://gemini.test/v1/models/m:streamGenerateContent?alt=sse");
    expect(response.status).toBe(200);
    expect(response.statusText).toBe("OK");
    expect(response.headers.get("x-id")).toBe("7");
    expect(await reads(response)).toEqual(["data: 1\n\n", "data: 2\n\n"]);
  });

  it("regroups by the alt=sse URL when the content type is missing", async () => {
    const fetchImpl = withSseRechunking(async () => streamed(["data: 1", "\n\n"], { status: 200 }));
    const response = await fetchImpl(new URL("http://gemini.test/x?alt=sse"));
    expect(await reads(response)).toEqual(["data: 1\n\n"]);
  });

  it("hands error and non-streaming responses back as they are", async () => {
    const error = new Response('{"error":{"code":429}}', { status: 429, headers: { "content-type": "text/event-stream" } });
    const json = new Response('{"models":[]}', { status: 200, headers: { "content-type": "application/json" } });
    const queue = [error, json];
    const fetchImpl = withSseRechunking(async () => queue.shift() ?? Response.error());
    expect(await fetchImpl("http://gemini.test/x?alt=sse")).toBe(error);
    expect(await fetchImpl("http://gemini.test/v1/models")).toBe(json);
  });

  it("passes the request through to the wrapped fetch", async () => {
    const seen: Array<[string, RequestInit | undefined]> = [];
    const init = { method: "POST", body: "{}" };
    const fetchImpl = withSseRechunking(async (input, requestInit) => {
      seen.push([String(input), requestInit]);
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    });
    await fetchImpl("http://gemini.test/a", init);
    expect(seen).toEqual([["http://gemini.test/a", init]]);
  });

  it("recognizes SSE by content type or URL, only for successful answers with a body", () => {
    const sse = { "content-type": "text/event-stream; charset=utf-8" };
    expect(isSseResponse("http://x/", new Response("", { status: 200, headers: sse }))).toBe(true);
    expect(isSseResponse("http://x/?alt=sse", new Response("", { status: 200 }))).toBe(true);
    expect(isSseResponse("http://x/", new Response("", { status: 200 }))).toBe(false);
    expect(isSseResponse("http://x/?alt=sse", new Response("", { status: 500, headers: sse }))).toBe(false);
    expect(isSseResponse("http://x/?alt=sse", new Response(null, { status: 200, headers: sse }))).toBe(false);
  });
});
