import { describe, expect, it } from "vitest";
import type { WireChunk } from "./response";
import { bytesBehindData } from "./base64";
import { foldChunks } from "./response";
import { createInteractionTranslator, type InteractionEvent } from "./interactions";
import { STASH_EVENT_MIN_CHARS, createInlineStash, createSseStasher } from "./sse-stash";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function stashThrough(stash: ReturnType<typeof createInlineStash>, chunks: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const out: Uint8Array[] = [];
  const reader = source.pipeThrough(createSseStasher(stash)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

/** What the SDK does with an event: trim, drop "data:", parse. */
function parseEvents(text: string): WireChunk[] {
  return text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data:"))
    .map((event) => JSON.parse(event.slice("data:".length).trim()) as WireChunk);
}

const image = "iVBORw0KGgo" + "A".repeat(STASH_EVENT_MIN_CHARS);
const signature = "c2ln" + "Q".repeat(40_000);
const imageChunk = {
  candidates: [
    {
      content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: image }, thoughtSignature: signature, extra: { kept: 1 } }] },
      index: 0,
    },
  ],
  modelVersion: "gemini-3.1-flash-image",
};
const closing = { candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }] };

describe("createSseStasher", () => {
  it("puts the big strings of a large event aside and restores the very same values", async () => {
    const stash = createInlineStash();
    const wire = `data: ${JSON.stringify(imageChunk)}\r\n\r\ndata: ${JSON.stringify(closing)}\r\n\r\n`;
    const out = await stashThrough(stash, [encoder.encode(wire)]);
    const text = out.map((chunk) => decoder.decode(chunk)).join("");
    expect(text.length).toBeLessThan(1_000);
    expect(stash.size).toBe(2);

    const chunks = parseEvents(text);
    expect(chunks).toHaveLength(2);
    const restored = chunks.map((chunk) => stash.restore(chunk));
    expect(restored).toEqual(parseEvents(wire));
    // Key order too: the stored model turn must serialise as the service sent it.
    expect(JSON.stringify(restored[0])).toBe(JSON.stringify(imageChunk));
    expect(stash.size).toBe(0);
    // The SDK's own objects keep only the tokens.
    expect(JSON.stringify(chunks[0]).length).toBeLessThan(1_000);
  });

  it("decodes a canonical image's data from the wire, and the part reads and serialises as sent", async () => {
    const stash = createInlineStash();
    const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(300_000, 7)]);
    const sent = structuredClone(imageChunk);
    sent.candidates[0]!.content.parts[0]!.inlineData.data = png.toString("base64");
    const wire = `data: ${JSON.stringify(sent)}\r\n\r\ndata: ${JSON.stringify(closing)}\r\n\r\n`;
    const text = (await stashThrough(stash, [encoder.encode(wire)])).map((chunk) => decoder.decode(chunk)).join("");
    expect(text.length).toBeLessThan(1_000);
    const restored = parseEvents(text).map((chunk) => stash.restore(chunk));
    const inline = restored[0]?.candidates?.[0]?.content?.parts?.[0]?.inlineData;
    // The bytes stand behind the data: nothing has made the base64 string yet.
    expect(Buffer.from(bytesBehindData(inline ?? {}) ?? []).equals(png)).toBe(true);
    expect(JSON.stringify(restored[0])).toBe(JSON.stringify(sent));
    // The folder takes those bytes as the image, and keeps them behind the stored part's data.
    const folded = foldChunks(restored);
    expect(Buffer.from(folded.outcome.images[0]?.data ?? []).equals(png)).toBe(true);
    expect(bytesBehindData(folded.outcome.modelTurn.parts[0]?.inlineData ?? {})).toBe(bytesBehindData(inline ?? {}));
    expect(JSON.stringify(folded.outcome.modelTurn.parts[0])).toBe(JSON.stringify(sent.candidates[0]!.content.parts[0]));
  });

  it("forwards small chunks, events that don't parse and error events as the same bytes", async () => {
    const stash = createInlineStash();
    const small = encoder.encode(`data: ${JSON.stringify(closing)}\n\n`);
    const broken = encoder.encode(`data: {"candidates": [${"1".repeat(STASH_EVENT_MIN_CHARS)}\n\n`);
    const error = encoder.encode(`data: ${JSON.stringify({ error: { code: 500, message: "x".repeat(STASH_EVENT_MIN_CHARS) } })}\n\n`);
    const out = await stashThrough(stash, [small, broken, error]);
    expect(out[0]).toBe(small);
    expect(out[1]).toBe(broken);
    expect(out[2]).toBe(error);
    expect(stash.size).toBe(0);
  });

  it("keeps the delimiters and a trailing partial event as they were", async () => {
    const stash = createInlineStash();
    const wire = `data: ${JSON.stringify(imageChunk)}\n\ndata: ${JSON.stringify(closing)}\r\rdata: {"partial`;
    const out = await stashThrough(stash, [encoder.encode(wire)]);
    const text = out.map((chunk) => decoder.decode(chunk)).join("");
    expect(text).toMatch(/^data: \{.*\}\n\ndata: \{.*\}\r\rdata: \{"partial$/s);
  });

  it("finds the big values in the event's bytes, keeping the rest of the event as the service wrote it", async () => {
    const stash = createInlineStash();
    // Spaces after the colons, as a JSON writer other than the emulator's may send; text with
    // multi-byte characters on both sides of the big values.
    const spaced = {
      candidates: [
        {
          content: {
            role: "model",
            parts: [{ text: "Voilà — «banane» 🍌" }, { inlineData: { mimeType: "image/png", data: image }, thoughtSignature: signature }, { text: "fin ✓" }],
          },
          index: 0,
        },
      ],
    };
    const event = `data: ${JSON.stringify(spaced).replaceAll('":', '": ')}`;
    const out = await stashThrough(stash, [encoder.encode(`${event}\n\n`)]);
    const text = out.map((chunk) => decoder.decode(chunk)).join("");
    // Not parsed and written again: the spacing is still there around the tokens.
    expect(text).toContain('"thoughtSignature": "\\u0000stashed:');
    expect(text).toContain('"text": "Voilà — «banane» 🍌"');
    expect(text.length).toBeLessThan(1_000);
    expect(stash.size).toBe(2);
    const [chunk] = parseEvents(text);
    expect(JSON.stringify(stash.restore(chunk!))).toBe(JSON.stringify(spaced));
    expect(stash.size).toBe(0);
  });

  it("takes no value from outside a candidate's parts, nor from inside a text, and still stashes the parts' own", async () => {
    const stash = createInlineStash();
    const elsewhere = "QkFE" + "B".repeat(STASH_EVENT_MIN_CHARS);
    const odd = {
      candidates: [
        {
          content: {
            role: "model",
            parts: [{ text: `quoted: "data":"${"C".repeat(2_000)}"` }, { inlineData: { mimeType: "image/png", data: image }, thoughtSignature: signature }],
          },
          groundingMetadata: { data: elsewhere },
        },
      ],
    };
    const wire = `data: ${JSON.stringify(odd)}\n\n`;
    const out = await stashThrough(stash, [encoder.encode(wire)]);
    const text = out.map((chunk) => decoder.decode(chunk)).join("");
    // The parsing way took over: the part's two values are stashed, the others are in the event.
    expect(stash.size).toBe(2);
    expect(text).toContain(elsewhere);
    expect(text).toContain("C".repeat(2_000));
    const [chunk] = parseEvents(text);
    expect(JSON.stringify(stash.restore(chunk!))).toBe(JSON.stringify(odd));
    expect(stash.size).toBe(0);
  });

  it("leaves a value that only looks like a token alone", () => {
    const stash = createInlineStash();
    const chunk: WireChunk = { candidates: [{ content: { parts: [{ inlineData: { data: "\u0000stashed:1" } }] } }] };
    expect(stash.restore(chunk).candidates?.[0]?.content?.parts?.[0]?.inlineData?.data).toBe("\u0000stashed:1");
  });
});

