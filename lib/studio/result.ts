/** What every server action returns: a typed result, never a thrown error across the boundary. */
export type ActionResult<T, Code extends string = string> =
  | { ok: true; data: T }
  | { ok: false; error: { code: Code; message: string; action?: string; detail?: string; retryAfterMs?: number; budget?: BudgetDetail } };

/** With a "budget_exceeded" refusal: what is left this month and when the budget resets (ISO, UTC). */
export interface BudgetDetail {
  leftMicroUsd: number;
  resetsAt: string;
}

/** What the operator should do when the data directory can't be used: one wording everywhere. */
export const STORAGE_FAILED_ACTION = "Check STUDIO_DATA_DIR: the directory must exist or be creatable, and be writable.";
