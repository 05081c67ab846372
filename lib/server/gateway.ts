import "server-only";

import { createGeminiGateway, type GeminiGateway, type ListModelsResult } from "@/lib/gemini/client";
import { discoverModels } from "@/lib/gemini/models";
import { getEnv } from "@/lib/env";
import { log } from "./log";

let gateway: GeminiGateway | undefined;

/** The process-wide Gemini gateway, or null when no key is configured. */
export function getGateway(): GeminiGateway | null {
  const env = getEnv();
  if (!env.geminiApiKey) return null;
  gateway ??= createGeminiGateway({
    apiKey: env.geminiApiKey,
    baseUrl: env.geminiBaseUrl,
    defaultModel: env.defaultModel,
    store: env.geminiStore,
    backend: env.geminiBackend,
    files: env.geminiFiles,
    warn: (event, fields) => log.warn(event, fields),
  });
  return gateway;
}

/**
 * The models this key can use. The gateway keeps models.list's answer for a minute, and a failure
 * (a rejected key, say) for 30 s, so a bad key is not asked about on every page load; the failure
 * comes with its error so the page can say so. Without a key the static catalog stands in.
 */
export function getModelDiscovery(): Promise<ListModelsResult> {
  const current = getGateway();
  return current
    ? current.listModels()
    : Promise.resolve({ ok: true as const, ...discoverModels(null, { defaultModelId: getEnv().defaultModel }) });
}

