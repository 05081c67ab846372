import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { CompareView } from "./compare-view";

// Server markup only (the unit tests run without a DOM); the interaction (drag, keys, Esc, focus)
// runs in e2e/widgets.spec.ts and e2e/timeline.spec.ts.

// A portal needs a document to render into: here the dialog renders in place instead.
vi.mock("@radix-ui/react-dialog", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@radix-ui/react-dialog")>()),
  Portal: ({ children }: { children: React.ReactNode }) => children,
}));

const left = { url: "/api/images/aaa", label: "Turn 1 · A fox", width: 1376, height: 768 };
const right = { url: "/api/images/bbb", label: "Turn 2 · Make it night", width: 1376, height: 768 };

function tag(markup: string, testId: string): string {
  return new RegExp(`<[a-z0-9]+[^>]*data-testid="${testId}"[^>]*>`).exec(markup)?.[0] ?? "";
}

describe("CompareView", () => {
  it("opens side by side as a labelled modal dialog with both images", () => {
    const markup = renderToStaticMarkup(<CompareView left={left} right={right} onClose={() => {}} />);
    expect(tag(markup, "compare-view")).toMatch(/role="dialog"/);
    expect(markup).toMatch(/<h2 [^>]*>Compare versions<\/h2>/);
    expect(tag(markup, "compare-mode-side")).toMatch(/aria-selected="true"/);
    expect(tag(markup, "compare-mode-slider")).toMatch(/aria-selected="false"/);
    expect(tag(markup, "compare-left")).toContain('src="/api/images/aaa"');
    expect(tag(markup, "compare-right")).toContain('src="/api/images/bbb"');
    expect(tag(markup, "compare-close")).toContain('aria-label="Close comparison"');
    expect(markup).not.toContain('data-testid="compare-slider"');
  });

  it("starts the slider centered, as an accessible slider", () => {
    const markup = renderToStaticMarkup(<CompareView left={left} right={right} onClose={() => {}} initialMode="slider" />);
    const slider = tag(markup, "compare-slider");
    expect(slider).toMatch(/role="slider"/);
    expect(slider).toMatch(/tabindex="0"/);
    expect(slider).toMatch(/aria-valuemin="0"/);
    expect(slider).toMatch(/aria-valuemax="100"/);
    expect(slider).toMatch(/aria-valuenow="50"/);
    expect(tag(markup, "compare-left")).toContain("clip-path:inset(0 50% 0 0)");
    expect(tag(markup, "compare-right")).toContain("clip-path:inset(0 0 0 50%)");
  });
});
