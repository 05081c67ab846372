import { describe, expect, it } from "vitest";
import { findModel, type ModelProfile } from "./catalog";
import { buildGenerateCall, buildUserParts, planGeneration, replayModelTurn } from "./request";
import { buildRegionInstruction } from "@/lib/studio/region-edit";
import type { GenerationRequest, GenerationSettings, HistoryTurn, ModelTurn, ReferenceImage } from "./types";

function profile(id: string): ModelProfile {
  const found = findModel(id);
  if (!found) throw new Error(`missing ${id}`);
  return found;
}

const flash = profile("gemini-3.1-flash-image");
const pro = profile("gemini-3-pro-image");
const flash25 = profile("gemini-2.5-flash-image");

const settings: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "2K",
  aspectRatio: "16:9",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: true,
  imageSearch: true,
  imageOnly: false,
};

function request(overrides: Partial<GenerationRequest> = {}, settingOverrides: Partial<GenerationSettings> = {}): GenerationRequest {
  return { history: [], prompt: "A nano banana dish", references: [], ...overrides, settings: { ...settings, ...settingOverrides } };
}

const png: ReferenceImage = { mimeType: "image/png", data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) };

// A model turn shaped like the recordings: signature on the image part, then on an empty text part.
const signedTurn: ModelTurn = {
  parts: [
    { text: "**Composing**", thought: true },
    { inlineData: { mimeType: "image/png", data: "dGhvdWdodA==" }, thought: true },
    { inlineData: { mimeType: "image/jpeg", data: "AA==" }, thoughtSignature: "sig-on-image" },
    { text: "", thoughtSignature: "sig-on-empty-text" },
  ],
};

describe("buildGenerateCall config", () => {
  it("sends everything 3.1 Flash supports, sizes uppercase, search as an object of search types", () => {
    const call = buildGenerateCall(request(), flash);
    expect(call.model).toBe("gemini-3.1-flash-image");
    expect(call.config).toEqual({
      responseModalities: ["TEXT", "IMAGE"],
      imageConfig: { aspectRatio: "16:9", imageSize: "2K" },
      thinkingConfig: { thinkingLevel: "HIGH", includeThoughts: true },
      tools: [{ googleSearch: { searchTypes: { webSearch: {}, imageSearch: {} } } }],
    });
    expect(JSON.stringify(call.config.tools?.[0])).toBe('{"googleSearch":{"searchTypes":{"webSearch":{},"imageSearch":{}}}}');
  });

  it("sends the 512 size as the bare string the API expects", () => {
    expect(buildGenerateCall(request({}, { imageSize: "512" }), flash).config.imageConfig).toEqual({ aspectRatio: "16:9", imageSize: "512" });
  });

  it("sends image search alone, and web search as the plain tool every model accepts", () => {
    const imageOnly = buildGenerateCall(request({}, { webSearch: false }), flash);
    expect(imageOnly.config.tools).toEqual([{ googleSearch: { searchTypes: { imageSearch: {} } } }]);
    const webOnly = buildGenerateCall(request({}, { imageSearch: false }), flash);
    expect(webOnly.config.tools).toEqual([{ googleSearch: {} }]);
    expect(buildGenerateCall(request({}, { webSearch: false, imageSearch: false }), flash).config.tools).toBeUndefined();
  });

  it("never sends a thinking level to Pro, which always thinks, but still asks for its thoughts", () => {
    const call = buildGenerateCall(request({}, { model: "gemini-3-pro-image", imageSize: "4K" }), pro);
    expect(call.config.thinkingConfig).toEqual({ includeThoughts: true });
    expect(call.config.imageConfig).toEqual({ aspectRatio: "16:9", imageSize: "4K" });
    expect(call.config.tools).toEqual([{ googleSearch: {} }]);
    const quiet = buildGenerateCall(request({}, { showThoughts: false }), pro);
    expect(quiet.config.thinkingConfig).toBeUndefined();
  });

  it("gives 2.5 Flash no thinkingConfig, no imageSize and no tools", () => {
    const call = buildGenerateCall(request({}, { model: "gemini-2.5-flash-image", imageSize: "4K" }), flash25);
    expect(call.config).toEqual({ responseModalities: ["TEXT", "IMAGE"], imageConfig: { aspectRatio: "16:9" } });
  });

  it("asks for images only when text is not wanted", () => {
    expect(buildGenerateCall(request({}, { imageOnly: true }), flash).config.responseModalities).toEqual(["IMAGE"]);
  });

  it("omits the aspect ratio to match an input image, and sends 1:1 when there is none", () => {
    const withInput = buildGenerateCall(request({ references: [png] }, { aspectRatio: "match-input" }), flash);
    expect(withInput.config.imageConfig).toEqual({ imageSize: "2K" });
    const afterImageTurn = buildGenerateCall(
      request({ history: [{ prompt: "first", references: [], modelTurn: signedTurn }] }, { aspectRatio: "match-input" }),
      flash,
    );
    expect(afterImageTurn.config.imageConfig).toEqual({ imageSize: "2K" });
    const noInput = buildGenerateCall(request({}, { aspectRatio: "match-input" }), flash);
    expect(noInput.config.imageConfig).toEqual({ aspectRatio: "1:1", imageSize: "2K" });
  });

  it("reports what was changed and what the service would reject", () => {
    const plan = planGeneration(request({}, { model: "gemini-3-pro-image", imageSize: "512", aspectRatio: "8:1" }), pro);
    expect(plan.warnings).toEqual([
      "512 px isn't available on Nano Banana Pro; generating at 1K.",
      "8:1 isn't available on Nano Banana Pro; using 21:9, the closest it supports.",
      'Nano Banana Pro sets its own thinking level; the "high" setting was not sent.',
      "Nano Banana Pro can't use Google image search; generated without it.",
    ]);
    expect(plan.effective.expectedPixelSize).toEqual({ width: 1584, height: 672 });
    expect(plan.problems).toEqual([]);
    expect(planGeneration(request({ prompt: "  " }), flash).problems).toEqual(["Write a prompt or add a reference image."]);
  });
});

