import { describe, expect, it } from "vitest";
import { createBase64Sink, decodeCanonicalBase64 } from "./base64";
import type { WireChunk } from "./response";
import { STASH_EVENT_MIN_CHARS, createInlineStash } from "./sse-stash";
import { createSseStashingRechunker } from "./sse-stash-stream";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function through(reads: readonly Uint8Array[]) {
  const stash = createInlineStash();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const read of reads) controller.enqueue(read);
      controller.close();
    },
  });
  const out: Uint8Array[] = [];
  const reader = source.pipeThrough(createSseStashingRechunker(stash)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push(value);
  }
  const text = out.map((chunk) => decoder.decode(chunk)).join("");
  return { stash, out, text };
}

/** The SDK's reading of whole events: split on its delimiters, parse each data line (not the unfinished last one). */
function parseEvents(text: string): WireChunk[] {
  return text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .slice(0, -1)
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data:"))
    .map((event) => JSON.parse(event.slice("data:".length).trim()) as WireChunk);
}

/** `bytes` cut into reads of the given sizes, repeated. */
function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const reads: Uint8Array[] = [];
  let at = 0;
  for (let index = 0; at < bytes.length; index += 1) {
    const size = sizes[index % sizes.length] ?? 1;
    reads.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reads;
}

/** The chunks the SDK would parse from `text`, with the stash's values back, as JSON. */
function restoredJson(result: Awaited<ReturnType<typeof through>>): string[] {
  return parseEvents(result.text).map((chunk) => JSON.stringify(result.stash.restore(chunk)));
}

