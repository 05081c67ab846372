import { expect, test, type Page, type Request as PwRequest } from "@playwright/test";
import { StudioPage } from "./pages/studio-page";
import { createInvitationLink, fillAccountForm, fillSignInForm, signedOutContext, signIn, withStudioDatabase } from "./support/accounts";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

// Accounts end to end, on a studio of its own that starts with nobody: the first admin, invitations,
// two members who each see only their own work, sign-in failures, forged cookies, CSRF, actions
// without a session, and disabling someone.

const port = STUDIO_PORTS.auth;
const dataDir = ".e2e-data/auth";
const MAX_FAILURES = 3;

const admin = { name: "Ada Admin", email: "ada@example.com", password: "admin-password-1" };
const memberA = { name: "Alice Member", email: "alice@example.com", password: "alice-password-1" };
const memberB = { name: "Bob Member", email: "bob@example.com", password: "bob-password-12" };

// Several browsers sign in and generate in one test, on a machine shared with other runs.
test.describe.configure({ mode: "serial", timeout: 240_000 });

test.describe("accounts", () => {
  let server: StudioProcess;
  let baseUrl: string;

  test.beforeAll(async () => {
    // No seeded e2e session: this studio must start empty and ask for setup.
    server = startStudio({ port, dataDir, env: { STUDIO_E2E_SESSION_TOKEN: "", STUDIO_SIGN_IN_MAX_FAILURES: String(MAX_FAILURES) } });
    await server.waitUntilHealthy();
    baseUrl = server.baseUrl;
  });

  test.afterAll(async () => {
    await server?.stop();
  });

  test("first run: every page leads to setup, and the first account becomes the admin", async ({ browser }) => {
    const context = await signedOutContext(browser);
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await expect(page).toHaveURL(`${baseUrl}/setup`);
    await expect(page.getByText("becomes the admin")).toBeVisible();
    // The sign-in page also sends a studio with nobody to setup.
    await page.goto(`${baseUrl}/sign-in`);
    await expect(page).toHaveURL(`${baseUrl}/setup`);

    await fillAccountForm(page, admin);
    await expect(page).toHaveURL(`${baseUrl}/`);
    await expect(page.getByTestId("user-name")).toHaveText(admin.name);
    await expect(page.getByTestId("admin-link")).toBeVisible();

    // Setup is closed now.
    await page.goto(`${baseUrl}/setup`);
    await expect(page).not.toHaveURL(/\/setup$/);
    await context.close();
  });

  test("members join by invitation link; each sees only their own sessions; the other's are 404", async ({ browser }) => {
    const adminContext = await signedOutContext(browser);
    const adminPage = await adminContext.newPage();
    await signIn(adminPage, baseUrl, admin.email, admin.password);
    await expect(adminPage).toHaveURL(`${baseUrl}/`);

    const join = async (account: typeof memberA): Promise<Page> => {
      const link = await createInvitationLink(adminPage, baseUrl);
      const context = await signedOutContext(browser);
      const page = await context.newPage();
      await page.goto(link);
      await fillAccountForm(page, account);
      await expect(page).toHaveURL(`${baseUrl}/`);
      await expect(page.getByTestId("user-name")).toHaveText(account.name);
      await expect(page.getByTestId("admin-link")).toHaveCount(0);
      // The link was single use.
      await page.goto(link);
      await expect(page.getByTestId("invitation-invalid")).toBeVisible();
      return page;
    };
    const alice = await join(memberA);
    const bob = await join(memberB);

    // Alice makes a session; the server action request is kept for the replay test below.
    const actions: PwRequest[] = [];
    alice.on("request", (request) => {
      if (request.method() === "POST" && request.headers()["next-action"]) actions.push(request);
    });
    const studio = new StudioPage(alice);
    await studio.goto(`${baseUrl}/`);
    await studio.generate("Alice's private banana");
    await studio.waitForStatus("succeeded");
    await expect(alice).toHaveURL(/\/s\/[\w-]+\?turn=[\w-]+$/);
    const url = new URL(alice.url());
    const sessionId = url.pathname.split("/").at(-1)!;
    const turnId = url.searchParams.get("turn")!;
    const imageSrc = await studio.resultImages.first().getAttribute("src");
    const hash = /\/api\/images\/([0-9a-f]{64})/.exec(imageSrc ?? "")?.[1];
    expect(hash).toBeTruthy();
    expect((await alice.request.get(`${baseUrl}/api/images/${hash}`)).status()).toBe(200);
    expect((await alice.request.get(`${baseUrl}/api/sessions/${sessionId}/export`)).status()).toBe(200);
    // A turn read whole (what the studio asks for when it shows a turn the page sent as a summary).
    const turnDetails = `/api/sessions/${sessionId}/turns/${turnId}`;
    const read = await alice.request.get(`${baseUrl}${turnDetails}`);
    expect(read.status()).toBe(200);
    expect(((await read.json()) as { turn: { id: string; request: { prompt: string } } }).turn).toMatchObject({ id: turnId, request: { prompt: "Alice's private banana" } });

    // Bob: his sidebar doesn't list it, and every way in answers 404, never 403.
    await bob.goto(`${baseUrl}/`);
    await expect(bob.getByText("Alice's private banana")).toHaveCount(0);
    const bobGets = async (path: string) => (await bob.request.get(`${baseUrl}${path}`)).status();
    const sessionPage = await bob.goto(`${baseUrl}/s/${sessionId}?turn=${turnId}`);
    expect(sessionPage?.status()).toBe(404);
    expect(await bobGets(`/api/images/${hash}`)).toBe(404);
    expect(await bobGets(`/api/images/${hash}/thumbnail?w=96`)).toBe(404);
    expect(await bobGets(`/api/sessions/${sessionId}/export`)).toBe(404);
    expect(await bobGets(`/api/turns/${turnId}/events`)).toBe(404);
    const bobReads = await bob.request.get(`${baseUrl}${turnDetails}`);
    expect(bobReads.status()).toBe(404);
    expect(await bobReads.text()).not.toContain("banana");

    // Signed out, the same URLs are 401 and pages go to the sign-in form.
    const anonymous = await signedOutContext(browser);
    const anonymousPage = await anonymous.newPage();
    expect((await anonymous.request.get(`${baseUrl}/api/images/${hash}`)).status()).toBe(401);
    expect((await anonymous.request.get(`${baseUrl}/api/turns/${turnId}/events`)).status()).toBe(401);
    const anonymousReads = await anonymous.request.get(`${baseUrl}${turnDetails}`);
    expect(anonymousReads.status()).toBe(401);
    expect(await anonymousReads.text()).not.toContain("banana");
    await anonymousPage.goto(`${baseUrl}/s/${sessionId}?turn=${turnId}`);
    await expect(anonymousPage).toHaveURL(`${baseUrl}/sign-in?next=${encodeURIComponent(`/s/${sessionId}?turn=${turnId}`)}`);

    // Signing in there comes back to the page asked for; a next= that leaves the studio goes home.
    const returning = await signedOutContext(browser);
    const returningPage = await returning.newPage();
    await returningPage.goto(`${baseUrl}/s/${sessionId}?turn=${turnId}`);
    await fillSignInForm(returningPage, memberA.email, memberA.password);
    await expect(returningPage).toHaveURL(`${baseUrl}/s/${sessionId}?turn=${turnId}`);
    await expect(new StudioPage(returningPage).resultImages.first()).toBeVisible();
    await returningPage.goto(`${baseUrl}/sign-in?next=${encodeURIComponent("//evil.example/x")}`);
    await expect(returningPage).toHaveURL(`${baseUrl}/`);
    await returning.close();

    // A server action replayed without a session cookie: a typed "unauthenticated", nothing made.
    const action = actions.find((request) => (request.postData() ?? "").includes("Alice's private banana")) ?? actions[0];
    expect(action).toBeTruthy();
    const headers = { ...action!.headers() };
    delete headers.cookie;
    const replay = await anonymous.request.post(action!.url(), { headers, data: action!.postData() ?? "" });
    expect(await replay.text()).toContain("unauthenticated");

    // The same action from another origin, with Alice's cookie: Next refuses it before it runs.
    const before = withStudioDatabase(dataDir, (db) => (db.prepare("SELECT count(*) AS n FROM turns").get() as { n: number }).n);
    const aliceCookies = await alice.context().cookies(baseUrl);
    const cookieHeader = aliceCookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
    const foreign = await anonymous.request.post(action!.url(), {
      headers: { ...headers, cookie: cookieHeader, origin: "http://evil.example" },
      data: action!.postData() ?? "",
    });
    expect(foreign.status()).toBeGreaterThanOrEqual(400);
    expect(withStudioDatabase(dataDir, (db) => (db.prepare("SELECT count(*) AS n FROM turns").get() as { n: number }).n)).toBe(before);

    // Sharing between the two: view only shows Alice's turns and who shared them, with no way to
    // continue; "can continue" lets Bob branch from her turn into a session of his own, which hers
    // doesn't gain; unshared, it is a 404 for him again.
    const shareAs = async (choice: "view" | "continue" | "off") => {
      await alice.goto(`${baseUrl}/s/${sessionId}`);
      await alice.getByTestId("share-button").click();
      await alice.getByTestId(`share-${choice}`).click();
      await expect(alice.getByTestId("share-button")).toHaveAttribute("data-share-mode", choice);
    };
    await shareAs("view");
    await bob.goto(`${baseUrl}/gallery`);
    const shared = bob.locator(`[data-testid="gallery-item"][data-session-id="${sessionId}"]`);
    await expect(shared.getByTestId("gallery-owner")).toHaveText(memberA.name);
    await shared.getByRole("link").click();
    await expect(bob).toHaveURL(new RegExp(`/s/${sessionId}`));
    await expect(bob.getByTestId("shared-by")).toHaveText(`Shared by ${memberA.name} · view only`);
    await expect(bob.getByTestId("shared-turn")).toHaveCount(1);
    await expect(bob.getByTestId("continue-shared-turn")).toHaveCount(0);
    expect(await bobGets(`/api/images/${hash}`)).toBe(200);

    await shareAs("continue");
    await bob.goto(`${baseUrl}/s/${sessionId}`);
    await expect(bob.getByTestId("shared-by")).toContainText("can continue");
    await bob.getByTestId("continue-shared-turn").click();
    await expect(bob).toHaveURL(/\/s\/[\w-]+\?turn=[\w-]+$/);
    const bobSession = new URL(bob.url()).pathname.split("/").at(-1)!;
    expect(bobSession).not.toBe(sessionId);
    await expect(bob.getByTestId("session-title")).toBeAttached();
    const owners = withStudioDatabase(dataDir, (db) =>
      db.prepare("SELECT id, owner_id AS ownerId FROM sessions WHERE id IN (?, ?)").all(sessionId, bobSession) as Array<{ id: string; ownerId: string }>,
    );
    expect(new Set(owners.map((row) => row.ownerId)).size).toBe(2);
    const aliceTurns = withStudioDatabase(dataDir, (db) => (db.prepare("SELECT count(*) AS n FROM turns WHERE session_id = ?").get(sessionId) as { n: number }).n);
    expect(aliceTurns).toBe(1);

    await shareAs("off");
    expect(await bobGets(`/s/${sessionId}`)).toBe(404);

    await anonymous.close();
    await alice.context().close();
    await bob.context().close();
    await adminContext.close();
  });

  test("sign-in: wrong password, lock after repeated failures, forged cookie, CSRF from another origin", async ({ browser }) => {
    const context = await signedOutContext(browser);
    const page = await context.newPage();

    await signIn(page, baseUrl, memberA.email, "not-the-password");
    await expect(page.getByTestId("form-error")).toHaveText("Email or password is wrong.");
    // An unknown email gets the very same words.
    await signIn(page, baseUrl, "nobody@example.com", "not-the-password");
    await expect(page.getByTestId("form-error")).toHaveText("Email or password is wrong.");

    // Lock: after MAX_FAILURES failures even the right password is refused for a while.
    for (let i = 1; i < MAX_FAILURES; i += 1) {
      await signIn(page, baseUrl, memberA.email, `wrong-${i}-password`);
      await expect(page.getByTestId("form-error")).toBeVisible();
    }
    await signIn(page, baseUrl, memberA.email, memberA.password);
    await expect(page.getByTestId("form-error")).toContainText("Too many failed sign-ins");
    await expect(page).toHaveURL(`${baseUrl}/sign-in`);

    // A forged session cookie is no session.
    await context.addCookies([{ name: "better-auth.session_token", value: "forged-token.c2lnbmF0dXJl", url: baseUrl }]);
    await page.goto(`${baseUrl}/`);
    await expect(page).toHaveURL(`${baseUrl}/sign-in`);
    expect((await context.request.get(`${baseUrl}/api/sessions/anything/export`)).status()).toBe(401);

    // CSRF: a sign-in posted from another site is refused by better-auth's origin check.
    const csrf = await context.request.post(`${baseUrl}/api/auth/sign-in/email`, {
      headers: { origin: "http://evil.example", "content-type": "application/json" },
      data: { email: memberB.email, password: memberB.password },
    });
    expect(csrf.status()).toBe(403);
    expect(csrf.headers()["set-cookie"] ?? "").not.toContain("session_token");
    await context.close();
  });

  test("an expired invitation can't be used", async ({ browser }) => {
    const adminContext = await signedOutContext(browser);
    const adminPage = await adminContext.newPage();
    await signIn(adminPage, baseUrl, admin.email, admin.password);
    await expect(adminPage).toHaveURL(`${baseUrl}/`);
    const link = await createInvitationLink(adminPage, baseUrl);
    // Seven days can't pass in a test; move the expiry instead.
    withStudioDatabase(dataDir, (db) => db.prepare("UPDATE studio_invitation SET expires_at = ? WHERE used_at IS NULL").run("2000-01-01T00:00:00.000Z"));
    const context = await signedOutContext(browser);
    const page = await context.newPage();
    await page.goto(link);
    await expect(page.getByTestId("invitation-invalid")).toBeVisible();
    await context.close();
    await adminContext.close();
  });

  test("a disabled member is signed out and refused at once", async ({ browser }) => {
    // The specs before this one signed in many times from this one address: start with a fresh
    // better-auth rate-limit window, as a minute's wait would.
    withStudioDatabase(dataDir, (db) => db.prepare('DELETE FROM "rateLimit"').run());
    const bobContext = await signedOutContext(browser);
    const bob = await bobContext.newPage();
    await signIn(bob, baseUrl, memberB.email, memberB.password);
    await expect(bob).toHaveURL(`${baseUrl}/`);

    const adminContext = await signedOutContext(browser);
    const adminPage = await adminContext.newPage();
    await signIn(adminPage, baseUrl, admin.email, admin.password);
    await expect(adminPage).toHaveURL(`${baseUrl}/`);
    await adminPage.goto(`${baseUrl}/admin/people`);
    const row = adminPage.locator(`[data-testid="person-row"][data-email="${memberB.email}"]`);
    await row.getByTestId("disable-person").click();
    await expect(row).toContainText("Disabled");

    // His next request, of any kind, finds no session.
    expect((await bobContext.request.get(`${baseUrl}/api/sessions/x/export`)).status()).toBe(401);
    await bob.goto(`${baseUrl}/`);
    await expect(bob).toHaveURL(`${baseUrl}/sign-in`);
    await signIn(bob, baseUrl, memberB.email, memberB.password);
    await expect(bob.getByTestId("form-error")).toContainText("disabled");

    // Members can't reach the admin pages: the same 404 as an unknown page.
    const aliceContext = await signedOutContext(browser);
    const alice = await aliceContext.newPage();
    // Alice's address was locked by the previous test; clear it as an admin would by waiting.
    withStudioDatabase(dataDir, (db) => db.prepare("DELETE FROM studio_sign_in_failure").run());
    await signIn(alice, baseUrl, memberA.email, memberA.password);
    await expect(alice).toHaveURL(`${baseUrl}/`);
    expect((await alice.goto(`${baseUrl}/admin/people`))?.status()).toBe(404);

    await adminPage.goto(`${baseUrl}/admin/audit`);
    for (const action of ["setup.admin_created", "invitation.created", "invitation.accepted", "sign_in", "sign_in.failed", "sign_in.locked", "user.disabled"]) {
      await expect(adminPage.locator(`[data-testid="audit-row"][data-action="${action}"]`).first()).toBeVisible();
    }
    await aliceContext.close();
    await bobContext.close();
    await adminContext.close();
  });
});
