import type { APIRequestContext } from "@playwright/test";
import { E2E } from "./ports";

export interface EmulatorRequestLogEntry {
  path: string;
  model: string | null;
  status: number;
  body: unknown;
}

/** The emulator's control endpoints, for arranging faults and checking what the studio sent. */
export function emulatorControl(request: APIRequestContext, baseUrl: string = E2E.emulatorUrl) {
  return {
    async reset() {
      await request.post(`${baseUrl}/_emulator/reset`);
    },
    async queueFaults(faults: Array<Record<string, string | number>>) {
      await request.post(`${baseUrl}/_emulator/faults`, { data: { faults } });
    },
    async requests(): Promise<EmulatorRequestLogEntry[]> {
      const response = await request.get(`${baseUrl}/_emulator/requests`);
      return (await response.json()) as EmulatorRequestLogEntry[];
    },
  };
}
