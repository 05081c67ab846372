import "server-only";

import { bytesBehindData, isCanonicalBase64 } from "@/lib/gemini/base64";
import type { ModelTurn, StoredPart } from "@/lib/gemini/types";
import { sniffImageType } from "@/lib/images/sniff";
import type { ImageStore } from "./image-store";
import { StorageError, type KnownInlineImages } from "./types";

/**
 * How a model turn is saved, whatever holds it (a file beside SQLite, a row in PostgreSQL).
 *
 * Image parts are big (the final image, again, as base64), and their bytes are already in the
 * ImageStore. So a part's `inlineData.data` is stored as "" plus the content hash, and put back on
 * read. That is only done when re-encoding the decoded bytes gives the identical string and the
 * bytes are an image the store accepts; anything else stays inline. When the caller already stored
 * a part's image (the job did, as it streamed), its hash is taken as given and only cheap checks
 * that the string is canonical base64 remain. The rest of the part (unknown fields, key order,
 * part order, the signature) is the JSON the service sent, untouched, so the turn reads back byte
 * for byte as it was put, and replays with valid signatures.
 */

export const MODEL_TURN_FORMAT = 1;

export interface SavedModelTurn {
  format: typeof MODEL_TURN_FORMAT;
  turn: ModelTurn;
  /** [part index, content hash] for each part whose inline data lives in the ImageStore. */
  external: Array<[number, string]>;
}

export async function externalizeModelTurn(images: ImageStore, turn: ModelTurn, known: KnownInlineImages | undefined): Promise<SavedModelTurn> {
  const external: Array<[number, string]> = [];
  const parts = await Promise.all(
    turn.parts.map(async (part, index): Promise<StoredPart> => {
      const inline = part.inlineData;
      if (!inline) return part;
      const given = known?.get(index);
      let hash: string;
      if (given && bytesBehindData(inline)?.byteLength === given.byteLength) {
        // Encoded from its bytes when read (lib/gemini/base64.ts withDataFromBytes), and canonical
        // when it was parsed: nothing to encode or check.
        hash = given.hash;
      } else {
        // Read once: the data may be encoded on every read.
        const data = inline.data;
        if (data === "") return part;
        if (given && isCanonicalBase64(data, given.byteLength)) {
          hash = given.hash;
        } else {
          const bytes = Buffer.from(data, "base64");
          if (bytes.toString("base64") !== data || !sniffImageType(bytes)) return part;
          hash = (await images.put(bytes)).hash;
        }
      }
      external.push([index, hash]);
      // Every key stays where it was; only the value of `data` changes (and it is not read again).
      const emptied = Object.fromEntries(Object.keys(inline).map((key) => [key, key === "data" ? "" : inline[key]]));
      return { ...part, inlineData: emptied as typeof inline };
    }),
  );
  external.sort((a, b) => a[0] - b[0]);
  return { format: MODEL_TURN_FORMAT, turn: { ...turn, parts }, external };
}

/** Parses what externalizeModelTurn saved (as JSON) and puts the image bytes back; `where` names it in errors. */
export async function inflateModelTurn(images: ImageStore, json: string, where: string): Promise<ModelTurn> {
  let saved: SavedModelTurn;
  try {
    saved = JSON.parse(json) as SavedModelTurn;
  } catch (error) {
    throw new StorageError("storage_failed", `${where} is not valid JSON.`, { cause: error });
  }
  if (saved.format !== MODEL_TURN_FORMAT || !Array.isArray(saved.turn?.parts)) {
    throw new StorageError("storage_failed", `${where} is not a model turn this version can read.`);
  }
  for (const [index, hash] of saved.external) {
    const inline = saved.turn.parts[index]?.inlineData;
    const stored = await images.get(hash);
    if (!inline || !stored) {
      throw new StorageError("storage_failed", `The saved model reply ${where} names an image that is missing from the image store.`);
    }
    inline.data = stored.bytes.toString("base64");
  }
  return saved.turn;
}
