import { describe, expect, it } from "vitest";
import { continueSharedTurnSchema, shareSessionSchema } from "@/components/studio/share-schemas";
import { parseUsdField, setDefaultBudgetSchema, setUserBudgetSchema } from "./budget-schemas";

describe("budget inputs", () => {
  it("take whole cents from 0 up, or null for no limit", () => {
    for (const usd of [0, 0.01, 12.5, 20, 1_000_000, null]) expect(setDefaultBudgetSchema.safeParse({ usd }).success, String(usd)).toBe(true);
    for (const usd of [-0.01, 0.001, 1_000_000.01, Number.NaN, Number.POSITIVE_INFINITY, "20", undefined, {}]) {
      expect(setDefaultBudgetSchema.safeParse({ usd }).success, String(usd)).toBe(false);
    }
  });

  it("name a user by a plain id and accept 'default' to drop an override", () => {
    expect(setUserBudgetSchema.safeParse({ userId: "u_1-A", usd: "default" }).success).toBe(true);
    expect(setUserBudgetSchema.safeParse({ userId: "u1", usd: 5 }).success).toBe(true);
    for (const userId of ["", "../x", "a b", "x".repeat(129), 7]) expect(setUserBudgetSchema.safeParse({ userId, usd: 5 }).success).toBe(false);
    expect(setUserBudgetSchema.safeParse({ userId: "u1", usd: "none" }).success).toBe(false);
  });

  it("parse the form's text strictly", () => {
    expect(parseUsdField(" $12.50 ")).toBe(12.5);
    expect(parseUsdField("")).toBeNull();
    for (const text of ["12.505", "1e3", "-1", "12,50", "abc"]) expect(Number.isNaN(parseUsdField(text))).toBe(true);
  });
});

describe("share inputs", () => {
  it("take a session id and one of off, view, continue", () => {
    expect(shareSessionSchema.safeParse({ sessionId: "abc-1", mode: "view" }).success).toBe(true);
    expect(shareSessionSchema.safeParse({ sessionId: "abc-1", mode: "edit" }).success).toBe(false);
    expect(shareSessionSchema.safeParse({ sessionId: "../abc", mode: "off" }).success).toBe(false);
    expect(continueSharedTurnSchema.safeParse({ sessionId: "s1", turnId: "t1" }).success).toBe(true);
    expect(continueSharedTurnSchema.safeParse({ sessionId: "s1" }).success).toBe(false);
  });
});
