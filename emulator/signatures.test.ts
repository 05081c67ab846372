import type { Content, GenerateContentConfig, GenerateContentResponse, Part } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "./server";
import { createSignature, verifySignature } from "./signatures";
import { captureApiError, createClient, finalImagePart, imageBytes, inlinePart, parts, rawRequest, solidImage } from "./test-support";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator.close();
});

function modelTurn(response: GenerateContentResponse): Content {
  return { role: "model", parts: parts(response).map((part) => ({ ...part })) };
}

function alter(signature: string): string {
  const middle = Math.floor(signature.length / 2);
  const replacement = signature[middle] === "A" ? "B" : "A";
  return `${signature.slice(0, middle)}${replacement}${signature.slice(middle + 1)}`;
}

describe("signature format", () => {
  it("verifies what it signs and rejects anything altered", () => {
    const image = Buffer.from("pretend these are jpeg bytes");
    const signature = createSignature({ kind: "image", modelId: "gemini-3-pro-image", content: image, realisticSize: false });
    expect(verifySignature(signature, image)).toMatchObject({ valid: true, kind: "image", modelId: "gemini-3-pro-image" });
    expect(verifySignature(signature, Buffer.from("other bytes"))).toEqual({ valid: false, reason: "content-mismatch" });
    expect(verifySignature(alter(signature), image).valid).toBe(false);
    expect(verifySignature("bm90IGEgc2lnbmF0dXJl", image)).toEqual({ valid: false, reason: "malformed" });
    expect(verifySignature("not base64 at all!", image)).toEqual({ valid: false, reason: "malformed" });
    expect(verifySignature("skip_thought_signature_validator", image)).toEqual({ valid: true, bypass: true });
  });

  it("pads realistic signatures without changing what they prove", () => {
    const image = Buffer.from("bytes");
    const signature = createSignature({ kind: "image", modelId: "gemini-3.1-flash-image", content: image, realisticSize: true });
    expect(signature.length).toBeGreaterThan(590_000);
    expect(verifySignature(signature, image).valid).toBe(true);
    expect(verifySignature(alter(signature), image).valid).toBe(false);
  });
});

