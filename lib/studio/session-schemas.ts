import { z } from "zod";
import { MASK_ROLE, generationSettingsSchema, inputImageRoleSchema } from "@/lib/gemini/types";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { MAX_SET_SIZE } from "@/lib/studio/turn-set-limits";

// Inputs of the session and turn functions (lib/server/sessions.ts). No server-only import: pages
// and tests use them too. Classic zod, so the browser's code does not import them: what it shares
// with them lives in zod/mini modules (lib/gemini/types.ts) and ./turn-set-limits.ts.

export const MAX_SESSION_TITLE_LENGTH = 120;
export const MAX_SEARCH_QUERY_LENGTH = 200;
/** The most any catalog model accepts (14); the gateway checks the selected model's own limit. */
export const MAX_REFERENCES_PER_TURN = 14;
export const DEFAULT_SESSION_TITLE = "Untitled session";

/** Ids are made by storage; this only keeps junk out. A well-formed id that matches nothing is not_found. */
export const storageIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "That id is not valid.");

export const imageHashSchema = z.string().regex(/^[a-f0-9]{64}$/, "That image id is not valid.");

const titleSchema = z
  .string()
  .trim()
  .min(1, "Give the session a name.")
  .max(MAX_SESSION_TITLE_LENGTH, `Session names are limited to ${MAX_SESSION_TITLE_LENGTH} characters.`);

export const createSessionSchema = z.object({
  title: titleSchema.optional(),
  /**
   * The settings of what the first Generate will start (one request, or each run of a set): the
   * session is created only if the monthly budget has room for them, so a refused first image
   * leaves no empty session behind, in one request instead of a budget check and then this one.
   */
  budgetFor: z.union([generationSettingsSchema, z.array(generationSettingsSchema).min(1).max(MAX_SET_SIZE)]).optional(),
});
export const renameSessionSchema = z.object({ sessionId: storageIdSchema, title: titleSchema });
export const deleteSessionSchema = z.object({ sessionId: storageIdSchema });
export const getSessionViewSchema = z.object({ sessionId: storageIdSchema });
export const listSessionsSchema = z.object({
  query: z.string().trim().max(MAX_SEARCH_QUERY_LENGTH, `Searches are limited to ${MAX_SEARCH_QUERY_LENGTH} characters.`).optional(),
  limit: z.number().int().min(1).max(500).optional(),
  offset: z.number().int().min(0).max(1_000_000).optional(),
});

/** A reference image already uploaded to the image store; its type and size are read on the server. */
export const turnReferenceSchema = z.object({ hash: imageHashSchema, role: z.optional(inputImageRoleSchema) });

/** A turn's references: at most one of them a region edit's mask (lib/studio/region-edit.ts). */
export const turnReferencesSchema = z
  .array(turnReferenceSchema)
  .max(MAX_REFERENCES_PER_TURN, `Up to ${MAX_REFERENCES_PER_TURN} reference images per turn.`)
  .refine((references) => references.filter((reference) => reference.role === MASK_ROLE).length <= 1, "A turn takes one mask at most.")
  .default([]);

/** A mask marks an area of an earlier result, so only a turn that continues one may carry it. */
export const maskNeedsParent = {
  check: (input: { parentId: string | null; references: Array<{ role?: string }> }) =>
    input.parentId !== null || !input.references.some((reference) => reference.role === MASK_ROLE),
  message: "A mask marks an area of an earlier result: continue from that result to use one.",
} as const;

export const startTurnSchema = z
  .object({
    sessionId: storageIdSchema,
    /** The turn to continue (any turn: continuing an older one makes a branch); null starts over. */
    parentId: storageIdSchema.nullable(),
    prompt: z.string().trim().max(MAX_PROMPT_LENGTH, `Prompts are limited to ${MAX_PROMPT_LENGTH} characters.`),
    references: turnReferencesSchema,
    settings: generationSettingsSchema,
  })
  .refine((input) => input.prompt !== "" || input.references.length > 0, {
    message: "Write a prompt or add a reference image.",
    path: ["prompt"],
  })
  .refine(maskNeedsParent.check, { message: maskNeedsParent.message, path: ["references"] });

/** Cancel and Retry name just the turn. */
export const turnActionSchema = z.object({ turnId: storageIdSchema });

/** The size of the request that would continue from this turn. */
export const estimateFollowUpSchema = z.object({ turnId: storageIdSchema });

export type CreateSessionInput = z.input<typeof createSessionSchema>;
export type RenameSessionInput = z.input<typeof renameSessionSchema>;
export type DeleteSessionInput = z.input<typeof deleteSessionSchema>;
export type GetSessionViewInput = z.input<typeof getSessionViewSchema>;
export type ListSessionsInput = z.input<typeof listSessionsSchema>;
export type StartTurnInput = z.input<typeof startTurnSchema>;
export type TurnActionInput = z.input<typeof turnActionSchema>;
export type EstimateFollowUpInput = z.input<typeof estimateFollowUpSchema>;
