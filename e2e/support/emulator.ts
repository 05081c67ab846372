import type { APIRequestContext } from "@playwright/test";
import type { UnderstoodRegion } from "../../emulator/region";
import { E2E } from "./ports";

/** What the emulator understood a region edit's mask to mark. */
export type EmulatorRegion = UnderstoodRegion;

export interface EmulatorRequestLogEntry {
  path: string;
  model: string | null;
  status: number;
  region?: EmulatorRegion;
  body: {
    contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;
    generationConfig?: Record<string, unknown>;
    tools?: unknown[];
  } | null;
}

/** The emulator's control endpoints, for arranging faults and checking what the studio sent. */
export function emulatorControl(request: APIRequestContext, baseUrl: string = E2E.emulatorUrl) {
  return {
    async reset() {
      await request.post(`${baseUrl}/_emulator/reset`);
    },
    async queueFaults(faults: Array<Record<string, string | number | boolean>>) {
      await request.post(`${baseUrl}/_emulator/faults`, { data: { faults } });
    },
    /** How many requests wait for release (faults queued with `hold: true`). */
    async held(): Promise<number> {
      const response = await request.get(`${baseUrl}/_emulator/held`);
      return ((await response.json()) as { held: number }).held;
    },
    async release(): Promise<number> {
      const response = await request.post(`${baseUrl}/_emulator/release`);
      return ((await response.json()) as { released: number }).released;
    },
    /** Generation requests being answered now, and the most at once since the last reset. */
    async inFlight(): Promise<{ current: number; peak: number }> {
      const response = await request.get(`${baseUrl}/_emulator/in-flight`);
      return (await response.json()) as { current: number; peak: number };
    },
    async resetInFlight() {
      await request.delete(`${baseUrl}/_emulator/in-flight`);
    },
    async configure(config: { latencyMs?: number; realisticPayload?: boolean; enforceSignatures?: boolean }) {
      await request.post(`${baseUrl}/_emulator/config`, { data: config });
    },
    /** How batch jobs created from now on end: after `delayMs` (null: only when finishBatches is called), and how. */
    async batchSettings(settings: { delayMs?: number | null; ending?: "succeeded" | "failed" | "expired" }) {
      const response = await request.post(`${baseUrl}/_emulator/batches`, { data: settings });
      if (!response.ok()) throw new Error(`batch settings refused: ${await response.text()}`);
    },
    /** Ends every unfinished batch job now; how many there were. */
    async finishBatches(ending?: "succeeded" | "failed" | "expired"): Promise<number> {
      const response = await request.post(`${baseUrl}/_emulator/batches/finish`, { data: ending ? { ending } : {} });
      return ((await response.json()) as { finished: number }).finished;
    },
    async batches(): Promise<Array<{ name: string; state: string; requestCount: number; model: string }>> {
      const response = await request.get(`${baseUrl}/_emulator/batches`);
      return ((await response.json()) as { batches: Array<{ name: string; state: string; requestCount: number; model: string }> }).batches;
    },
    async requests(): Promise<EmulatorRequestLogEntry[]> {
      const response = await request.get(`${baseUrl}/_emulator/requests`);
      return (await response.json()) as EmulatorRequestLogEntry[];
    },
    /**
     * Only the generation calls, oldest first: generateContent, or interactions.create when the
     * studio runs with STUDIO_GEMINI_BACKEND=interactions (the emulator logs an interaction's body
     * as the generateContent request of its own message, so `body.contents` reads alike).
     */
    async generations(): Promise<EmulatorRequestLogEntry[]> {
      return (await this.requests()).filter((entry) => /:(stream)?[gG]enerateContent|\/interactions(\?|$)/.test(entry.path));
    },
  };
}
