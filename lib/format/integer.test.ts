import { describe, expect, it } from "vitest";
import { formatInteger } from "./integer";

describe("formatInteger", () => {
  it("writes what toLocaleString('en-US') writes for integers", () => {
    const values = [0, 7, 42, 999, 1_000, 12_345, 100_000, 999_999, 1_000_000, 65_536, 123_456_789, Number.MAX_SAFE_INTEGER, -1, -1_000, -123_456];
    for (const value of values) expect(formatInteger(value)).toBe(value.toLocaleString("en-US"));
  });

  it("leaves other numbers to Intl", () => {
    expect(formatInteger(1234.5678)).toBe((1234.5678).toLocaleString("en-US"));
    expect(formatInteger(Number.NaN)).toBe("NaN");
  });
});
