import { describe, expect, it } from "vitest";
import { extensionForMimeType, fileTimestamp, outputFileName, outputKind, promptSlug } from "./file-names";

describe("output file names", () => {
  const at = new Date(2026, 10, 22, 9, 5, 7);

  it("follows gen-{slug}-{timestamp} with the real extension", () => {
    expect(
      outputFileName({ kind: "gen", prompt: "A majestic mountain at sunrise, photorealistic", at, mimeType: "image/jpeg" }),
    ).toBe("gen-a-majestic-mountain-at-sunrise-20261122-090507.jpg");
    expect(outputFileName({ kind: "edit", prompt: "Make the sky purple", at, mimeType: "image/png" })).toBe(
      "edit-make-the-sky-purple-20261122-090507.png",
    );
  });

  it("numbers the second and later images of one response", () => {
    expect(outputFileName({ kind: "search", prompt: "weather in Paris", at, mimeType: "image/webp", index: 1 })).toBe(
      "search-weather-in-paris-20261122-090507-2.webp",
    );
  });

  it("makes a safe slug from any prompt", () => {
    expect(promptSlug("Café « crème » à Paris!!")).toBe("cafe-creme-a-paris");
    expect(promptSlug("   ")).toBe("image");
    expect(promptSlug("日本の風景")).toBe("image");
    expect(promptSlug("../../etc/passwd")).toBe("etc-passwd");
    expect(promptSlug("a".repeat(200))).toHaveLength(48);
    expect(promptSlug("draw [[fault:429]] a cat")).toBe("draw-a-cat");
  });

  it("formats the timestamp as YYYYMMDD-HHMMSS", () => {
    expect(fileTimestamp(new Date(2026, 0, 2, 3, 4, 5))).toBe("20260102-030405");
  });

  it("picks the kind from what the request used", () => {
    expect(outputKind({ hasReferences: false, hasHistory: false, grounded: false })).toBe("gen");
    expect(outputKind({ hasReferences: true, hasHistory: false, grounded: false })).toBe("edit");
    expect(outputKind({ hasReferences: false, hasHistory: true, grounded: false })).toBe("edit");
    expect(outputKind({ hasReferences: true, hasHistory: false, grounded: true })).toBe("search");
  });

  it("maps mime types to extensions", () => {
    expect(extensionForMimeType("IMAGE/JPEG")).toBe("jpg");
    expect(extensionForMimeType("application/octet-stream")).toBe("bin");
  });
});
