import "server-only";

import { createGeminiGateway, type GeminiGateway, type ListModelsResult } from "@/lib/gemini/client";
import { discoverModels } from "@/lib/gemini/models";
import { getEnv } from "@/lib/env";

let gateway: GeminiGateway | undefined;

/** The process-wide Gemini gateway, or null when no key is configured. */
export function getGateway(): GeminiGateway | null {
  const env = getEnv();
  if (!env.geminiApiKey) return null;
  gateway ??= createGeminiGateway({
    apiKey: env.geminiApiKey,
    baseUrl: env.geminiBaseUrl,
    defaultModel: env.defaultModel,
  });
  return gateway;
}

const DISCOVERY_TTL_MS = 5 * 60_000;
let discovery: { value: Promise<ListModelsResult>; at: number } | undefined;

/**
 * The models this key can use, asked of the API at most every few minutes.
 * Without a key, or when the API cannot be reached, the static catalog stands in; a failure
 * (a rejected key, say) comes with its error so the page can say so.
 */
export function getModelDiscovery(): Promise<ListModelsResult> {
  const now = Date.now();
  if (discovery && now - discovery.at < DISCOVERY_TTL_MS) return discovery.value;
  const current = getGateway();
  const value: Promise<ListModelsResult> = current
    ? current.listModels().then((result) => {
        // A failed listing is retried on the next page load instead of being cached.
        if (!result.ok) discovery = undefined;
        return result;
      })
    : Promise.resolve({ ok: true as const, ...discoverModels(null, { defaultModelId: getEnv().defaultModel }) });
  discovery = { value, at: now };
  return value;
}

