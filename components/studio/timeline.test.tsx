import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { findModel } from "@/lib/gemini/catalog";
import type { Turn } from "@/lib/storage/types";
import { defaultSettings } from "@/lib/studio/model-switch";
import { summarizeTurn } from "@/lib/studio/turn-summary";
import { buildTurnTree, numberTurns, visiblePath } from "@/lib/studio/turn-tree";
import { Timeline } from "./timeline";

// Server markup only (the unit tests run without a DOM): what the page opens with before the
// viewport is known. Scrolling, measuring and the keyboard run in e2e/timeline.spec.ts.

// The studio's defaults for Nano Banana 2: 1K, 1:1, thinking minimal.
const settings = defaultSettings(findModel("gemini-3.1-flash-image") ?? undefined);

function chain(count: number): Turn[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `t${index + 1}`,
    sessionId: "s1",
    ownerId: "local",
    parentId: index === 0 ? null : `t${index}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
    status: "succeeded",
    request: { prompt: `Prompt ${index + 1}`, references: [], settings },
    outcome: null,
    error: null,
    attempts: 1,
  }));
}

function render(turns: Turn[], selectedId: string | null) {
  const tree = buildTurnTree(turns.map(summarizeTurn));
  const path = visiblePath(tree, selectedId);
  return renderToStaticMarkup(<Timeline tree={tree} path={path} numbers={numberTurns(turns)} selectedId={selectedId ?? path.at(-1)?.id ?? null} onSelect={() => {}} />);
}

function rows(markup: string): string[] {
  return [...markup.matchAll(/<li [^>]*>/g)].map((match) => match[0]);
}

describe("Timeline", () => {
  it("renders the rows around the newest turn of a long session, each with its place in the whole list", () => {
    const markup = render(chain(500), null);
    const rendered = rows(markup);
    expect(rendered.length).toBeLessThan(30);
    expect(rendered.at(-1)).toContain('data-turn-id="t500"');
    expect(rendered.at(-1)).toContain('data-selected="true"');
    expect(rendered.at(-1)).toContain('aria-setsize="500"');
    expect(rendered.at(-1)).toContain('aria-posinset="500"');
    expect(markup).toMatch(/<ol aria-label="Timeline" data-testid="timeline"/);
    expect(markup).toContain('aria-current="step"');
  });

  it("renders the rows around a selected turn in the middle", () => {
    const rendered = rows(render(chain(500), "t250"));
    expect(rendered.some((row) => row.includes('data-turn-id="t250"') && row.includes('data-selected="true"'))).toBe(true);
    expect(rendered.some((row) => row.includes('aria-posinset="1"'))).toBe(false);
    expect(rendered.length).toBeLessThan(30);
  });

  it("renders every row of a short session", () => {
    expect(rows(render(chain(3), null))).toHaveLength(3);
  });

  it("says there are no turns yet", () => {
    expect(render([], null)).toContain("No turns yet");
  });
});
