import "server-only";

import { promises as fs } from "node:fs";
import path from "node:path";
import { isCanonicalBase64 } from "@/lib/gemini/base64";
import type { ModelTurn, StoredPart } from "@/lib/gemini/types";
import { sniffImageType } from "@/lib/images/sniff";
import { describeWriteFailure, writeFileAtomically, type ImageStore } from "../image-store";
import { StorageError, isStorageId, type KnownInlineImages } from "../types";

/**
 * Model turns as JSON files, one per turn: `model-turns/<owner>/<turn>.json`. They stay out of the
 * database because a thought signature alone can be ~600 KB, and they are written atomically
 * (temp file, then rename), so a crash leaves the old file or the new one, never half of one.
 *
 * Image parts are big too (the final image, again, as base64), and their bytes are already in the
 * ImageStore. So a part's `inlineData.data` is stored as "" plus the content hash, and put back on
 * read. That is only done when re-encoding the decoded bytes gives the identical string and the
 * bytes are an image the store accepts; anything else stays inline. When the caller already stored
 * a part's image (the job did, as it streamed), its hash is taken as given and only cheap checks
 * that the string is canonical base64 remain. The rest of the part (unknown
 * fields, key order, part order, the signature) is the JSON the service sent, untouched, so the
 * turn reads back byte for byte as it was put, and replays with valid signatures.
 */

const FORMAT = 1;

interface ModelTurnFile {
  format: typeof FORMAT;
  turn: ModelTurn;
  /** [part index, content hash] for each part whose inline data lives in the ImageStore. */
  external: Array<[number, string]>;
}

export interface ModelTurnFiles {
  write(ownerId: string, turnId: string, turn: ModelTurn, known?: KnownInlineImages): Promise<void>;
  read(ownerId: string, turnId: string): Promise<ModelTurn | null>;
  remove(ownerId: string, turnId: string): Promise<void>;
  /** Moves every saved reply of `from` to `to` (see Storage.reassignOwner). */
  moveOwner(from: string, to: string): Promise<void>;
}

export function createModelTurnFiles(dataDir: string, images: ImageStore): ModelTurnFiles {
  const root = path.join(dataDir, "model-turns");
  const tmpDir = path.join(dataDir, "tmp");

  function fileOf(ownerId: string, turnId: string): string {
    // Ids come from storage, but this is the one place they become paths: never let one escape.
    if (!isStorageId(ownerId) || !isStorageId(turnId)) throw new StorageError("not_found", "No such turn.");
    return path.join(root, ownerId, `${turnId}.json`);
  }

  async function externalize(turn: ModelTurn, known: KnownInlineImages | undefined): Promise<ModelTurnFile> {
    const external: Array<[number, string]> = [];
    const parts = await Promise.all(
      turn.parts.map(async (part, index): Promise<StoredPart> => {
        const inline = part.inlineData;
        if (!inline) return part;
        // Read once: the data may be encoded on every read (lib/gemini/base64.ts withDataFromBytes).
        const data = inline.data;
        if (data === "") return part;
        const given = known?.get(index);
        let hash: string;
        if (given && isCanonicalBase64(data, given.byteLength)) {
          hash = given.hash;
        } else {
          const bytes = Buffer.from(data, "base64");
          if (bytes.toString("base64") !== data || !sniffImageType(bytes)) return part;
          hash = (await images.put(bytes)).hash;
        }
        external.push([index, hash]);
        // Every key stays where it was; only the value of `data` changes (and it is not read again).
        const emptied = Object.fromEntries(Object.keys(inline).map((key) => [key, key === "data" ? "" : inline[key]]));
        return { ...part, inlineData: emptied as typeof inline };
      }),
    );
    external.sort((a, b) => a[0] - b[0]);
    return { format: FORMAT, turn: { ...turn, parts }, external };
  }

  async function inflate(file: ModelTurnFile, where: string): Promise<ModelTurn> {
    for (const [index, hash] of file.external) {
      const inline = file.turn.parts[index]?.inlineData;
      const stored = await images.get(hash);
      if (!inline || !stored) {
        throw new StorageError("storage_failed", `The saved model reply ${where} names an image that is missing from the data directory.`);
      }
      inline.data = stored.bytes.toString("base64");
    }
    return file.turn;
  }

  return {
    async write(ownerId, turnId, turn, known) {
      const target = fileOf(ownerId, turnId);
      try {
        const file = await externalize(turn, known);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.mkdir(tmpDir, { recursive: true });
        await writeFileAtomically(target, JSON.stringify(file), tmpDir);
      } catch (error) {
        if (error instanceof StorageError) throw error;
        throw new StorageError("storage_failed", `Could not save the model's reply: ${describeWriteFailure(error, dataDir)}.`, {
          cause: error,
        });
      }
    },

    async read(ownerId, turnId) {
      let target: string;
      try {
        target = fileOf(ownerId, turnId);
      } catch {
        return null;
      }
      let json: string;
      try {
        // Runtime data, not a source file: keep the bundler from tracing the whole project for it.
        json = await fs.readFile(/*turbopackIgnore: true*/ target, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw new StorageError("storage_failed", `Could not read ${target}.`, { cause: error });
      }
      let file: ModelTurnFile;
      try {
        file = JSON.parse(json) as ModelTurnFile;
      } catch (error) {
        throw new StorageError("storage_failed", `${target} is not valid JSON.`, { cause: error });
      }
      if (file.format !== FORMAT || !Array.isArray(file.turn?.parts)) {
        throw new StorageError("storage_failed", `${target} is not a model turn this version can read.`);
      }
      return inflate(file, target);
    },

    async moveOwner(from, to) {
      if (!isStorageId(from) || !isStorageId(to)) throw new StorageError("not_found", "No such owner.");
      const source = path.join(root, from);
      let names: string[];
      try {
        names = await fs.readdir(source);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw new StorageError("storage_failed", `Could not read ${source}.`, { cause: error });
      }
      const target = path.join(root, to);
      try {
        await fs.mkdir(target, { recursive: true });
        for (const name of names) await fs.rename(path.join(source, name), path.join(target, name));
        await fs.rm(source, { recursive: true, force: true });
      } catch (error) {
        throw new StorageError("storage_failed", `Could not move saved model replies: ${describeWriteFailure(error, dataDir)}.`, { cause: error });
      }
    },

    async remove(ownerId, turnId) {
      try {
        await fs.rm(fileOf(ownerId, turnId), { force: true });
      } catch (error) {
        if (error instanceof StorageError) return;
        throw new StorageError("storage_failed", `Could not delete the model reply of turn ${turnId}.`, { cause: error });
      }
    },
  };
}