const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(200_000, 7), Buffer.from([1, 2])]);
const signature = "c2ln" + "Q".repeat(STASH_EVENT_MIN_CHARS + 4_000);
const thought = {
  candidates: [{ content: { role: "model", parts: [{ text: "Planning — «the banana» 🍌", thought: true, thoughtSignature: signature }] }, index: 0 }],
};
const imageEvent = {
  candidates: [
    {
      content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: png.toString("base64") }, thoughtSignature: signature }] },
      index: 0,
    },
  ],
  modelVersion: "gemini-3.1-flash-image",
};
const closing = { candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }], usageMetadata: { totalTokenCount: 1 } };
const padding = { candidates: [{ content: { role: "model", parts: [{ text: "x".repeat(STASH_EVENT_MIN_CHARS) }] }, index: 0 }] };
const wire = [thought, imageEvent, padding, closing].map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`).join("") + 'data: {"partial';
const wireBytes = encoder.encode(wire);

describe("createSseStashingRechunker", () => {
  it("gives the same events and values for any split of the stream into reads", async () => {
    const whole = await through([wireBytes]);
    // Every big value is put aside; the small rest goes to the SDK.
    expect(whole.text.length).toBeLessThan(STASH_EVENT_MIN_CHARS + 2_000);
    const expected = parseEvents(wire).map((chunk) => JSON.stringify(chunk));
    expect(restoredJson(whole)).toEqual(expected);
    for (const sizes of [[64 * 1024], [1, 2, 3, 5, 7, 11, 13], [17, 4096, 1], [65_536, 9, 31_000]]) {
      const result = await through(split(wireBytes, sizes));
      expect(result.text, `reads of ${sizes.join(", ")}`).toBe(whole.text);
      expect(restoredJson(result)).toEqual(expected);
      // Nothing is left in the stash once the SDK's chunks are restored.
      expect(result.stash.size).toBe(0);
    }
  });

  it("sends each event as soon as its delimiter arrives, in whole events only", async () => {
    const reads = split(wireBytes, [1000]);
    const result = await through(reads);
    // Four whole events and the partial one at the end, never a piece of one.
    expect(result.out).toHaveLength(5);
    expect(decoder.decode(result.out[4])).toBe('data: {"partial');
    for (const chunk of result.out.slice(0, 4)) expect(decoder.decode(chunk)).toMatch(/^data: \{.*\}\r\n\r\n$/s);
  });

  it("finds a key and a delimiter cut between two reads at any byte", async () => {
    const event = `data: ${JSON.stringify(imageEvent)}\n\ndata: ${JSON.stringify(closing)}\n\n`;
    const bytes = encoder.encode(event);
    const whole = await through([bytes]);
    const keyAt = event.indexOf('"thoughtSignature"');
    const delimiterAt = event.indexOf("\n\n");
    for (const cut of [keyAt + 1, keyAt + 10, keyAt + 18, keyAt + 19, keyAt + 20, event.indexOf('"data"') + 3, delimiterAt, delimiterAt + 1]) {
      const result = await through([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(result.text, `cut at ${cut}`).toBe(whole.text);
      expect(result.stash.size).toBe(2);
    }
  });

  it("leaves a value at a place that is not a part's as it was, from the event's own bytes", async () => {
    const elsewhere = "QkFE" + "B".repeat(STASH_EVENT_MIN_CHARS);
    const odd = {
      candidates: [
        {
          content: { role: "model", parts: [{ text: `quoted: "data":"${"C".repeat(2_000)}"` }, { inlineData: { mimeType: "image/png", data: png.toString("base64") } }] },
          groundingMetadata: { data: elsewhere },
        },
      ],
    };
    const event = `data: ${JSON.stringify(odd)}\n\n`;
    const result = await through(split(encoder.encode(event), [4096]));
    expect(result.text).toContain(elsewhere);
    expect(result.stash.size).toBe(1);
    expect(restoredJson(result)).toEqual([JSON.stringify(odd)]);
  });

  it("forwards a stream that ends inside a big value as it came", async () => {
    const cut = wire.indexOf(png.toString("base64").slice(0, 40)) + 5_000;
    const bytes = wireBytes.subarray(0, cut);
    const result = await through(split(bytes, [777]));
    const last = Buffer.from(result.out.at(-1) ?? []);
    // The cut event, from its "data:" to the cut, as the bytes that came.
    expect(last.equals(Buffer.from(bytes.subarray(bytes.length - last.length)))).toBe(true);
    expect(last.toString("latin1").startsWith('data: {"candidates"')).toBe(true);
    // The thought before it went through stashed; the cut event's values were not kept.
    expect(result.stash.size).toBe(1);
  });
});

describe("createBase64Sink", () => {
  const decodeInPieces = (text: string, sizes: readonly number[]) => {
    const sink = createBase64Sink();
    const bytes = Buffer.from(text, "latin1");
    for (const piece of split(bytes, sizes)) sink.add(piece, 0, piece.length);
    return sink.finish();
  };

  it("decodes canonical base64 given in any pieces, as the whole-value decoder does", () => {
    for (const length of [1, 2, 3, 4, 5, 300_001]) {
      const data = Buffer.alloc(length, 0).map((_, index) => (index * 31 + 7) % 256);
      const text = Buffer.from(data).toString("base64");
      for (const sizes of [[text.length], [1], [3, 5], [4096, 1, 2]]) {
        const decoded = decodeInPieces(text, sizes);
        expect(decoded && Buffer.from(decoded).equals(Buffer.from(data)), `${length} bytes in pieces of ${sizes.join(", ")}`).toBe(true);
      }
    }
  });

  it("refuses what decodeCanonicalBase64 refuses", () => {
    const canonical = Buffer.from("banana!").toString("base64");
    const refused = [
      canonical.slice(0, -1),
      "QR==",
      "QQ==QUFB",
      "QUF-QUFB",
      "QUF_QUFB",
      "QU!BQUFB",
      "QUFBQ=A=",
      "",
    ];
    for (const text of refused) {
      const bytes = Buffer.from(text, "latin1");
      expect(decodeCanonicalBase64(bytes, 0, bytes.length), text).toBeNull();
      for (const sizes of [[Math.max(1, text.length)], [1], [3]]) expect(decodeInPieces(text, sizes), `${text} in pieces of ${sizes[0]}`).toBeNull();
    }
    expect(decodeInPieces(canonical, [2])?.toString()).toBe("banana!");
  });
});
