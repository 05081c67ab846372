"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getViewer, type Viewer } from "@/lib/server/auth/viewer";
import { getStorage } from "@/lib/storage";
import { isStorageError, type Board, type SavedPrompt } from "@/lib/storage/types";
import { STORAGE_FAILED_ACTION, type ActionResult } from "@/lib/studio/result";
import {
  boardItemSchema,
  createBoardSchema,
  deleteBoardSchema,
  deletePromptSchema,
  renameBoardSchema,
  resultRefSchema,
  savePromptSchema,
  setFavouriteSchema,
  type BoardItemInput,
  type CreateBoardInput,
  type DeleteBoardInput,
  type DeletePromptInput,
  type RenameBoardInput,
  type ResultRefInput,
  type SavePromptInput,
  type SetFavouriteInput,
} from "@/components/library/library-schemas";

// The library's favourites, boards and saved prompts. Public POST endpoints: zod-validate,
// authorize from the signed-in viewer, answer a typed result. Everything belongs to the viewer:
// someone else's result, board or prompt is "not_found", never "forbidden".

type LibraryErrorCode = "invalid_request" | "not_found" | "storage_failed";
type LibraryResult<T> = ActionResult<T, LibraryErrorCode>;

const notFound = (what: string) => ({ ok: false, error: { code: "not_found", message: `That ${what} doesn't exist.` } }) as const;

/** Signed in, input valid, then the work; storage errors become typed results. */
async function run<S extends z.ZodType, T>(
  schema: S,
  input: unknown,
  what: string,
  work: (viewer: Viewer, data: z.output<S>) => Promise<LibraryResult<T>>,
): Promise<LibraryResult<T>> {
  const viewer = await getViewer();
  if (!viewer) return notFound(what);
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, error: { code: "invalid_request", message: parsed.error.issues[0]?.message ?? "The request is not valid." } };
  try {
    return await work(viewer, parsed.data);
  } catch (error) {
    if (isStorageError(error, "not_found")) return notFound(what);
    if (isStorageError(error, "invalid_value")) return { ok: false, error: { code: "invalid_request", message: error.message } };
    const message = isStorageError(error) ? error.message : "Something went wrong inside the studio.";
    return { ok: false, error: { code: "storage_failed", message, action: STORAGE_FAILED_ACTION } };
  }
}

export async function setFavouriteAction(input: SetFavouriteInput): Promise<LibraryResult<{ favourite: boolean }>> {
  return run(setFavouriteSchema, input, "result", async (viewer, { turnId, hash, favourite }) => {
    await (await getStorage()).library.setFavourite(viewer.userId, { turnId, hash }, favourite);
    revalidatePath("/library");
    return { ok: true, data: { favourite } };
  });
}

/** Whether the viewer starred a result and which of their boards hold it, with all their boards: what a result's controls show. */
export async function resultStateAction(input: ResultRefInput): Promise<LibraryResult<{ favourite: boolean; boardIds: string[]; boards: Board[] }>> {
  return run(resultRefSchema, input, "result", async (viewer, { turnId, hash }) => {
    const storage = await getStorage();
    const turn = await storage.turns.get(viewer.userId, turnId);
    if (!turn?.outcome?.images.some((image) => image.hash === hash)) return notFound("result");
    const [state, boards] = await Promise.all([storage.library.stateOf(viewer.userId, { turnId, hash }), storage.boards.list(viewer.userId)]);
    return { ok: true, data: { ...state, boards } };
  });
}

export async function createBoardAction(input: CreateBoardInput): Promise<LibraryResult<{ board: Board }>> {
  return run(createBoardSchema, input, "board", async (viewer, { name }) => {
    const board = await (await getStorage()).boards.create(viewer.userId, name);
    revalidatePath("/library");
    return { ok: true, data: { board } };
  });
}

export async function renameBoardAction(input: RenameBoardInput): Promise<LibraryResult<{ board: Board }>> {
  return run(renameBoardSchema, input, "board", async (viewer, { boardId, name }) => {
    const board = await (await getStorage()).boards.rename(viewer.userId, boardId, name);
    if (!board) return notFound("board");
    revalidatePath("/library");
    return { ok: true, data: { board } };
  });
}

export async function deleteBoardAction(input: DeleteBoardInput): Promise<LibraryResult<{ boardId: string }>> {
  return run(deleteBoardSchema, input, "board", async (viewer, { boardId }) => {
    if (!(await (await getStorage()).boards.delete(viewer.userId, boardId))) return notFound("board");
    revalidatePath("/library");
    return { ok: true, data: { boardId } };
  });
}

export async function addToBoardAction(input: BoardItemInput): Promise<LibraryResult<{ boardId: string }>> {
  return run(boardItemSchema, input, "board or result", async (viewer, { boardId, turnId, hash }) => {
    await (await getStorage()).boards.addItem(viewer.userId, boardId, { turnId, hash });
    revalidatePath("/library");
    return { ok: true, data: { boardId } };
  });
}

export async function removeFromBoardAction(input: BoardItemInput): Promise<LibraryResult<{ boardId: string }>> {
  return run(boardItemSchema, input, "board or result", async (viewer, { boardId, turnId, hash }) => {
    if (!(await (await getStorage()).boards.removeItem(viewer.userId, boardId, { turnId, hash }))) return notFound("board or result");
    revalidatePath("/library");
    return { ok: true, data: { boardId } };
  });
}

export async function listSavedPromptsAction(): Promise<LibraryResult<{ prompts: SavedPrompt[] }>> {
  return run(z.object({}), {}, "prompt", async (viewer) => ({
    ok: true,
    data: { prompts: await (await getStorage()).prompts.list(viewer.userId) },
  }));
}

export async function savePromptAction(input: SavePromptInput): Promise<LibraryResult<{ prompt: SavedPrompt }>> {
  return run(savePromptSchema, input, "prompt", async (viewer, data) => ({
    ok: true,
    data: { prompt: await (await getStorage()).prompts.create(viewer.userId, data) },
  }));
}

export async function deleteSavedPromptAction(input: DeletePromptInput): Promise<LibraryResult<{ promptId: string }>> {
  return run(deletePromptSchema, input, "prompt", async (viewer, { promptId }) => {
    if (!(await (await getStorage()).prompts.delete(viewer.userId, promptId))) return notFound("prompt");
    return { ok: true, data: { promptId } };
  });
}