describe("user parts", () => {
  it("sends a lone, role-less image without a label, base64-encoded", () => {
    expect(buildUserParts("Make it blue", [png])).toEqual([
      { text: "Make it blue" },
      { inlineData: { mimeType: "image/png", data: "iVBORw==" } },
    ]);
  });

  it("labels each image with its position and role, in order", () => {
    const parts = buildUserParts("Put the hat from image 2 on the person in image 1", [
      { ...png, role: "character" },
      { ...png, mimeType: "image/jpeg", role: "object" },
      { ...png, role: "style" },
      { ...png },
    ]);
    expect(parts.map((part) => part.text ?? part.inlineData?.mimeType)).toEqual([
      "Put the hat from image 2 on the person in image 1",
      "Image 1 (character reference):",
      "image/png",
      "Image 2 (object reference):",
      "image/jpeg",
      "Image 3 (style reference):",
      "image/png",
      "Image 4:",
      "image/png",
    ]);
  });

  it("sends a region edit as a follow-up turn: the instruction, then the mask under its label, after the replayed result", () => {
    const prompt = buildRegionInstruction({ region: { x: 20, y: 10, width: 30, height: 30 }, instruction: "a red kite" }, 1);
    const call = buildGenerateCall(
      request({ history: [{ prompt: "A beach", references: [], modelTurn: signedTurn }], prompt, references: [{ ...png, role: "mask" }] }),
      flash,
    );
    expect(call.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    expect(call.contents[1]).toEqual({ role: "model", parts: signedTurn.parts });
    expect(call.contents[2]?.parts).toEqual([{ text: prompt }, { text: "Image 1 (mask):" }, { inlineData: { mimeType: "image/png", data: "iVBORw==" } }]);
  });

  it("encodes a view into a larger buffer, not the whole buffer", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const parts = buildUserParts("", [{ mimeType: "image/png", data: backing.subarray(2, 5) }]);
    expect(parts).toEqual([{ inlineData: { mimeType: "image/png", data: Buffer.from([1, 2, 3]).toString("base64") } }]);
  });
});

describe("reference parts", () => {
  it("writes a reference's base64 once per byte array: the same bytes give the same frozen part, other bytes their own", () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const [first] = buildUserParts("", [{ mimeType: "image/png", data: bytes }]);
    const [again] = buildUserParts("", [{ mimeType: "image/png", data: bytes }]);
    expect(again).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first?.inlineData)).toBe(true);
    expect(first?.inlineData?.data).toBe(Buffer.from(bytes).toString("base64"));
    const copy = new Uint8Array(bytes);
    const [other] = buildUserParts("", [{ mimeType: "image/png", data: copy }]);
    expect(other).not.toBe(first);
    expect(other).toEqual(first);
    // The same array named as another type is a part of its own.
    const [relabelled] = buildUserParts("", [{ mimeType: "image/webp", data: bytes }]);
    expect(relabelled?.inlineData?.mimeType).toBe("image/webp");
  });
});

describe("history replay", () => {
  const history: HistoryTurn[] = [
    { prompt: "A banana", references: [png], modelTurn: signedTurn },
    {
      prompt: "Make it gold",
      references: [],
      modelTurn: { parts: [{ inlineData: { mimeType: "image/png", data: "Z29sZA==" }, thoughtSignature: "sig-2", futureField: { kept: true } }] },
    },
  ];

  it("replays earlier model turns part for part, signatures on the same parts, unknown fields kept", () => {
    const call = buildGenerateCall(request({ history, prompt: "Add a crown" }), flash);
    expect(call.contents.map((content) => content.role)).toEqual(["user", "model", "user", "model", "user"]);
    expect(call.contents[1]).toEqual({ role: "model", parts: signedTurn.parts });
    expect(call.contents[3]?.parts).toEqual(history[1]?.modelTurn.parts);
    expect(call.contents[1]?.parts?.[2]?.thoughtSignature).toBe("sig-on-image");
    expect(call.contents[1]?.parts?.[3]).toEqual({ text: "", thoughtSignature: "sig-on-empty-text" });
    expect(JSON.stringify(call.contents[1]?.parts)).toBe(JSON.stringify(signedTurn.parts));
    expect(call.contents[0]).toEqual({ role: "user", parts: [{ text: "A banana" }, { inlineData: { mimeType: "image/png", data: "iVBORw==" } }] });
    expect(call.contents[4]).toEqual({ role: "user", parts: [{ text: "Add a crown" }] });
  });

  it("keeps a ~600 KB signature byte for byte", () => {
    const signature = "s".repeat(597_616);
    const turn: ModelTurn = { parts: [{ inlineData: { mimeType: "image/jpeg", data: "AA==" }, thoughtSignature: signature }] };
    expect(replayModelTurn(turn).parts?.[0]?.thoughtSignature).toBe(signature);
  });

  it("leaves out an exchange the model never answered", () => {
    const call = buildGenerateCall(
      request({ history: [{ prompt: "blocked", references: [], modelTurn: { parts: [] } }, ...history] }),
      flash,
    );
    expect(call.contents).toHaveLength(5);
    expect(call.contents[0]?.parts?.[0]).toEqual({ text: "A banana" });
  });

  it("does not modify the stored turns", () => {
    const before = JSON.stringify(history);
    buildGenerateCall(request({ history }), flash);
    expect(JSON.stringify(history)).toBe(before);
  });
});