describe("replayed history", () => {
  const imageOnly: GenerateContentConfig = { responseModalities: ["IMAGE"] };

  it.each(["gemini-3-pro-image", "gemini-3.1-flash-image"])("round-trips signatures over three turns on %s", async (model) => {
    const ai = createClient(emulator);
    const history: Content[] = [{ role: "user", parts: [{ text: "a paper boat" }] }];
    for (const follow of ["make it red", "add rain"]) {
      const response = await ai.models.generateContent({ model, contents: history });
      const turn = modelTurn(response);
      const image = turn.parts?.find((part) => part.inlineData && !part.thought);
      expect(image?.thoughtSignature).toEqual(expect.any(String));
      history.push(turn, { role: "user", parts: [{ text: follow }] });
    }
    const last = await ai.models.generateContent({ model, contents: history });
    expect(last.candidates?.[0]?.finishReason).toBe("STOP");
    expect(history).toHaveLength(5);
  });

  it("round-trips a streamed turn whose parts were kept in order", async () => {
    const ai = createClient(emulator);
    const stream = await ai.models.generateContentStream({
      model: "gemini-3-pro-image",
      contents: "a glass marble",
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const received: Part[] = [];
    for await (const chunk of stream) received.push(...parts(chunk));
    const next = await ai.models.generateContent({
      model: "gemini-3-pro-image",
      contents: [
        { role: "user", parts: [{ text: "a glass marble" }] },
        { role: "model", parts: received },
        { role: "user", parts: [{ text: "now two marbles" }] },
      ],
    });
    expect(next.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("names the content and part position of an unsigned model image (1-based)", async () => {
    const ai = createClient(emulator);
    const first = await ai.models.generateContent({ model: "gemini-3-pro-image", contents: "a kite", config: imageOnly });
    const image = { ...finalImagePart(first) };
    delete image.thoughtSignature;
    const error = await captureApiError(
      ai.models.generateContent({
        model: "gemini-3-pro-image",
        contents: [
          { role: "user", parts: [{ text: "a kite" }] },
          { role: "model", parts: [image] },
          { role: "user", parts: [{ text: "higher" }] },
        ],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.body.error).toEqual({
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "Image part is missing a thought_signature in content position 2, part position 1.",
    });

    const withText = await ai.models.generateContent({ model: "gemini-3.1-flash-image", contents: "a kite" });
    const stripped = parts(withText).map((part) => {
      if (!part.inlineData) return part;
      const copy = { ...part };
      delete copy.thoughtSignature;
      return copy;
    });
    const later = await captureApiError(
      ai.models.generateContent({
        model: "gemini-3.1-flash-image",
        contents: [
          { role: "user", parts: [{ text: "a kite" }] },
          { role: "model", parts: [{ text: "earlier answer" }] },
          { role: "user", parts: [{ text: "again" }] },
          { role: "model", parts: stripped },
          { role: "user", parts: [{ text: "higher" }] },
        ],
      }),
    );
    expect(later.body.error.message).toBe("Image part is missing a thought_signature in content position 4, part position 2.");
  });

  it("rejects an altered signature, or one moved onto other image bytes", async () => {
    const ai = createClient(emulator);
    const first = await ai.models.generateContent({ model: "gemini-3.1-flash-image", contents: "a lamp", config: imageOnly });
    const image = finalImagePart(first);
    const replay = (part: Part) =>
      captureApiError(
        ai.models.generateContent({
          model: "gemini-3.1-flash-image",
          contents: [
            { role: "user", parts: [{ text: "a lamp" }] },
            { role: "model", parts: [part] },
            { role: "user", parts: [{ text: "brighter" }] },
          ],
        }),
      );
    const altered = await replay({ ...image, thoughtSignature: alter(image.thoughtSignature ?? "") });
    expect(altered.status).toBe(400);
    expect(altered.body.error).toEqual({ code: 400, status: "INVALID_ARGUMENT", message: "Corrupted thought signature." });

    const other = await solidImage(64, 64, "#123456", "jpeg");
    const moved = await replay({ ...inlinePart(other, "image/jpeg"), thoughtSignature: image.thoughtSignature });
    expect(moved.body.error.message).toBe("Corrupted thought signature.");
  });

  it("does not require signatures on thought images, on 2.5 Flash, or with the documented bypass value", async () => {
    const ai = createClient(emulator);
    const unsigned = inlinePart(await solidImage(64, 64, "#654321"));
    const flash25 = await ai.models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: [
        { role: "user", parts: [{ text: "a mug" }] },
        { role: "model", parts: [unsigned] },
        { role: "user", parts: [{ text: "blue mug" }] },
      ],
    });
    expect(flash25.candidates?.[0]?.finishReason).toBe("STOP");

    const bypass = await ai.models.generateContent({
      model: "gemini-3-pro-image",
      contents: [
        { role: "user", parts: [{ text: "a mug" }] },
        { role: "model", parts: [{ ...unsigned, thoughtSignature: "skip_thought_signature_validator" }] },
        { role: "user", parts: [{ text: "blue mug" }] },
      ],
    });
    expect(bypass.candidates?.[0]?.finishReason).toBe("STOP");

    const thoughtOnly = await ai.models.generateContent({
      model: "gemini-3-pro-image",
      contents: [
        { role: "user", parts: [{ text: "a mug" }] },
        { role: "model", parts: [{ ...unsigned, thought: true }, { text: "thinking", thought: true }] },
        { role: "user", parts: [{ text: "blue mug" }] },
      ],
    });
    expect(thoughtOnly.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("rejects 2.5 Flash history replayed to a Gemini 3 model", async () => {
    const ai = createClient(emulator);
    const flash25 = await ai.models.generateContent({ model: "gemini-2.5-flash-image", contents: "a chair", config: imageOnly });
    expect(finalImagePart(flash25).thoughtSignature).toBeUndefined();
    const error = await captureApiError(
      ai.models.generateContent({
        model: "gemini-3-pro-image",
        contents: [{ role: "user", parts: [{ text: "a chair" }] }, modelTurn(flash25), { role: "user", parts: [{ text: "wooden" }] }],
      }),
    );
    expect(error.body.error.message).toBe("Image part is missing a thought_signature in content position 2, part position 1.");
  });

  it("accepts signatures from an earlier emulator process (fixed secret)", async () => {
    const ai = createClient(emulator);
    const first = await ai.models.generateContent({ model: "gemini-3-pro-image", contents: "a violin", config: imageOnly });
    const restarted = await startEmulator();
    try {
      const next = await createClient(restarted).models.generateContent({
        model: "gemini-3-pro-image",
        contents: [{ role: "user", parts: [{ text: "a violin" }] }, modelTurn(first), { role: "user", parts: [{ text: "a cello" }] }],
      });
      expect(next.candidates?.[0]?.finishReason).toBe("STOP");
    } finally {
      await restarted.close();
    }
  });

  it("can stop enforcing signatures, at start or live", async () => {
    const unsignedHistory: Content[] = [
      { role: "user", parts: [{ text: "a fork" }] },
      { role: "model", parts: [inlinePart(await solidImage(32, 32, "#ffffff"))] },
      { role: "user", parts: [{ text: "a spoon" }] },
    ];
    const lenient = await startEmulator({ enforceSignatures: false });
    try {
      const response = await createClient(lenient).models.generateContent({ model: "gemini-3-pro-image", contents: unsignedHistory });
      expect(imageBytes(finalImagePart(response)).length).toBeGreaterThan(0);
    } finally {
      await lenient.close();
    }

    await rawRequest(emulator, "POST", "/_emulator/config", { enforceSignatures: false }, {});
    try {
      const response = await createClient(emulator).models.generateContent({ model: "gemini-3-pro-image", contents: unsignedHistory });
      expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    } finally {
      await rawRequest(emulator, "POST", "/_emulator/reset", undefined, {});
    }
    const strict = await captureApiError(createClient(emulator).models.generateContent({ model: "gemini-3-pro-image", contents: unsignedHistory }));
    expect(strict.status).toBe(400);
  });
});
