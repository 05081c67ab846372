import { z } from "zod";

/**
 * Failures on demand. A fault comes from the control queue (POST /_emulator/faults, one consumed
 * per generate/stream request, FIFO) or from a directive in the last user turn's text, e.g.
 * `[[fault:429 retryDelay=2s]]`. The queue wins when both are present.
 */

export const FAULT_KINDS = [
  "429",
  "500",
  "503",
  "image_safety",
  "prompt_blocked",
  "no_image",
  "text_only",
  "slow",
  "cut",
  "hang",
  "error_chunk",
  // Shapes described in docs (gemini-facts.md, "Shapes seen in real recordings"); no recording of
  // them is in test/fixtures/gemini.
  "leaked_key",
  "service_blocked",
  "thinking_level_unsupported",
  "thinking_budget_and_level",
  "text_signed_tail",
  "no_grounding",
  "bare_web_chunks",
  "no_finish",
  "vertex_chunks",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  /** 429 only: the RetryInfo delay, protobuf Duration text such as "2s" or "0.5s". */
  retryDelay: z
    .string()
    .regex(/^\d+(\.\d+)?s$/, 'retryDelay must look like "2s"')
    .optional(),
  /**
   * Any kind: the request waits, unanswered, until POST /_emulator/release (or the client gives up),
   * so a test can have the studio's page following the turn before the fault is answered.
   */
  hold: z.boolean().optional(),
  /** slow: delay before every chunk (and before a unary answer). */
  delayMs: z.number().int().min(0).max(600_000).optional(),
  /** cut / error_chunk / no_finish: how many chunks reach the client first. */
  afterChunks: z.number().int().min(0).max(100).optional(),
  /** error_chunk: the HTTP-style code inside the SSE error event. */
  code: z.number().int().min(400).max(599).optional(),
});

export type Fault = z.infer<typeof faultSchema>;

export const faultListSchema = z.union([z.strictObject({ faults: z.array(faultSchema) }), faultSchema]);

export const DEFAULT_SLOW_DELAY_MS = 1500;

/** Faults decided before the request is even validated, like quota and capacity errors. */
export function isGatewayFault(kind: FaultKind): boolean {
  return (
    kind === "429" ||
    kind === "500" ||
    kind === "503" ||
    kind === "hang" ||
    kind === "leaked_key" ||
    kind === "service_blocked" ||
    kind === "thinking_level_unsupported" ||
    kind === "thinking_budget_and_level"
  );
}

const DIRECTIVE = /\[\[fault:([a-z0-9_]+)((?:\s+[A-Za-z]+=[^\s\]]+)*)\s*\]\]/;
const DIRECTIVE_GLOBAL = new RegExp(DIRECTIVE.source, "g");

export type DirectiveResult = { fault: Fault } | { error: string } | undefined;

export function parseFaultDirective(text: string): DirectiveResult {
  const match = DIRECTIVE.exec(text);
  if (!match) return undefined;
  const candidate: Record<string, unknown> = { kind: match[1] };
  for (const argument of (match[2] ?? "").trim().split(/\s+/).filter(Boolean)) {
    const [key = "", value = ""] = argument.split("=", 2);
    candidate[key] = /^\d+$/.test(value) && key !== "retryDelay" ? Number(value) : value;
  }
  const parsed = faultSchema.safeParse(candidate);
  if (!parsed.success) return { error: `Invalid fault directive ${match[0]}: ${parsed.error.issues.map((issue) => issue.message).join("; ")}` };
  return { fault: parsed.data };
}

export function stripFaultDirectives(text: string): string {
  return text.replace(DIRECTIVE_GLOBAL, "").replace(/\s{2,}/g, " ").trim();
}

export class FaultQueue {
  private readonly queue: Fault[] = [];

  push(faults: readonly Fault[]): void {
    this.queue.push(...faults);
  }

  take(): Fault | undefined {
    return this.queue.shift();
  }

  list(): Fault[] {
    return [...this.queue];
  }

  clear(): void {
    this.queue.length = 0;
  }
}
