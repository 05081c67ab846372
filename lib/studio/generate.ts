import "server-only";

import type { GenerateOptions } from "@/lib/gemini/client";
import type { GenerationRequest, GenerationOutcome, StudioError, Usage } from "@/lib/gemini/types";
import { getEnv } from "@/lib/env";
import { createFileImageStore, ImageStoreError } from "@/lib/storage/image-store";
import { getGateway } from "./gateway";
import { outputFileName, outputKind } from "./file-names";

/** A result image as the browser sees it: a URL to the stored file, never inline bytes. */
export interface ResultImage {
  url: string;
  hash: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  fileName: string;
  sizeMismatch: boolean;
}

export interface GenerationView {
  images: ResultImage[];
  text: string;
  usage: Usage | null;
  modelVersion: string | null;
  warnings: string[];
}

export type GenerationFailure = Pick<StudioError, "message" | "action" | "detail" | "retryAfterMs"> & {
  code: StudioError["code"] | "not_configured" | "storage_failed";
};

export type GenerationRunResult = { ok: true; data: GenerationView } | { ok: false; error: GenerationFailure };

function failure(error: StudioError): GenerationRunResult {
  return {
    ok: false,
    error: { code: error.code, message: error.message, action: error.action, detail: error.detail, retryAfterMs: error.retryAfterMs },
  };
}

async function storeOutcome(request: GenerationRequest, outcome: GenerationOutcome, at: Date): Promise<GenerationView> {
  const store = createFileImageStore(getEnv().dataDir);
  const kind = outputKind({
    hasReferences: request.references.length > 0,
    hasHistory: request.history.length > 0,
    grounded: outcome.grounding !== null,
  });
  const images: ResultImage[] = [];
  for (const [index, image] of outcome.images.entries()) {
    const stored = await store.put(image.data);
    const fileName = outputFileName({ kind, prompt: request.prompt, at, mimeType: stored.mimeType, index });
    await store.exportAs(stored.hash, fileName);
    images.push({
      url: `/api/images/${stored.hash}`,
      hash: stored.hash,
      mimeType: stored.mimeType,
      width: image.width,
      height: image.height,
      fileName,
      sizeMismatch: image.sizeMismatch,
    });
  }
  return { images, text: outcome.text, usage: outcome.usage, modelVersion: outcome.modelVersion, warnings: outcome.warnings };
}

/** Runs one generation through the gateway and stores its images under the data directory. */
export async function runGeneration(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationRunResult> {
  const gateway = getGateway();
  if (!gateway) {
    return {
      ok: false,
      error: {
        code: "not_configured",
        message: "No Gemini API key is configured on this server.",
        action: "Start the studio with GEMINI_API_KEY set, or run `npm start` without a key for the offline preview.",
      },
    };
  }
  const at = new Date();
  const result = await gateway.generate(request, options);
  if (!result.ok) return failure(result.error);
  try {
    return { ok: true, data: await storeOutcome(request, result.outcome, at) };
  } catch (error) {
    const message = error instanceof ImageStoreError ? error.message : "Could not save the result.";
    return {
      ok: false,
      error: { code: "storage_failed", message, action: "Check that the data directory exists, is writable and has free space." },
    };
  }
}
