import { describe, expect, it } from "vitest";
import { distinguishingSuffixes } from "./session-titles";

describe("distinguishingSuffixes", () => {
  it("names the words where alike titles start to differ", () => {
    const suffixes = distinguishingSuffixes([
      { id: "a", title: "A photorealistic portrait of an old fisherman at dawn" },
      { id: "b", title: "A photorealistic portrait of a young fisherman" },
      { id: "c", title: "A cat" },
    ]);
    expect(suffixes.get("a")).toBe("…an old fisherman at");
    expect(suffixes.get("b")).toBe("…a young fisherman");
    expect(suffixes.has("c")).toBe(false);
  });

  it("leaves titles alone that share only a short opening, or are the same", () => {
    const suffixes = distinguishingSuffixes([
      { id: "a", title: "A red kite" },
      { id: "b", title: "A red balloon" },
      { id: "c", title: "Same title here" },
      { id: "d", title: "same title here" },
    ]);
    expect(suffixes.size).toBe(0);
  });
});
