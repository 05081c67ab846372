import "server-only";

import path from "node:path";
import type { GenerationOutcome, Thought } from "@/lib/gemini/types";
import type { StoredImage } from "@/lib/storage/image-store";
import type { KnownInlineImages, Storage, StoredImageRef, StoredThought, TurnOutcome } from "@/lib/storage/types";
import { outputFileName, outputKind } from "@/lib/studio/file-names";

/** A generation's images, thoughts and final outcome, as they go into storage (images by hash). */
export function createOutcomeStore(storage: Storage) {
  // Image bytes this runner has put, by identity. The outcome a generation ends with holds the very
  // arrays its image and thought events carried, so saving it reuses what was stored while it
  // streamed instead of hashing (and, for the model turn, decoding) every image again.
  const storedBytes = new WeakMap<Uint8Array, StoredImage>();

  async function putImage(bytes: Uint8Array): Promise<StoredImage> {
    const known = storedBytes.get(bytes);
    if (known) return known;
    const stored = await storage.images.put(bytes);
    storedBytes.set(bytes, stored);
    return stored;
  }

  /** The model turn's inline images that are already in the image store, by part index. */
  function knownInlineImages(outcome: GenerationOutcome): KnownInlineImages {
    const known = new Map<number, { hash: string; byteLength: number }>();
    for (const image of [...outcome.images, ...outcome.thoughts]) {
      if (!("data" in image) || image.partIndex === undefined) continue;
      const stored = storedBytes.get(image.data);
      if (stored) known.set(image.partIndex, { hash: stored.hash, byteLength: stored.byteLength });
    }
    return known;
  }

  async function storeThought(thought: Thought): Promise<StoredThought> {
    if (thought.kind === "text") return { kind: "text", text: thought.text, at: thought.at };
    const stored = await putImage(thought.data);
    return { kind: "image", hash: stored.hash, mimeType: stored.mimeType, width: thought.width, height: thought.height, at: thought.at };
  }

  async function storeImage(image: GenerationOutcome["images"][number]): Promise<StoredImageRef> {
    const stored = await putImage(image.data);
    return {
      hash: stored.hash,
      mimeType: stored.mimeType,
      width: image.width,
      height: image.height,
      fileName: null,
      requested: image.requested,
      sizeMismatch: image.sizeMismatch,
    };
  }

  async function storeOutcome(
    outcome: GenerationOutcome,
    naming: { prompt: string; kind: ReturnType<typeof outputKind>; at: Date } | null,
  ): Promise<TurnOutcome> {
    const images: StoredImageRef[] = [];
    for (const [index, image] of outcome.images.entries()) {
      const ref = await storeImage(image);
      if (naming) {
        const name = outputFileName({ kind: naming.kind, prompt: naming.prompt, at: naming.at, mimeType: ref.mimeType, index });
        ref.fileName = path.basename(await storage.images.exportAs(ref.hash, name));
      }
      images.push(ref);
    }
    const thoughts: StoredThought[] = [];
    for (const thought of outcome.thoughts) thoughts.push(await storeThought(thought));
    return {
      images,
      thoughts,
      text: outcome.text,
      grounding: outcome.grounding,
      usage: outcome.usage,
      finishReason: outcome.finishReason,
      finishMessage: outcome.finishMessage ?? null,
      blockReason: outcome.blockReason,
      modelVersion: outcome.modelVersion,
      responseId: outcome.responseId,
      warnings: outcome.warnings,
    };
  }

  return { storeThought, storeImage, storeOutcome, knownInlineImages };
}
