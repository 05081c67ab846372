import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { staticModels } from "@/lib/gemini/catalog";
import { createComposerStore } from "./composer-store";

// The unit tests run in node, which has no localStorage: a Map stands in for the browser's.
let saved: Map<string, string>;

beforeEach(() => {
  saved = new Map();
  vi.stubGlobal("localStorage", {
    getItem: (key: string) => saved.get(key) ?? null,
    setItem: (key: string, value: string) => void saved.set(key, value),
    removeItem: (key: string) => void saved.delete(key),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const models = staticModels();

/** A new page's store (Generate on the home page moves to the session's page), read back from the browser. */
async function reopened() {
  const store = createComposerStore({ models, defaultModel: null });
  await store.persist.rehydrate();
  return store.getState();
}

describe("composer draft", () => {
  it("keeps the ×N choice with the batch choice when the page changes", async () => {
    const store = createComposerStore({ models, defaultModel: null });
    await store.persist.rehydrate();
    store.getState().setVariations(3);
    store.getState().setBatch(true);
    expect(await reopened()).toMatchObject({ variations: 3, batch: true });
  });

  it("falls back to ×1 for a saved count it can't use", async () => {
    for (const variations of [9, 0, 2.5, "3", null]) {
      saved.set("nano-banana-composer", JSON.stringify({ state: { prompt: "p", variations, batch: true }, version: 1 }));
      expect(await reopened()).toMatchObject({ prompt: "p", variations: 1, batch: true });
    }
  });
});
