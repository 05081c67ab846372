import { describe, expect, it } from "vitest";
import {
  GEMINI_REQUEST_LIMIT_BYTES,
  MB,
  REFUSE_REQUEST_BYTES,
  WARN_REQUEST_BYTES,
  CONTINUE_IN_NEW_SESSION,
  formatRequestSize,
  requestSizeLevel,
  tooLargeReason,
  turnsThatFit,
} from "./request-size";

describe("request size thresholds", () => {
  it("counts Google's limit in 2^20-byte megabytes, as its error names it", () => {
    expect(GEMINI_REQUEST_LIMIT_BYTES).toBe(104_857_600);
    expect(WARN_REQUEST_BYTES).toBe(50 * MB);
    expect(REFUSE_REQUEST_BYTES).toBeLessThan(GEMINI_REQUEST_LIMIT_BYTES);
    expect(GEMINI_REQUEST_LIMIT_BYTES - REFUSE_REQUEST_BYTES).toBe(MB);
  });

  it("warns above 50 MB and refuses above 99 MB, each boundary itself on the lower side", () => {
    expect(requestSizeLevel(0)).toBe("ok");
    expect(requestSizeLevel(WARN_REQUEST_BYTES)).toBe("ok");
    expect(requestSizeLevel(WARN_REQUEST_BYTES + 1)).toBe("warn");
    expect(requestSizeLevel(REFUSE_REQUEST_BYTES)).toBe("warn");
    expect(requestSizeLevel(REFUSE_REQUEST_BYTES + 1)).toBe("refuse");
    expect(requestSizeLevel(GEMINI_REQUEST_LIMIT_BYTES * 3)).toBe("refuse");
  });

  it("throws on a size that is not a number of bytes", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => requestSizeLevel(bad)).toThrow(RangeError);
      expect(() => formatRequestSize(bad)).toThrow(RangeError);
    }
  });
});

describe("formatRequestSize", () => {
  it("shows one decimal, so a size just past a threshold never reads as the threshold", () => {
    expect(formatRequestSize(0)).toBe("0.0 MB");
    expect(formatRequestSize(1.7 * MB)).toBe("1.7 MB");
    expect(formatRequestSize(REFUSE_REQUEST_BYTES + 0.4 * MB)).toBe("99.4 MB");
    expect(formatRequestSize(GEMINI_REQUEST_LIMIT_BYTES)).toBe("100.0 MB");
  });
});

describe("turnsThatFit", () => {
  it("divides the room left by the average turn so far", () => {
    // 30 turns of 2 MB: 60 MB used, 39 MB left before the refusal, 19 more turns.
    expect(turnsThatFit(60 * MB, 30)).toBe(19);
    expect(turnsThatFit(REFUSE_REQUEST_BYTES, 10)).toBe(0);
    expect(turnsThatFit(REFUSE_REQUEST_BYTES + MB, 10)).toBe(0);
  });

  it("has nothing to say without an earlier turn, and refuses a broken count", () => {
    expect(turnsThatFit(60 * MB, 0)).toBeNull();
    expect(turnsThatFit(0, 3)).toBeNull();
    expect(() => turnsThatFit(MB, 1.5)).toThrow(RangeError);
    expect(() => turnsThatFit(MB, -1)).toThrow(RangeError);
  });
});

describe("tooLargeReason", () => {
  it("offers a new session from the image when earlier turns make the request large", () => {
    expect(tooLargeReason(120 * MB, 40)).toEqual({
      message: "The next request would be about 120.0 MB, over the 100 MB Google accepts in one request: every turn sends each earlier image and its signature again.",
      action: `${CONTINUE_IN_NEW_SESSION}.`,
    });
    // Between the refusal and Google's limit it is not "over" yet.
    expect(tooLargeReason(REFUSE_REQUEST_BYTES + 1, 40).message).toMatch(/^The next request would be about 99\.0 MB, too close to the 100 MB/);
  });

  it("names the references when there is no earlier turn to leave behind", () => {
    expect(tooLargeReason(101 * MB, 0)).toEqual({
      message: "This request would be about 101.0 MB, over the 100 MB Google accepts in one request.",
      action: "Remove some reference images, or use smaller ones.",
    });
  });
});
