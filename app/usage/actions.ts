"use server";

import { revalidatePath } from "next/cache";
import { usdToMicro } from "@/lib/gemini/prices";
import { getViewer } from "@/lib/server/auth/viewer";
import { checkBudget } from "@/lib/server/budgets";
import { getStorage } from "@/lib/storage";
import { isStorageError } from "@/lib/storage/types";
import { STORAGE_FAILED_ACTION, type ActionResult } from "@/lib/studio/result";
import {
  checkBudgetSchema,
  setDefaultBudgetSchema,
  setUserBudgetSchema,
  type CheckBudgetInput,
  type SetDefaultBudgetInput,
  type SetUserBudgetInput,
} from "@/components/usage/budget-schemas";

// Budget actions. Each is a public POST endpoint: parse with zod, authorize from the signed-in
// viewer (never from the input), call storage, answer a typed result.
// audit: setDefaultBudgetAction and setUserBudgetAction should each record a "budget.changed"
// event (who, whose budget, old and new limit) once lib/server/audit.ts exists.

type BudgetErrorCode = "invalid_request" | "not_found" | "budget_exceeded" | "storage_failed";
type BudgetResult<T> = ActionResult<T, BudgetErrorCode>;

const notAllowed = { ok: false, error: { code: "not_found", message: "There is no such page." } } as const;

async function guarded<T>(work: () => Promise<BudgetResult<T>>): Promise<BudgetResult<T>> {
  try {
    return await work();
  } catch (error) {
    const message = isStorageError(error) ? error.message : "The budget could not be saved.";
    return { ok: false, error: { code: "storage_failed", message, action: STORAGE_FAILED_ACTION } };
  }
}

function invalid(issues: { message: string }[]): BudgetResult<never> {
  return { ok: false, error: { code: "invalid_request", message: issues[0]?.message ?? "The request is not valid." } };
}

export async function setDefaultBudgetAction(input: SetDefaultBudgetInput): Promise<BudgetResult<{ limitMicroUsd: number | null }>> {
  const viewer = await getViewer();
  // Members (and strangers) learn nothing about admin endpoints: the same answer as a wrong URL.
  if (viewer?.role !== "admin") return notAllowed;
  const parsed = setDefaultBudgetSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error.issues);
  return guarded(async () => {
    const storage = await getStorage();
    const limit = parsed.data.usd === null ? null : usdToMicro(parsed.data.usd);
    const saved = await storage.budgets.setDefault(limit, viewer.userId);
    revalidatePath("/usage");
    return { ok: true, data: { limitMicroUsd: saved.limitMicroUsd } };
  });
}

export async function setUserBudgetAction(input: SetUserBudgetInput): Promise<BudgetResult<{ userId: string; limitMicroUsd: number | null | "default" }>> {
  const viewer = await getViewer();
  if (viewer?.role !== "admin") return notAllowed;
  const parsed = setUserBudgetSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error.issues);
  const { userId, usd } = parsed.data;
  return guarded<{ userId: string; limitMicroUsd: number | null | "default" }>(async () => {
    const storage = await getStorage();
    if (usd === "default") {
      await storage.budgets.clearOverride(userId);
      revalidatePath("/usage");
      return { ok: true, data: { userId, limitMicroUsd: "default" } };
    }
    const saved = await storage.budgets.setOverride(userId, usd === null ? null : usdToMicro(usd), viewer.userId);
    revalidatePath("/usage");
    return { ok: true, data: { userId, limitMicroUsd: saved.limitMicroUsd } };
  });
}

/**
 * Whether a request with these settings fits the viewer's budget, asked by the composer before it
 * creates a new session, so a refused first image leaves no empty session behind. startTurn checks
 * again; this is only the early answer.
 */
export async function checkBudgetAction(input: CheckBudgetInput): Promise<BudgetResult<{ fits: true }>> {
  const viewer = await getViewer();
  if (!viewer) return notAllowed;
  const parsed = checkBudgetSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error.issues);
  return guarded(async () => {
    const refusal = await checkBudget(await getStorage(), viewer.userId, { settings: parsed.data.settings });
    if (!refusal) return { ok: true, data: { fits: true } };
    return {
      ok: false,
      error: { code: refusal.code, message: refusal.message, action: refusal.action, budget: { leftMicroUsd: refusal.leftMicroUsd, resetsAt: refusal.resetsAt } },
    };
  });
}
