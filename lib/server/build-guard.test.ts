import { describe, expect, it } from "vitest";
import { assertKeyStaysOnServer } from "./build-guard";

describe("assertKeyStaysOnServer", () => {
  it("allows a key that only the server sees, and unrelated public variables", () => {
    expect(() => assertKeyStaysOnServer({ GEMINI_API_KEY: "AIza-secret-value", NEXT_PUBLIC_TITLE: "Studio" })).not.toThrow();
  });

  it("refuses a public variable named like the key, without printing its value", () => {
    expect(() => assertKeyStaysOnServer({ NEXT_PUBLIC_GEMINI_API_KEY: "AIza-secret-value" })).toThrow(/NEXT_PUBLIC_GEMINI_API_KEY/);
    try {
      assertKeyStaysOnServer({ NEXT_PUBLIC_API_KEY: "AIza-secret-value" });
    } catch (error) {
      expect(String(error)).not.toContain("AIza-secret-value");
    }
  });

  it("refuses a public variable that carries the key's value under another name", () => {
    expect(() => assertKeyStaysOnServer({ GEMINI_API_KEY: "AIza-secret-value", NEXT_PUBLIC_CONFIG: '{"k":"AIza-secret-value"}' })).toThrow(
      /NEXT_PUBLIC_CONFIG/,
    );
  });
});
