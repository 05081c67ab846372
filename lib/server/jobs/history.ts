import "server-only";

import { createStudioError } from "@/lib/gemini/errors";
import type { HistoryTurn, ReferenceImage, StudioError } from "@/lib/gemini/types";
import type { OwnerId, Storage, StoredReference, Turn } from "@/lib/storage/types";

/**
 * What a generation sends besides its own prompt: the earlier turns of its conversation (each with
 * its references and the model's answer exactly as received) and the reference images, read back
 * from storage.
 */

/** A failure with the copy to record on the turn. */
export class JobFailure extends Error {
  constructor(readonly error: StudioError) {
    super(error.message);
    this.name = "JobFailure";
  }
}

export function createHistoryBuilder(storage: Storage) {
  async function loadReferences(references: readonly StoredReference[]): Promise<ReferenceImage[]> {
    return Promise.all(
      references.map(async (reference) => {
        const stored = await storage.images.get(reference.hash);
        if (!stored) {
          throw new JobFailure(
            createStudioError("invalid_request", {
              message: "A reference image of this conversation is missing from the data directory.",
              action: "Add the image again and start a new turn.",
              detail: `Missing image ${reference.hash}`,
            }),
          );
        }
        const image: ReferenceImage = { mimeType: stored.image.mimeType, data: stored.bytes };
        if (reference.role) image.role = reference.role;
        if (reference.width !== null) image.width = reference.width;
        if (reference.height !== null) image.height = reference.height;
        return image;
      }),
    );
  }

  async function buildHistory(ownerId: OwnerId, chain: readonly Turn[]): Promise<HistoryTurn[]> {
    const history: HistoryTurn[] = [];
    for (const turn of chain) {
      // Only a finished answer can be replayed: a failed or cut-off reply may lack the part that
      // carries its thought signature, and Gemini would reject the whole request.
      if (turn.status !== "succeeded") continue;
      const modelTurn = await storage.modelTurns.get(ownerId, turn.id);
      if (!modelTurn) {
        throw new JobFailure(
          createStudioError("invalid_request", {
            message: "The model's earlier answer in this conversation is missing from the data directory.",
            action: "Start a new conversation from the image instead.",
            detail: `Missing model turn ${turn.id}`,
          }),
        );
      }
      history.push({ prompt: turn.request.prompt, references: await loadReferences(turn.request.references), modelTurn });
    }
    return history;
  }

  return { loadReferences, buildHistory };
}
