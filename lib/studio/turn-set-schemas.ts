import { z } from "zod";
import { generationSettingsSchema, type GenerationSettings } from "@/lib/gemini/types";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { maskNeedsParent, storageIdSchema, turnReferencesSchema } from "@/lib/studio/session-schemas";
import { MAX_SET_SIZE, MIN_COMPARE_SIZE, MIN_SET_SIZE } from "@/lib/studio/turn-set-limits";

// Input of startTurnSetAction: one prompt and references sent as several turns at once, siblings
// of one parent. "variations" repeats one request N times (the "×N" control); "compare" sends it to
// 2–4 model/size pairs (the "Compare models…" dialog). The client builds the same shape; the limits
// it shares with these schemas are in ./turn-set-limits.ts.

const setBase = {
  sessionId: storageIdSchema,
  /** The turn every run continues; null starts each one as a new conversation in the session. */
  parentId: storageIdSchema.nullable(),
  prompt: z.string().trim().max(MAX_PROMPT_LENGTH, `Prompts are limited to ${MAX_PROMPT_LENGTH} characters.`),
  references: turnReferencesSchema,
};

function sameSettings(a: GenerationSettings, b: GenerationSettings): boolean {
  return (
    a.model === b.model &&
    a.imageSize === b.imageSize &&
    a.aspectRatio === b.aspectRatio &&
    a.thinkingLevel === b.thinkingLevel &&
    a.showThoughts === b.showThoughts &&
    a.webSearch === b.webSearch &&
    a.imageSearch === b.imageSearch &&
    a.imageOnly === b.imageOnly
  );
}

export const startTurnSetSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("variations"),
      ...setBase,
      count: z
        .number()
        .int("Ask for a whole number of variations.")
        .min(MIN_SET_SIZE, `Ask for ${MIN_SET_SIZE} to ${MAX_SET_SIZE} variations.`)
        .max(MAX_SET_SIZE, `Ask for ${MIN_SET_SIZE} to ${MAX_SET_SIZE} variations.`),
      settings: generationSettingsSchema,
      /** "Cheaper, slower": one Gemini Batch API job for all of them, at half price, within 24 h. */
      batch: z.boolean().optional(),
    }),
    z.object({
      kind: z.literal("compare"),
      ...setBase,
      runs: z
        .array(generationSettingsSchema)
        .min(MIN_COMPARE_SIZE, `Compare ${MIN_COMPARE_SIZE} to ${MAX_SET_SIZE} models or settings.`)
        .max(MAX_SET_SIZE, `Compare ${MIN_COMPARE_SIZE} to ${MAX_SET_SIZE} models or settings.`)
        .refine(
          (runs) => runs.every((run, index) => runs.findIndex((other) => sameSettings(run, other)) === index),
          "Each model or setting in a comparison must differ from the others.",
        ),
    }),
  ])
  .refine((input) => input.prompt !== "" || input.references.length > 0, {
    message: "Write a prompt or add a reference image.",
    path: ["prompt"],
  })
  .refine(maskNeedsParent.check, { message: maskNeedsParent.message, path: ["references"] });

export type StartTurnSetInput = z.input<typeof startTurnSetSchema>;
export type ParsedTurnSet = z.output<typeof startTurnSetSchema>;

/** The settings of each run of a parsed set, in order. */
export function runsOf(set: ParsedTurnSet): GenerationSettings[] {
  return set.kind === "variations" ? Array.from({ length: set.count }, () => ({ ...set.settings })) : set.runs;
}

/**
 * How many starts an untrusted input asks for, for the rate limit, which is taken before the input
 * is parsed (as for a single start): a malformed count costs one, a count out of range at most the
 * maximum, and the parse then refuses it and gives the tokens back.
 */
export function requestedRunCount(input: unknown): number {
  if (typeof input !== "object" || input === null) return 1;
  const record = input as { kind?: unknown; count?: unknown; runs?: unknown };
  const raw = record.kind === "compare" ? (Array.isArray(record.runs) ? record.runs.length : 1) : record.count;
  if (typeof raw !== "number" || !Number.isInteger(raw)) return 1;
  return Math.min(MAX_SET_SIZE, Math.max(1, raw));
}

/** The turn ids of a `variations` parameter, junk and duplicates dropped, at most MAX_SET_SIZE. */
export function parseVariationsParam(value: string | string[] | undefined | null): string[] {
  const raw = Array.isArray(value) ? value.join(",") : (value ?? "");
  const ids = raw.split(",").filter((id) => storageIdSchema.safeParse(id).success);
  return [...new Set(ids)].slice(0, MAX_SET_SIZE);
}
