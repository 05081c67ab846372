import * as z from "zod/mini";
import { formatInteger } from "@/lib/format/integer";

// Inputs of the budget and sharing actions. No server-only import: the forms validate with the
// same schemas before calling the server, so they use zod/mini (see lib/gemini/types.ts).

export const MAX_BUDGET_USD = 1_000_000;

/** Dollars with at most cents; null means no limit. */
export const budgetUsdSchema = z.nullable(
  z
    .number({ error: "Enter an amount in dollars." })
    .check(
      z.minimum(0, "A budget can't be negative."),
      z.maximum(MAX_BUDGET_USD, `Budgets are limited to $${formatInteger(MAX_BUDGET_USD)} a month.`),
      z.refine((usd) => Math.abs(usd * 100 - Math.round(usd * 100)) < 1e-6, "Use whole cents."),
    ),
);

/** User ids come from the account system; this only keeps junk out. */
export const userIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, "That user id is not valid."));

export const setDefaultBudgetSchema = z.object({ usd: budgetUsdSchema });
export const setUserBudgetSchema = z.object({ userId: userIdSchema, usd: z.union([budgetUsdSchema, z.literal("default")]) });

export type SetDefaultBudgetInput = z.input<typeof setDefaultBudgetSchema>;
export type SetUserBudgetInput = z.input<typeof setUserBudgetSchema>;

/** "12.5" -> 12.5, "" -> null (no limit); NaN for anything else, which the schema refuses. */
export function parseUsdField(text: string): number | null {
  const trimmed = text.trim().replace(/^\$/, "");
  if (trimmed === "") return null;
  return /^\d+(\.\d{1,2})?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}
