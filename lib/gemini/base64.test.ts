import { describe, expect, it } from "vitest";
import { isCanonicalBase64, withDataFromBytes } from "./base64";

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
  });
});
