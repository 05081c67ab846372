import "server-only";

import { createGeminiGateway, type GeminiGateway } from "@/lib/gemini/client";
import { discoverModels, type ModelDiscovery } from "@/lib/gemini/models";
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
let discovery: { value: Promise<ModelDiscovery>; at: number } | undefined;

/**
 * The models this key can use, asked of the API at most every few minutes.
 * Without a key, or when the API cannot be reached, the static catalog stands in.
 */
export function getModelDiscovery(): Promise<ModelDiscovery> {
  const now = Date.now();
  if (discovery && now - discovery.at < DISCOVERY_TTL_MS) return discovery.value;
  const current = getGateway();
  const value: Promise<ModelDiscovery> = current
    ? current.listModels().then((result) => {
        // A failed listing is retried on the next page load instead of being cached.
        if (!result.ok) discovery = undefined;
        return result;
      })
    : Promise.resolve(discoverModels(null, { defaultModelId: getEnv().defaultModel }));
  discovery = { value, at: now };
  return value;
}

