import { describe, expect, it } from "vitest";
import { readFixtureJson } from "./__fixtures__/load";
import { foldChunks, type WireChunk } from "./response";
import { generationSettingsSchema, isJsonValue, modelTurnSchema } from "./types";

describe("modelTurnSchema", () => {
  it("round-trips a recorded model turn through JSON storage unchanged, unknown fields included", () => {
    const { outcome } = foldChunks([readFixtureJson<WireChunk>("responses/image-3.1-flash-signed-jpeg.json")]);
    const turn = { parts: [...outcome.modelTurn.parts, { text: "", thoughtSignature: "s", partMetadata: { origin: "future" } }] };
    const parsed = modelTurnSchema.parse(JSON.parse(JSON.stringify(turn)));
    expect(parsed).toEqual(turn);
  });

  it("rejects parts that are not what the service sends", () => {
    expect(modelTurnSchema.safeParse({ parts: [{ text: 3 }] }).success).toBe(false);
    expect(modelTurnSchema.safeParse({ parts: [{ inlineData: { mimeType: "image/png" } }] }).success).toBe(false);
    expect(modelTurnSchema.safeParse({ parts: [{ thoughtSignature: null }] }).success).toBe(false);
    expect(modelTurnSchema.safeParse({ parts: ["text"] }).success).toBe(false);
  });

  it("only accepts JSON values", () => {
    expect(isJsonValue({ a: [1, "b", null, { c: true }] })).toBe(true);
    expect(isJsonValue({ a: new Date() })).toBe(false);
    expect(isJsonValue(Number.NaN)).toBe(false);
    expect(isJsonValue(undefined)).toBe(false);
  });
});

describe("generationSettingsSchema", () => {
  it("accepts studio settings and rejects lowercase sizes and unknown ratios", () => {
    const settings = {
      model: " gemini-3.1-flash-image ",
      imageSize: "2K",
      aspectRatio: "match-input",
      showThoughts: false,
      webSearch: false,
      imageSearch: false,
      imageOnly: true,
    };
    expect(generationSettingsSchema.parse(settings).model).toBe("gemini-3.1-flash-image");
    expect(generationSettingsSchema.safeParse({ ...settings, imageSize: "2k" }).success).toBe(false);
    expect(generationSettingsSchema.safeParse({ ...settings, aspectRatio: "7:3" }).success).toBe(false);
    expect(generationSettingsSchema.safeParse({ ...settings, thinkingLevel: "low" }).success).toBe(false);
  });
});
