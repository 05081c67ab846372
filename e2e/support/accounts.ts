import path from "node:path";
import Database from "better-sqlite3";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

/** An empty browser: no seeded session cookie (e2e/support/auth.ts). */
export async function signedOutContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ storageState: { cookies: [], origins: [] } });
}

export async function fillAccountForm(page: Page, account: { name: string; email?: string; password: string }) {
  const form = page.getByTestId("account-form");
  await form.getByLabel("Name").fill(account.name);
  if (account.email) await form.getByLabel("Email").fill(account.email);
  await form.getByLabel(/^Password/).fill(account.password);
  await form.getByRole("button").click();
}

export async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/sign-in`);
  await fillSignInForm(page, email, password);
}

/** Signs in on the sign-in form the page already shows (e.g. after a redirect with ?next=). */
export async function fillSignInForm(page: Page, email: string, password: string) {
  const form = page.getByTestId("sign-in-form");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/** The admin's People page makes a link; returns it. */
export async function createInvitationLink(adminPage: Page, baseUrl: string, role: "member" | "admin" = "member"): Promise<string> {
  await adminPage.goto(`${baseUrl}/admin/people`);
  const form = adminPage.getByTestId("invite-form");
  await form.getByLabel("Role").selectOption(role);
  const linkField = adminPage.getByTestId("invite-link");
  const previous = (await linkField.count()) > 0 ? await linkField.inputValue() : "";
  await form.getByRole("button").click();
  await expect(linkField).toHaveValue(/\/invite\//);
  await expect(linkField).not.toHaveValue(previous);
  return linkField.inputValue();
}

/** Opens the studio's database beside the running server (WAL allows it) for what a test can't wait for. */
export function withStudioDatabase<T>(dataDir: string, work: (db: Database.Database) => T): T {
  const db = new Database(path.resolve(__dirname, "..", "..", dataDir, "studio.db"));
  try {
    db.pragma("busy_timeout = 5000");
    return work(db);
  } finally {
    db.close();
  }
}
