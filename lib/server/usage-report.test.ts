import { describe, expect, it } from "vitest";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import { monthOf } from "./budgets";
import { loadUsageReport } from "./usage-report";

const NOW = new Date("2026-12-15T12:00:00.000Z");
const ADMIN = { userId: "admin", email: "admin@example.com", name: "Ada", role: "admin" as const };
const MEMBER = { userId: "bob", email: "bob@example.com", name: "Bob", role: "member" as const };

describe("loadUsageReport", () => {
  it("gives every person the team's default limit or their own override, alphabetically", async () => {
    const storage = createMemoryStorage();
    await storage.budgets.setDefault(5_000_000, ADMIN.userId);
    await storage.budgets.setOverride("bob", 20_000_000, ADMIN.userId);
    await storage.budgets.setOverride("gone", null, ADMIN.userId);
    const people = [
      { id: "admin", name: "Ada", email: "admin@example.com" },
      { id: "bob", name: "Bob", email: "bob@example.com" },
      { id: "cy", name: "Cy", email: "cy@example.com" },
    ];
    const report = await loadUsageReport(storage, ADMIN, monthOf(NOW), NOW, people);
    expect(report.team?.defaultLimitMicroUsd).toBe(5_000_000);
    expect(report.team?.users.map(({ userId, limitMicroUsd, source }) => ({ userId, limitMicroUsd, source }))).toEqual([
      { userId: "admin", limitMicroUsd: 5_000_000, source: "default" },
      { userId: "bob", limitMicroUsd: 20_000_000, source: "override" },
      { userId: "cy", limitMicroUsd: 5_000_000, source: "default" },
      // Someone without an account any more still shows with the budget of their own (here: no limit).
      { userId: "gone", limitMicroUsd: null, source: "override" },
    ]);
  });

  it("shows a member only their own figures", async () => {
    const storage = createMemoryStorage();
    await storage.budgets.setOverride("bob", 1_000_000, ADMIN.userId);
    const report = await loadUsageReport(storage, MEMBER, monthOf(NOW), NOW);
    expect(report.team).toBeNull();
    expect(report.own).toMatchObject({ limitMicroUsd: 1_000_000, source: "override", spentMicroUsd: 0 });
  });
});
