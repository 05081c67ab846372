import { describe, expect, it } from "vitest";
import { findChromium, INSTALL_HINT } from "./chromium";

describe("findChromium", () => {
  it("uses PLAYWRIGHT_CHROMIUM_PATH when it exists", () => {
    expect(findChromium({ ...process.env, PLAYWRIGHT_CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
  });

  it("fails at once with the install command when the configured path is missing", () => {
    expect(() => findChromium({ ...process.env, PLAYWRIGHT_CHROMIUM_PATH: "/nowhere/chromium" })).toThrow(/apt-get install -y chromium/);
  });

  it("names the one command that installs a browser", () => {
    expect(INSTALL_HINT).toContain("sudo apt-get install -y chromium");
  });
});
