import { z } from "zod";
import { FaultQueue } from "./faults";
import { RequestLog } from "./request-log";
import type { EmulatorOptions } from "./server";

/** Per-emulator mutable state: settings that tests may change live, the fault queue and the log. */

export const liveConfigSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  realisticPayload: z.boolean().optional(),
  enforceSignatures: z.boolean().optional(),
});

export interface LiveConfig {
  latencyMs: number;
  realisticPayload: boolean;
  enforceSignatures: boolean;
}

export class EmulatorState {
  readonly faults = new FaultQueue();
  readonly requests = new RequestLog();
  readonly invalidApiKeys: ReadonlySet<string>;
  readonly writeLog: (line: string) => void;
  private readonly initial: LiveConfig;
  private overrides: Partial<LiveConfig> = {};

  constructor(options: EmulatorOptions) {
    this.initial = {
      latencyMs: Math.max(0, options.latencyMs ?? 0),
      realisticPayload: options.realisticPayload ?? false,
      enforceSignatures: options.enforceSignatures ?? true,
    };
    this.invalidApiKeys = new Set(options.invalidApiKeys ?? ["invalid-key"]);
    this.writeLog = options.log ?? (() => undefined);
  }

  get config(): LiveConfig {
    return { ...this.initial, ...this.overrides };
  }

  updateConfig(changes: Partial<LiveConfig>): LiveConfig {
    this.overrides = { ...this.overrides, ...changes };
    return this.config;
  }

  reset(): void {
    this.overrides = {};
    this.faults.clear();
    this.requests.clear();
  }
}
