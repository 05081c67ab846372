import { z } from "zod";
import {
  MAX_BOARD_NAME_LENGTH,
  MAX_PROMPT_NAME_LENGTH,
  MAX_PROMPT_TAG_LENGTH,
  MAX_PROMPT_TAGS,
  MAX_SAVED_PROMPT_LENGTH,
} from "@/lib/studio/library";
import { imageHashSchema, storageIdSchema } from "@/lib/studio/session-schemas";

// Inputs of the library actions (app/library/actions.ts), shared with the forms that send them.

export const resultRefSchema = z.object({ turnId: storageIdSchema, hash: imageHashSchema });
export const setFavouriteSchema = resultRefSchema.extend({ favourite: z.boolean() });

const boardNameSchema = z
  .string()
  .trim()
  .min(1, "Give the board a name.")
  .max(MAX_BOARD_NAME_LENGTH, `A board name is at most ${MAX_BOARD_NAME_LENGTH} characters.`);

export const createBoardSchema = z.object({ name: boardNameSchema });
export const renameBoardSchema = z.object({ boardId: storageIdSchema, name: boardNameSchema });
export const deleteBoardSchema = z.object({ boardId: storageIdSchema });
export const boardItemSchema = resultRefSchema.extend({ boardId: storageIdSchema });

export const savePromptSchema = z.object({
  name: z.string().trim().min(1, "Give the prompt a name.").max(MAX_PROMPT_NAME_LENGTH, `A name is at most ${MAX_PROMPT_NAME_LENGTH} characters.`),
  text: z
    .string()
    .refine((text) => text.trim().length > 0, "The prompt is empty.")
    .refine((text) => text.length <= MAX_SAVED_PROMPT_LENGTH, `A saved prompt is at most ${MAX_SAVED_PROMPT_LENGTH} characters.`),
  tags: z
    .array(z.string().trim().toLowerCase().min(1).max(MAX_PROMPT_TAG_LENGTH, `A tag is at most ${MAX_PROMPT_TAG_LENGTH} characters.`))
    .max(MAX_PROMPT_TAGS, `At most ${MAX_PROMPT_TAGS} tags.`),
});
export const deletePromptSchema = z.object({ promptId: storageIdSchema });

export type ResultRefInput = z.input<typeof resultRefSchema>;
export type SetFavouriteInput = z.input<typeof setFavouriteSchema>;
export type CreateBoardInput = z.input<typeof createBoardSchema>;
export type RenameBoardInput = z.input<typeof renameBoardSchema>;
export type DeleteBoardInput = z.input<typeof deleteBoardSchema>;
export type BoardItemInput = z.input<typeof boardItemSchema>;
export type SavePromptInput = z.input<typeof savePromptSchema>;
export type DeletePromptInput = z.input<typeof deletePromptSchema>;
