import "server-only";

import { promises as fs } from "node:fs";
import path from "node:path";
import type { ModelTurn } from "@/lib/gemini/types";
import { encodeJsonVerbatim } from "@/lib/json/verbatim";
import { describeWriteFailure, writeFileAtomically, type ImageStore } from "../image-store";
import { externalizeModelTurn, inflateModelTurn } from "../model-turn-codec";
import { StorageError, isStorageId, type KnownInlineImages } from "../types";

/**
 * Model turns as JSON files, one per turn: `model-turns/<owner>/<turn>.json`. They stay out of the
 * database because a thought signature alone can be ~600 KB, and they are written atomically
 * (temp file, then rename), so a crash leaves the old file or the new one, never half of one.
 * What goes in a file (image parts by content hash) is lib/storage/model-turn-codec.ts.
 */

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

  return {
    async write(ownerId, turnId, turn, known) {
      const target = fileOf(ownerId, turnId);
      try {
        const file = await externalizeModelTurn(images, turn, known);
        await writeFileAtomically(target, encodeJsonVerbatim(file), tmpDir);
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
      return inflateModelTurn(images, json, target);
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
