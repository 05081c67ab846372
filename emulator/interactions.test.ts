import type { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "./server";
import { createClient } from "./test-support";

// The Interactions API through the real SDK (ai.interactions.create), unary and streamed.

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
const NO_RETRY = { retries: { strategy: "none" as const } };

type Step = { type: string; content?: Array<Record<string, unknown>>; summary?: Array<Record<string, unknown>>; signature?: string; [key: string]: unknown };

async function create(body: Record<string, unknown>): Promise<{ id: string; steps: Step[]; usage?: Record<string, unknown>; status: string }> {
  const interaction = await ai.interactions.create({ model: MODEL, automatic_continuation: false, ...body } as never, NO_RETRY);
  return interaction as never;
}

function images(steps: Step[], type: "model_output" | "thought"): Array<Record<string, unknown>> {
  return steps
    .filter((step) => step.type === type)
    .flatMap((step) => (type === "thought" ? (step.summary ?? []) : (step.content ?? [])))
    .filter((content) => content.type === "image");
}

async function requestLog(): Promise<Array<{ path: string; status: number | null; body: Record<string, unknown> }>> {
  return (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as never;
}

describe("POST /v1/interactions", () => {
  it("answers an image prompt with thought and model_output steps, and usage", async () => {
    const interaction = await create({
      input: "A red bicycle",
      generation_config: { thinking_level: "high", thinking_summaries: "auto" },
      response_format: [{ type: "text" }, { type: "image", aspect_ratio: "16:9", image_size: "1K" }],
    });
    expect(interaction.status).toBe("completed");
    expect(interaction.id).toMatch(/^v1_[0-9a-f]{32}$/);
    expect(images(interaction.steps, "model_output")).toHaveLength(1);
    expect(images(interaction.steps, "thought").length).toBeGreaterThan(0);
    expect(interaction.steps.some((step) => step.type === "thought" && step.summary?.some((content) => content.type === "text"))).toBe(true);
    // The signature of the final image sits on a summary-less thought step right before it.
    const index = interaction.steps.findIndex((step) => step.type === "model_output" && step.content?.some((content) => content.type === "image"));
    expect(interaction.steps[index - 1]).toMatchObject({ type: "thought", signature: expect.any(String) });
    expect(interaction.usage).toMatchObject({ total_input_tokens: expect.any(Number), total_thought_tokens: expect.any(Number), total_tokens: expect.any(Number) });
  });

  it("continues a conversation from previous_interaction_id, sending only the new message", async () => {
    const first = await create({ input: "A red bicycle", response_format: { type: "image", image_size: "1K" } });
    const second = await create({ input: "Make it blue", previous_interaction_id: first.id, response_format: { type: "image", image_size: "1K" } });
    expect(images(second.steps, "model_output")).toHaveLength(1);
    const log = await requestLog();
    const last = log.at(-1);
    expect(last?.status).toBe(200);
    expect(last?.body).toMatchObject({ previousInteractionId: first.id });
    // Only the new user turn went over the wire.
    expect((last?.body.contents as unknown[]).length).toBe(1);
  });

  it("streams the same steps as events the SDK yields, ending in interaction.completed", async () => {
    const stream = await ai.interactions.create(
      { model: MODEL, input: "A red bicycle", stream: true, automatic_continuation: false, generation_config: { thinking_summaries: "auto", thinking_level: "high" } } as never,
      NO_RETRY,
    );
    const types: string[] = [];
    const deltas: string[] = [];
    let completedId: string | undefined;
    let createdId: string | undefined;
    for await (const event of stream as unknown as AsyncIterable<Record<string, unknown>>) {
      types.push(String(event.event_type));
      if (event.event_type === "step.delta") deltas.push(String((event.delta as { type: string }).type));
      if (event.event_type === "interaction.created") createdId = (event.interaction as { id: string }).id;
      if (event.event_type === "interaction.completed") completedId = (event.interaction as { id: string }).id;
    }
    expect(types[0]).toBe("interaction.created");
    expect(types.at(-1)).toBe("interaction.completed");
    expect(completedId).toBe(createdId);
    expect(deltas).toEqual(expect.arrayContaining(["thought_summary", "thought_signature", "image"]));
    // The streamed interaction is stored too: it can be continued.
    const next = await create({ input: "Now at night", previous_interaction_id: completedId });
    expect(images(next.steps, "model_output")).toHaveLength(1);
  });

  it("maps grounding into search steps and url_citation annotations", async () => {
    const interaction = await create({
      input: "The Eiffel Tower at dusk, with today's weather",
      tools: [{ type: "google_search" }],
      response_format: [{ type: "text" }, { type: "image" }],
    });
    const call = interaction.steps.find((step) => step.type === "google_search_call");
    expect(call).toMatchObject({ arguments: { queries: expect.any(Array) }, search_type: "web_search" });
    const result = interaction.steps.find((step) => step.type === "google_search_result");
    expect(result).toMatchObject({ call_id: call?.id, result: [{ search_suggestions: expect.stringContaining("<") }] });
    const text = interaction.steps.flatMap((step) => (step.type === "model_output" ? (step.content ?? []) : [])).find((content) => content.type === "text");
    expect(text?.annotations).toEqual(expect.arrayContaining([expect.objectContaining({ type: "url_citation", url: expect.stringMatching(/^https:/) })]));
  });

  it("answers 404 for an unknown or forgotten previous_interaction_id, and changes nothing", async () => {
    const first = await create({ input: "A red bicycle" });
    const forgotten = await (await fetch(`${emulator.url}/_emulator/interactions`, { method: "DELETE" })).json();
    // Earlier tests' interactions are forgotten too.
    expect((forgotten as { forgotten: number }).forgotten).toBeGreaterThanOrEqual(1);
    for (const id of [first.id, "v1_unknown"]) {
      const error = await create({ input: "Make it blue", previous_interaction_id: id }).then(
        () => null,
        (caught: unknown) => caught as { statusCode?: number; body?: string },
      );
      expect(error?.statusCode).toBe(404);
      expect(JSON.parse(error?.body ?? "{}")).toEqual({ error: { code: 404, message: `Interaction ${id} not found.`, status: "NOT_FOUND" } });
    }
  });

  it("replays a conversation sent back as steps, signatures checked", async () => {
    const first = await create({ input: "A red bicycle", generation_config: { thinking_summaries: "auto", thinking_level: "high" } });
    const replay = [{ type: "user_input", content: [{ type: "text", text: "A red bicycle" }] }, ...first.steps, { type: "user_input", content: [{ type: "text", text: "Make it blue" }] }];
    const second = await create({ input: replay });
    expect(images(second.steps, "model_output")).toHaveLength(1);

    // A model_output whose signing thought step was dropped is refused, as generateContent refuses a bare image.
    const unsigned = replay.filter((step) => !(step.type === "thought" && !("summary" in step && step.summary)));
    const error = await create({ input: unsigned }).then(
      () => null,
      (caught: unknown) => caught as { statusCode?: number; body?: string },
    );
    expect(error?.statusCode).toBe(400);
    expect(error?.body).toMatch(/thought_signature/);
  });

  it("rejects a malformed request with a clear 400", async () => {
    const error = await create({ input: [{ type: "audio", data: "AAAA" }] }).then(
      () => null,
      (caught: unknown) => caught as { statusCode?: number; body?: string },
    );
    expect(error?.statusCode).toBe(400);
    expect(JSON.parse(error?.body ?? "{}").error.message).toBe('input[0]: content type "audio" is not supported by image generation models.');
  });
});
