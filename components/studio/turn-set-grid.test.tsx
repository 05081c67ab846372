import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { findModel, type ModelProfile } from "@/lib/gemini/catalog";
import type { Turn, TurnCost } from "@/lib/storage/types";
import { defaultSettings } from "@/lib/studio/model-switch";
import { TurnSetGrid } from "./turn-set-grid";

// Server markup only: the cell's cost line as a reader sees it, "Cost" followed by its value.

const profile = findModel("gemini-3.1-flash-image") as ModelProfile;
const settings = defaultSettings(profile);
const at = "2026-12-01T00:00:00.000Z";

function turn(id: string, cost: TurnCost | undefined): Turn {
  return {
    id,
    sessionId: "s1",
    ownerId: "local",
    parentId: null,
    createdAt: at,
    updatedAt: at,
    status: "failed",
    request: { prompt: "a banana", references: [], settings },
    outcome: null,
    error: { code: "internal", message: "It broke.", action: "Retry.", retryable: true },
    attempts: 1,
    ...(cost ? { cost } : {}),
  };
}

const unreported: TurnCost = { model: settings.model, status: "not_reported", microUsd: null, unpriced: [], pricesReadOn: null, billedAt: at };

function costs(turns: Turn[]): string[] {
  const noop = () => {};
  const markup = renderToStaticMarkup(
    <TurnSetGrid turns={turns} numbers={new Map()} live={{}} now={Date.parse(at)} models={[profile]} onContinue={noop} onCancel={noop} onRetry={noop} onOpen={noop} onClose={noop} />,
  );
  return [...markup.matchAll(/<dt>([^<]*)<\/dt><dd data-testid="cell-cost"[^>]*>([^<]*)<\/dd>/g)].map((match) => `${match[1]} ${match[2]}`);
}

describe("TurnSetGrid cost line", () => {
  it("reads as one phrase when Google reported no usage, with no doubled word", () => {
    const [line] = costs([turn("t1", unreported), turn("t2", unreported)]);
    expect(line).toBe("Cost not reported by Google");
    expect(line).not.toMatch(/\b(\w+) \1\b/i);
  });

  it("says the studio has no prices for a model it doesn't know, rather than blaming Google", () => {
    const [line] = costs([turn("t1", { ...unreported, model: "gemini-9-image", status: "unknown_model" })]);
    expect(line).toBe("Cost no prices known for gemini-9-image");
  });
});
