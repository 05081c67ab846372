import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesBehindData, decodeCanonicalBase64, isCanonicalBase64, withDataFromBytes } from "./base64";

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

describe("decodeCanonicalBase64", () => {
  /** `text` between other bytes, as it sits in an event; decoded from its range. */
  const decodeWithin = (text: string) => {
    const bytes = Buffer.from(`{"data":"${text}"}`, "latin1");
    const start = '{"data":"'.length;
    return decodeCanonicalBase64(bytes, start, start + text.length);
  };

  it("gives the bytes Buffer decodes, for every padding and across its pieces", () => {
    for (const length of [1, 2, 3, 4, 100, 72 * 1024 + 1, 72 * 1024 + 2, 300_001]) {
      const bytes = randomBytes(length);
      const decoded = decodeWithin(bytes.toString("base64"));
      expect(decoded?.equals(bytes), `length ${length}`).toBe(true);
    }
  });

  it("refuses what is not canonical base64, as isCanonicalBase64 does", () => {
    const bytes = randomBytes(200_000);
    const text = bytes.toString("base64");
    const cases = {
      urlSafe: bytes.toString("base64url").padEnd(text.length, "="),
      outsideTheAlphabet: `${text.slice(0, 150_000)}!${text.slice(150_001)}`,
      space: `${text.slice(0, 4)} ${text.slice(5)}`,
      earlyPadding: `${text.slice(0, 8)}=${text.slice(9)}`,
      notAMultipleOfFour: text.slice(0, -1),
      nonZeroPaddingBits: Buffer.from([1]).toString("base64").replace("Q", "R"),
      nonAscii: `${text.slice(0, 100)}é${text.slice(101)}`,
      empty: "",
    };
    for (const [name, value] of Object.entries(cases)) {
      expect(decodeWithin(value), name).toBeNull();
    }
    expect(isCanonicalBase64(cases.nonZeroPaddingBits, 1)).toBe(false);
  });
});
