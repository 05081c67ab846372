import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesBehindData, isCanonicalBase64, withDataFromBytes } from "./base64";

describe("withDataFromBytes", () => {
  const bytes = new Uint8Array(Buffer.from("not really a png, but bytes all the same"));
  const data = Buffer.from(bytes).toString("base64");
  const inline = { mimeType: "image/png", data, extra: { kept: true } };

  it("reads, spreads and serialises exactly as the plain object, keys in order", () => {
    const lazy = withDataFromBytes(inline, bytes);
    expect(isCanonicalBase64(data, bytes.byteLength)).toBe(true);
    expect(lazy.data).toBe(data);
    expect(Object.keys(lazy)).toEqual(["mimeType", "data", "extra"]);
    expect(JSON.stringify(lazy)).toBe(JSON.stringify(inline));
    expect({ ...lazy }).toEqual(inline);
    expect(structuredClone(lazy)).toEqual(inline);
  });

  it("holds a value assigned to data", () => {
    const lazy = withDataFromBytes(inline, bytes);
    lazy.data = "";
    expect(lazy.data).toBe("");
    expect(JSON.stringify(lazy)).toBe(JSON.stringify({ ...inline, data: "" }));
    expect(bytesBehindData(lazy)).toBeUndefined();
  });

  it("tells which bytes stand behind data, and only for its own copies", () => {
    expect(bytesBehindData(withDataFromBytes(inline, bytes))).toBe(bytes);
    expect(bytesBehindData(inline)).toBeUndefined();
    expect(bytesBehindData({ ...withDataFromBytes(inline, bytes) })).toBeUndefined();
  });
});

describe("isCanonicalBase64", () => {
  it("accepts what Buffer encodes, for every padding", () => {
    for (const size of [1, 2, 3, 4, 5, 6, 1_000, 1_001, 1_002]) {
      const bytes = randomBytes(size);
      expect(isCanonicalBase64(bytes.toString("base64"), size)).toBe(true);
    }
  });

  it("refuses strings that decode to the same bytes but are not their encoding", () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x41]);
    const data = bytes.toString("base64");
    expect(data).toBe("+/+/QQ==");
    expect(isCanonicalBase64("-_-_QQ==", 4)).toBe(false);
    // Non-zero padding bits: "QR==" decodes to "A" as "QQ==" does.
    expect(Buffer.from("+/+/QR==", "base64").equals(bytes)).toBe(true);
    expect(isCanonicalBase64("+/+/QR==", 4)).toBe(false);
    // Missing padding, and characters the decoder skips.
    expect(isCanonicalBase64("+/+/QQ", 4)).toBe(false);
    expect(isCanonicalBase64("+/+/\nQQ==", 4)).toBe(false);
    expect(isCanonicalBase64("+/+/QQ=A", 4)).toBe(false);
    expect(isCanonicalBase64("QQ==+/+/", 4)).toBe(false);
    // A hint whose length does not fit the data.
    expect(isCanonicalBase64(data, 5)).toBe(false);
    expect(isCanonicalBase64(data, 3)).toBe(false);
  });
});
