import { expect, test, type Page } from "@playwright/test";
import { signedOutContext } from "./support/accounts";
import { startOidcIssuer, type OidcIssuer } from "./support/oidc-issuer";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

// Single sign-on against a real OpenID Connect issuer (oidc-provider) started here: someone from an
// allowed email domain joins without an invitation; anyone else is refused and gets no account.

const port = STUDIO_PORTS.authSso;
const dataDir = ".e2e-data/auth-sso";

test.describe.configure({ timeout: 120_000 });

test.describe("single sign-on", () => {
  let issuer: OidcIssuer;
  let server: StudioProcess;

  test.beforeAll(async () => {
    issuer = await startOidcIssuer({ redirectUri: `http://127.0.0.1:${port}/api/auth/callback/sso` });
    // The seeded e2e admin exists, so this studio shows the sign-in form rather than setup.
    server = startStudio({
      port,
      dataDir,
      env: {
        // The redirect URI the issuer knows is built from it.
        BETTER_AUTH_URL: `http://127.0.0.1:${port}`,
        STUDIO_OIDC_ISSUER: issuer.issuer,
        STUDIO_OIDC_CLIENT_ID: issuer.clientId,
        STUDIO_OIDC_CLIENT_SECRET: issuer.clientSecret,
        STUDIO_OIDC_ALLOWED_DOMAINS: "allowed.test, example.org",
      },
    });
    await server.waitUntilHealthy();
  });

  test.afterAll(async () => {
    await server?.stop();
    await issuer?.close();
  });

  async function signInWithSso(page: Page, login: string) {
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByTestId("sso-button").click();
    await page.waitForURL((url) => url.origin === issuer.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("anything");
    await page.getByRole("button", { name: "Sign-in" }).click();
    const consent = page.getByRole("button", { name: "Continue" });
    await page.waitForURL((url) => url.origin === server.baseUrl || url.pathname.includes("interaction"));
    if (new URL(page.url()).origin === issuer.issuer) await consent.click();
    await page.waitForURL((url) => url.origin === server.baseUrl);
  }

  test("an allowed domain signs up as a member; a second sign-in reuses the account", async ({ browser }) => {
    const context = await signedOutContext(browser);
    const page = await context.newPage();
    await signInWithSso(page, "carol@allowed.test");
    await expect(page).toHaveURL(`${server.baseUrl}/`);
    await expect(page.getByTestId("user-name")).toHaveText("carol");
    await expect(page.getByTestId("admin-link")).toHaveCount(0);
    await context.close();

    const again = await signedOutContext(browser);
    const second = await again.newPage();
    await signInWithSso(second, "carol@allowed.test");
    await expect(second.getByTestId("user-name")).toHaveText("carol");
    await again.close();
  });

  test("another domain is refused and no account is made", async ({ browser }) => {
    const context = await signedOutContext(browser);
    const page = await context.newPage();
    await signInWithSso(page, "mallory@elsewhere.test");
    await expect(page).toHaveURL(/\/sign-in\?error=domain_not_allowed/);
    await expect(page.getByTestId("form-error")).toContainText("may not join");
    await page.goto(`${server.baseUrl}/`);
    await expect(page).toHaveURL(`${server.baseUrl}/sign-in`);
    await context.close();
  });
});
