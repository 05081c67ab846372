import "server-only";

import type { Part } from "@google/genai";
import { bytesBehindData } from "@/lib/gemini/base64";
import { buildUserParts, replayModelTurn } from "@/lib/gemini/request";
import { jsonByteLength } from "@/lib/json/verbatim";
import type { InputImageRole, ModelTurn, ReferenceImage } from "@/lib/gemini/types";
import type { OwnerId, Storage, Turn } from "@/lib/storage/types";
import { REQUEST_OVERHEAD_BYTES, requestSizeLevel, type RequestSizeEstimate } from "@/lib/studio/request-size";

/**
 * The size of the next request of a conversation, without reading its images.
 *
 * A request's JSON body holds every earlier succeeded turn again (lib/gemini/request.ts): the user's
 * content (prompt, role labels, references as base64) and the model's content exactly as received
 * (image as base64, thought signature). What one turn adds is fixed once it has succeeded, so the
 * runner measures it then, while the answer is still in memory, and keeps it on the outcome as
 * `replayBytes`; the estimate for a chain is a sum over its rows. Turns saved before that field
 * existed are measured once from storage (their model turn and references read back) and
 * remembered for the life of the process: a finished turn never changes.
 */

/** The turns measured from storage are remembered by id, up to this many (a few bytes each). */
const MAX_REMEMBERED = 50_000;

export interface SizedReference {
  mimeType: string;
  byteLength: number;
  role?: InputImageRole;
}

/** References whose bytes are in memory (a job's request), by size. */
export function sizedReferences(references: readonly ReferenceImage[]): SizedReference[] {
  return references.map((reference) => ({ mimeType: reference.mimeType, byteLength: reference.data.byteLength, ...(reference.role ? { role: reference.role } : {}) }));
}

export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

// Not Buffer.byteLength(JSON.stringify(…)): a model turn's signature and image would be read character by character (lib/json/verbatim.ts).
const jsonBytes = jsonByteLength;

const NO_BYTES = new Uint8Array(0);

/**
 * The user content as a request carries it. The parts are built by the request builder itself, with
 * empty image data, so labels and roles match exactly; base64 needs no JSON escaping, so each
 * image adds exactly its encoded length.
 */
export function userContentBytes(prompt: string, references: readonly SizedReference[]): number {
  const parts = buildUserParts(
    prompt,
    references.map((reference) => ({ mimeType: reference.mimeType, data: NO_BYTES, ...(reference.role ? { role: reference.role } : {}) })),
  );
  const images = references.reduce((sum, reference) => sum + base64Length(reference.byteLength), 0);
  // The comma between this content and the next one in `contents`.
  return jsonBytes({ role: "user", parts }) + images + 1;
}

/** The model content replayed verbatim; part by part, so no more than one part is a string at once. */
export function modelContentBytes(turn: ModelTurn): number {
  const content = replayModelTurn(turn);
  const parts = content.parts ?? [];
  const frame = jsonBytes({ role: "model", parts: [] });
  return frame + parts.reduce((sum, part) => sum + partBytes(part), 0) + Math.max(0, parts.length - 1) + 1;
}

/** A part's JSON size; an image encoded from its bytes when read is counted from their length, not encoded. */
function partBytes(part: Part): number {
  const inline = part.inlineData;
  const bytes = inline ? bytesBehindData(inline) : undefined;
  if (!inline || !bytes) return jsonBytes(part);
  // Same keys in the same order, data empty: its base64 goes between the quotes counted here.
  const emptied = Object.fromEntries(Object.keys(inline).map((key) => [key, key === "data" ? "" : inline[key as keyof typeof inline]]));
  return jsonBytes({ ...part, inlineData: emptied }) + base64Length(bytes.byteLength);
}

/**
 * What a succeeded turn adds to every later request of its conversation. A model turn without parts
 * is left out of the replay (the API refuses an empty content), and so is its prompt.
 */
export function replayBytesOf(turn: { prompt: string; references: readonly SizedReference[]; modelTurn: ModelTurn }): number {
  if (turn.modelTurn.parts.length === 0) return 0;
  return userContentBytes(turn.prompt, turn.references) + modelContentBytes(turn.modelTurn);
}

export interface RequestSizeEstimator {
  /**
   * The next request after the last turn of `chain` (root first), before its own prompt and
   * references, or with them when `next` is given.
   */
  estimate(ownerId: OwnerId, chain: readonly Turn[], next?: { prompt: string; references: readonly SizedReference[] }): Promise<RequestSizeEstimate>;
}

export function createRequestSizeEstimator(storage: Storage): RequestSizeEstimator {
  const remembered = new Map<string, number>();

  async function measure(ownerId: OwnerId, turn: Turn): Promise<number> {
    const known = remembered.get(turn.id);
    if (known !== undefined) return known;
    const references = await Promise.all(
      turn.request.references.map(async (reference): Promise<SizedReference> => {
        const stored = await storage.images.get(reference.hash);
        return { mimeType: reference.mimeType, byteLength: stored?.image.byteLength ?? 0, ...(reference.role ? { role: reference.role } : {}) };
      }),
    );
    // A turn whose answer is gone can't be replayed at all (the start fails on it); its prompt and
    // references are what is left to count.
    const modelTurn = await storage.modelTurns.get(ownerId, turn.id);
    const bytes = modelTurn ? replayBytesOf({ prompt: turn.request.prompt, references, modelTurn }) : userContentBytes(turn.request.prompt, references);
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value ?? "");
    remembered.set(turn.id, bytes);
    return bytes;
  }

  return {
    async estimate(ownerId, chain, next) {
      let bytes = REQUEST_OVERHEAD_BYTES;
      let replayedTurns = 0;
      for (const turn of chain) {
        // Only succeeded turns are replayed (lib/server/jobs/history.ts).
        if (turn.status !== "succeeded") continue;
        const stored = turn.outcome?.replayBytes;
        const added = typeof stored === "number" && Number.isFinite(stored) && stored >= 0 ? stored : await measure(ownerId, turn);
        if (added > 0) replayedTurns += 1;
        bytes += added;
      }
      if (next) bytes += userContentBytes(next.prompt, next.references);
      return { bytes, replayedTurns, level: requestSizeLevel(bytes) };
    },
  };
}

// The runner and the session view's action share one estimator per storage, so a turn measured for
// one is not measured again for the other.
const estimators = new WeakMap<Storage, RequestSizeEstimator>();

export function requestSizeEstimatorFor(storage: Storage): RequestSizeEstimator {
  let estimator = estimators.get(storage);
  if (!estimator) {
    estimator = createRequestSizeEstimator(storage);
    estimators.set(storage, estimator);
  }
  return estimator;
}
