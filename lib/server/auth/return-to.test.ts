import { describe, expect, it } from "vitest";
import { safeReturnTo, withReturnTo } from "./return-to";

describe("safeReturnTo", () => {
  it("keeps a path on this studio with its query and hash", () => {
    expect(safeReturnTo("/s/abc?turn=t1")).toBe("/s/abc?turn=t1");
    expect(safeReturnTo("/library#top")).toBe("/library#top");
    expect(safeReturnTo("/usage")).toBe("/usage");
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["another origin", "https://evil.example/"],
    ["protocol-relative", "//evil.example/path"],
    ["backslash", "/\\evil.example"],
    ["tab inside", "/\t/evil.example"],
    ["newline", "/s/x\nSet-Cookie: a=b"],
    ["javascript URL", "javascript:alert(1)"],
    ["relative", "s/abc"],
    ["the sign-in page", "/sign-in?next=/x"],
    ["offline sign-in", "/sign-in/local"],
    ["an API route", "/api/auth/sign-out"],
    ["too long", `/${"a".repeat(3_000)}`],
  ])("sends %s to the home page", (_name, value) => {
    expect(safeReturnTo(value)).toBe("/");
  });
});

describe("withReturnTo", () => {
  it("adds next= only for a page other than home", () => {
    expect(withReturnTo("/sign-in", "/s/abc?turn=t1")).toBe("/sign-in?next=%2Fs%2Fabc%3Fturn%3Dt1");
    expect(withReturnTo("/sign-in", "/")).toBe("/sign-in");
    expect(withReturnTo("/sign-in", "//evil.example")).toBe("/sign-in");
    expect(withReturnTo("/sign-in", null)).toBe("/sign-in");
  });
});
