import "server-only";

import { createStudioError } from "@/lib/gemini/errors";
import type { HistoryTurn, ReferenceImage, StudioError } from "@/lib/gemini/types";
import type { OwnerId, Storage, StoredReference, Turn } from "@/lib/storage/types";
import { createHistoryCache, type HistoryCache } from "./history-cache";

/**
 * What a generation sends besides its own prompt: the earlier turns of its conversation (each with
 * its references and the model's answer exactly as received) and the reference images, read back
 * from storage, through the cache of recent conversations (history-cache.ts) when one is given.
 */

/** A failure with the copy to record on the turn. */
export class JobFailure extends Error {
  constructor(readonly error: StudioError) {
    super(error.message);
    this.name = "JobFailure";
  }
}

export function createHistoryBuilder(storage: Storage, cache: HistoryCache = createHistoryCache({ maxBytes: 0 })) {
  async function loadReferences(references: readonly StoredReference[]): Promise<ReferenceImage[]> {
    return Promise.all(
      references.map(async (reference) => {
        const stored = await cache.image(reference.hash, async () => {
          const found = await storage.images.get(reference.hash);
          return found ? { mimeType: found.image.mimeType, bytes: found.bytes } : null;
        });
        if (!stored) {
          throw new JobFailure(
            createStudioError("invalid_request", {
              message: "A reference image of this conversation is missing from the data directory.",
              action: "Add the image again and start a new turn.",
              detail: `Missing image ${reference.hash}`,
            }),
          );
        }
        const image: ReferenceImage = { mimeType: stored.mimeType, data: stored.bytes };
        if (reference.role) image.role = reference.role;
        if (reference.width !== null) image.width = reference.width;
        if (reference.height !== null) image.height = reference.height;
        return image;
      }),
    );
  }

  async function buildHistory(ownerId: OwnerId, chain: readonly Turn[]): Promise<HistoryTurn[]> {
    // Only a finished answer can be replayed: a failed or cut-off reply may lack the part that
    // carries its thought signature, and Gemini would reject the whole request.
    const replayed = chain.filter((turn) => turn.status === "succeeded");
    // Read side by side: after a restart (or once evicted) every earlier turn comes from storage.
    return Promise.all(
      replayed.map(async (turn) => {
        const [modelTurn, references] = await Promise.all([
          cache.modelTurn(ownerId, turn.id, () => storage.modelTurns.get(ownerId, turn.id)),
          loadReferences(turn.request.references),
        ]);
        if (!modelTurn) {
          throw new JobFailure(
            createStudioError("invalid_request", {
              message: "The model's earlier answer in this conversation is missing from the data directory.",
              action: "Start a new conversation from the image instead.",
              detail: `Missing model turn ${turn.id}`,
            }),
          );
        }
        return { prompt: turn.request.prompt, references, modelTurn };
      }),
    );
  }

  return { loadReferences, buildHistory };
}
