"use server";

import { revalidatePath } from "next/cache";
import { usdToMicro } from "@/lib/gemini/prices";
import { recordAudit } from "@/lib/server/audit";
import { getViewer } from "@/lib/server/auth/viewer";
import { getStorage } from "@/lib/storage";
import { isStorageError } from "@/lib/storage/types";
import { STORAGE_FAILED_ACTION, type ActionResult } from "@/lib/studio/result";
import { setDefaultBudgetSchema, setUserBudgetSchema, type SetDefaultBudgetInput, type SetUserBudgetInput } from "@/components/usage/budget-schemas";

// Budget actions. Each is a public POST endpoint: parse with zod, authorize from the signed-in
// viewer (never from the input), call storage, answer a typed result.
// Budget changes go to the audit log (who, whose budget, old and new limit).

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

/** A limit as the audit log shows it. */
function describeLimit(limitMicroUsd: number | null): string {
  return limitMicroUsd === null ? "no limit" : `$${(limitMicroUsd / 1_000_000).toFixed(2)} a month`;
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
    const before = await storage.budgets.getDefault();
    const saved = await storage.budgets.setDefault(limit, viewer.userId);
    await recordAudit({
      action: "budget.changed",
      actorId: viewer.userId,
      actorEmail: viewer.email,
      target: "default",
      detail: `${describeLimit(before.limitMicroUsd)} → ${describeLimit(saved.limitMicroUsd)}`,
    });
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
    const before = await storage.budgets.getOverride(userId);
    const audit = (after: string) =>
      recordAudit({
        action: "budget.changed",
        actorId: viewer.userId,
        actorEmail: viewer.email,
        target: userId,
        detail: `${before ? describeLimit(before.limitMicroUsd) : "team default"} → ${after}`,
      });
    if (usd === "default") {
      if (await storage.budgets.clearOverride(userId)) await audit("team default");
      revalidatePath("/usage");
      return { ok: true, data: { userId, limitMicroUsd: "default" } };
    }
    const saved = await storage.budgets.setOverride(userId, usd === null ? null : usdToMicro(usd), viewer.userId);
    await audit(describeLimit(saved.limitMicroUsd));
    revalidatePath("/usage");
    return { ok: true, data: { userId, limitMicroUsd: saved.limitMicroUsd } };
  });
}
