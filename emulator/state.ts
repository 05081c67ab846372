import { InteractionStore } from "./interactions";
import { z } from "zod";
import { BatchStore } from "./batches";
import { FaultQueue } from "./faults";
import { FileStore } from "./files";
import { RequestLog } from "./request-log";

export interface EmulatorOptions {
  /** 0 or undefined = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delay before each streamed chunk and before a unary response; default 0. */
  latencyMs?: number;
  /** Image bytes and signature sizes like the real service (~300-450 KB JPEG at 1K, ~600 KB signature). */
  realisticPayload?: boolean;
  /** Default true: Gemini 3 models reject replayed model image parts without a valid signature. */
  enforceSignatures?: boolean;
  /** Keys answered with the real 400 API_KEY_INVALID body; default ["invalid-key"]. */
  invalidApiKeys?: string[];
  /** Optional request logging; default silent. */
  log?: (line: string) => void;
}

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

/** Requests whose fault says `hold`, each waiting for a release. */
export class HeldRequests {
  private readonly waiting = new Set<() => void>();

  get count(): number {
    return this.waiting.size;
  }

  /** Resolves true when released, false when the client went away first. */
  wait(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const release = () => {
        this.waiting.delete(release);
        signal.removeEventListener("abort", abort);
        resolve(true);
      };
      const abort = () => {
        this.waiting.delete(release);
        resolve(false);
      };
      this.waiting.add(release);
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  /** Lets every held request go on; how many there were. */
  releaseAll(): number {
    const released = [...this.waiting];
    for (const release of released) release();
    return released.length;
  }
}

/**
 * generateContent / streamGenerateContent requests being answered right now, and the most seen at
 * once since the last reset: how a test sees the concurrency a client (or several) really
 * produced, which no log of finished requests can show.
 */
export class InFlightGenerations {
  private now = 0;
  private most = 0;

  get current(): number {
    return this.now;
  }

  get peak(): number {
    return this.most;
  }

  enter(): void {
    this.now += 1;
    this.most = Math.max(this.most, this.now);
  }

  leave(): void {
    this.now = Math.max(0, this.now - 1);
  }

  /** The peak starts again from what is in flight now (requests still running keep counting). */
  resetPeak(): void {
    this.most = this.now;
  }
}

export class EmulatorState {
  readonly faults = new FaultQueue();
  readonly held = new HeldRequests();
  readonly inFlight = new InFlightGenerations();
  readonly requests = new RequestLog();
  readonly batches = new BatchStore();
  readonly interactions = new InteractionStore();
  readonly files = new FileStore();
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
    // Nothing stays stuck from one test into the next.
    this.held.releaseAll();
    this.inFlight.resetPeak();
    this.batches.clear();
    this.files.clear();
  }
}
