import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { LocalTime, formatUtc } from "./local-time";

describe("LocalTime", () => {
  it("renders the same UTC text on the server whatever the process's time zone", () => {
    const before = process.env.TZ;
    const rendered = ["UTC", "Asia/Tokyo", "America/Los_Angeles"].map((zone) => {
      process.env.TZ = zone;
      return renderToString(<LocalTime iso="2026-12-07T23:04:43.000Z" />);
    });
    process.env.TZ = before;
    expect(new Set(rendered).size).toBe(1);
    expect(rendered[0]).toBe('<time dateTime="2026-12-07T23:04:43.000Z">7 Dec 2026, 23:04 UTC</time>');
  });

  it("renders nothing for a time it cannot read", () => {
    expect(renderToString(<LocalTime iso="not a date" />)).toBe("");
  });

  it("pads hours and minutes", () => {
    expect(formatUtc(new Date("2027-01-05T03:07:00Z"))).toBe("5 Jan 2027, 03:07 UTC");
  });
});