describe("createSseStasher on Interactions API events", () => {
  /** What the SDK does with a named event: trim, drop the "event:" line and "data:", parse. */
  function parseNamedEvents(text: string): InteractionEvent[] {
    return text
      .split(/\r\n\r\n|\n\n|\r\r/)
      .map((event) => event.trim())
      .filter((event) => event !== "")
      .map((event) => JSON.parse(event.replace(/^event:[^\n]*\n/, "").slice("data:".length).trim()) as InteractionEvent);
  }
  function translate(events: InteractionEvent[], stash?: ReturnType<typeof createInlineStash>): WireChunk[] {
    const translator = createInteractionTranslator();
    return events.flatMap((event) => translator.push(event)).map((chunk) => (stash ? stash.restore(chunk) : chunk));
  }
  const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(300_000, 9)]);
  // Each in an event of its own, as big as real ones (~600 KB), so past STASH_EVENT_MIN_CHARS.
  const signature = "c2ln" + "Q".repeat(STASH_EVENT_MIN_CHARS);
  const events = [
    { event_type: "interaction.created", interaction: { id: "v1_abc", model: "gemini-3.1-flash-image", status: "in_progress" } },
    { event_type: "step.delta", index: 0, delta: { type: "thought_summary", content: { type: "image", mime_type: "image/png", data: image } } },
    { event_type: "step.delta", index: 0, delta: { type: "thought_signature", signature } },
    // A signature that follows no held thought goes onto the next part (interactions.ts).
    { event_type: "step.delta", index: 1, delta: { type: "thought_signature", signature: `${signature}2` } },
    { event_type: "step.delta", index: 1, delta: { type: "image", mime_type: "image/png", data: png.toString("base64") } },
    { event_type: "step.delta", index: 1, delta: { type: "text", text: "Here it is." } },
    { event_type: "interaction.completed", interaction: { id: "v1_abc", status: "completed", usage: { total_tokens: 10 } } },
  ];
  const wire = events.map((event) => `event: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`).join("");

  it("puts a delta's image data and signatures aside, keeping each event's name, and the translated parts get the very same values", async () => {
    const stash = createInlineStash();
    const text = (await stashThrough(stash, [encoder.encode(wire)])).map((chunk) => decoder.decode(chunk)).join("");
    expect(text.length).toBeLessThan(3_000);
    expect(stash.size).toBe(4);
    expect(text.match(/^event: [a-z._]+$/gm)).toEqual(events.map((event) => `event: ${event.event_type}`));

    const restored = translate(parseNamedEvents(text), stash);
    expect(stash.size).toBe(0);
    const direct = translate(parseNamedEvents(wire));
    expect(JSON.stringify(restored)).toBe(JSON.stringify(direct));
    // The final image's data was decoded from the wire: its bytes stand behind the part.
    const finalImage = restored.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []).find((part) => part.inlineData && !part.thought);
    expect(Buffer.from(bytesBehindData(finalImage?.inlineData ?? {}) ?? []).equals(png)).toBe(true);
    expect(finalImage?.thoughtSignature).toBe(`${signature}2`);
  });

  it("takes nothing from other places of an Interactions event, such as a completed interaction's outputs", async () => {
    const stash = createInlineStash();
    const completed = {
      event_type: "interaction.completed",
      interaction: { id: "v1_abc", status: "completed", outputs: [{ type: "image", mime_type: "image/png", data: image, signature }] },
    };
    const text = (await stashThrough(stash, [encoder.encode(`event: interaction.completed\ndata: ${JSON.stringify(completed)}\n\n`)]))
      .map((chunk) => decoder.decode(chunk))
      .join("");
    expect(stash.size).toBe(0);
    expect(parseNamedEvents(text)).toEqual([completed]);
  });
});
