import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ModelTurn } from "@/lib/gemini/types";
import { fakePng } from "../contract";
import { createFileImageStore, type ImageStore } from "../image-store";
import { createModelTurnFiles } from "./model-turn-files";

describe("model turn files with known images", () => {
  let dataDir: string;
  let puts: number;
  let images: ImageStore;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-model-turns-"));
    const store = createFileImageStore(dataDir);
    puts = 0;
    images = {
      ...store,
      put: async (bytes) => {
        puts += 1;
        return store.put(bytes);
      },
    };
  });

  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("takes the given hashes instead of decoding and storing the images again, and writes the same file", async () => {
    const thoughtBytes = fakePng(5_000);
    const finalBytes = fakePng(200_000);
    const thought = await images.put(thoughtBytes);
    const final = await images.put(finalBytes);
    const turn: ModelTurn = {
      parts: [
        { text: "sketch", thought: true },
        { inlineData: { mimeType: "image/png", data: thoughtBytes.toString("base64") }, thought: true },
        { inlineData: { mimeType: "image/png", data: finalBytes.toString("base64") }, thoughtSignature: randomBytes(600).toString("base64") },
      ],
    };
    const sent = JSON.stringify(turn);
    const files = createModelTurnFiles(dataDir, images);
    const file = (turnId: string) => fs.readFile(path.join(dataDir, "model-turns", "owner", `${turnId}.json`), "utf8");

    puts = 0;
    await files.write("owner", "without", turn);
    expect(puts).toBe(2);

    puts = 0;
    const known = new Map([
      [1, { hash: thought.hash, byteLength: thought.byteLength }],
      [2, { hash: final.hash, byteLength: final.byteLength }],
    ]);
    await files.write("owner", "with", turn, known);
    expect(puts).toBe(0);

    expect(await file("with")).toBe(await file("without"));
    expect(JSON.stringify(await files.read("owner", "with"))).toBe(sent);
    expect(JSON.stringify(turn)).toBe(sent);
  });

  it("falls back to decoding a part whose hint does not fit its data", async () => {
    const bytes = fakePng(3_000);
    const stored = await images.put(bytes);
    const data = bytes.toString("base64url");
    const turn: ModelTurn = { parts: [{ inlineData: { mimeType: "image/png", data } }] };
    const files = createModelTurnFiles(dataDir, images);
    puts = 0;
    await files.write("owner", "turn", turn, new Map([[0, { hash: stored.hash, byteLength: stored.byteLength }]]));
    // Not canonical, so it stays inline as today, without a put.
    expect(puts).toBe(0);
    expect(await files.read("owner", "turn")).toEqual(turn);
  });
});
