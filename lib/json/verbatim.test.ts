import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VERBATIM_MIN_CHARS, encodeJsonVerbatim, jsonByteLength, stringifyVerbatim } from "./verbatim";

const base64 = (bytes: number) => randomBytes(bytes).toString("base64");

/** A model turn as the service sends it: text, a thought image, the final image, signatures. */
function modelTurn() {
  return {
    format: 1,
    turn: {
      parts: [
        { text: "Here is the banana — «warmer light» \"as asked\"\n", thought: true },
        { inlineData: { mimeType: "image/png", data: base64(40_000) }, thought: true, thoughtSignature: base64(3_000) },
        { inlineData: { mimeType: "image/jpeg", data: "" }, thoughtSignature: base64(450_000), extra: undefined },
        { text: "x".repeat(VERBATIM_MIN_CHARS + 5) },
      ],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1290 },
    },
    external: [[2, "a".repeat(64)]],
  };
}

describe("stringifyVerbatim", () => {
  it("writes exactly what JSON.stringify writes, big base64 strings included", () => {
    const value = modelTurn();
    expect(stringifyVerbatim(value)).toBe(JSON.stringify(value));
  });

  it("leaves strings that need escaping, short strings and non-base64 text to JSON.stringify", () => {
    const value = {
      quoted: `"${"q".repeat(2000)}"`,
      unicode: "é".repeat(3000),
      newline: `${"a".repeat(1500)}\n`,
      short: "QUJD",
      list: [base64(2000), null, 3, true, { nested: [base64(1500)] }],
    };
    expect(stringifyVerbatim(value)).toBe(JSON.stringify(value));
  });

  it("handles values with nothing to swap, and top-level strings", () => {
    for (const value of [{}, [], null, 42, "plain", base64(3000), { a: undefined }]) {
      expect(stringifyVerbatim(value)).toBe(JSON.stringify(value));
    }
  });
});

describe("encodeJsonVerbatim", () => {
  it("gives the UTF-8 bytes of JSON.stringify's output, big base64 strings and non-ASCII text included", () => {
    const values = [
      modelTurn(),
      { unicode: "é€😀".repeat(700), data: base64(5000), quoted: `"${"q".repeat(2000)}"`, list: [base64(1200), "ü", { nested: base64(1500) }] },
      [base64(1500)],
      base64(3000),
      {},
      null,
      "plain",
    ];
    for (const value of values) expect(encodeJsonVerbatim(value).equals(Buffer.from(JSON.stringify(value), "utf8"))).toBe(true);
  });

  it("refuses a value JSON has no form for", () => {
    expect(() => encodeJsonVerbatim(undefined)).toThrow(TypeError);
  });
});

describe("jsonByteLength", () => {
  it("is the UTF-8 length of JSON.stringify's output", () => {
    for (const value of [modelTurn(), { unicode: "é€😀".repeat(700), data: base64(5000) }, [base64(1200), "ü"], {}, null]) {
      expect(jsonByteLength(value)).toBe(Buffer.byteLength(JSON.stringify(value), "utf8"));
    }
  });
});
