import "server-only";

import path from "node:path";
import type { GenerationOutcome, Thought } from "@/lib/gemini/types";
import { sniffImageType } from "@/lib/images/sniff";
import { contentHash, type StoredImage } from "@/lib/storage/image-store";
import type { KnownInlineImages, Storage, StoredImageRef, StoredThought, TurnOutcome } from "@/lib/storage/types";
import { outputFileName, outputKind } from "@/lib/studio/file-names";

/** A generation's images, thoughts and final outcome, as they go into storage (images by hash). */
export function createOutcomeStore(storage: Storage) {
  // Image bytes this runner has put or is putting, by identity. The outcome a generation ends with
  // holds the very arrays its image and thought events carried, so saving it joins the write that
  // began while it streamed instead of hashing and writing every image again.
  const puts = new WeakMap<Uint8Array, Promise<StoredImage>>();
  const hashes = new WeakMap<Uint8Array, string>();

  function hashOf(bytes: Uint8Array): string {
    let hash = hashes.get(bytes);
    if (hash === undefined) {
      hash = contentHash(bytes);
      hashes.set(bytes, hash);
    }
    return hash;
  }

  function putImage(bytes: Uint8Array): Promise<StoredImage> {
    let put = puts.get(bytes);
    if (!put) {
      const started = storage.images.put(bytes, { sha256: hashOf(bytes) });
      puts.set(bytes, started);
      // A write that failed is tried again by the next caller rather than failing it too.
      started.catch(() => {
        if (puts.get(bytes) === started) puts.delete(bytes);
      });
      put = started;
    }
    return put;
  }

  /**
   * The model turn's inline images by part index, with the hash they are stored under. Known from
   * their bytes at once, so the model turn can be written while they are: the caller stores the
   * outcome (storeOutcome, which puts every one of them) alongside, and counts neither saved until
   * both are.
   */
  function knownInlineImages(outcome: GenerationOutcome): KnownInlineImages {
    const known = new Map<number, { hash: string; byteLength: number }>();
    for (const image of [...outcome.images, ...outcome.thoughts]) {
      if (!("data" in image) || image.partIndex === undefined) continue;
      known.set(image.partIndex, { hash: hashOf(image.data), byteLength: image.data.byteLength });
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
      // The named copy is begun beside the image's put (which may have begun as the image
      // streamed), not after it: a bucket writes both at once (ImageStore.exportAs).
      const stored = putImage(image.data);
      const mimeType = naming ? sniffImageType(image.data) : null;
      const exported =
        naming && mimeType
          ? storage.images.exportAs(hashOf(image.data), outputFileName({ ...naming, mimeType, index }), { bytes: image.data, stored })
          : null;
      const [ref, location] = await Promise.all([storeImage(image), exported]);
      if (location !== null) ref.fileName = path.basename(location);
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
