import { z } from "zod";
import { storageIdSchema } from "@/lib/studio/session-schemas";

// Inputs of the sharing actions (app/gallery/actions.ts), shared with the share control.

export const SHARE_CHOICES = ["off", "view", "continue"] as const;
export type ShareChoice = (typeof SHARE_CHOICES)[number];

export const shareSessionSchema = z.object({ sessionId: storageIdSchema, mode: z.enum(SHARE_CHOICES) });
export const continueSharedTurnSchema = z.object({ sessionId: storageIdSchema, turnId: storageIdSchema });

export type ShareSessionInput = z.input<typeof shareSessionSchema>;
export type ContinueSharedTurnInput = z.input<typeof continueSharedTurnSchema>;
