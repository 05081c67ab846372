import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStudioAuthTables, type AuthTables } from "./database";
import { claimInvitation, createInvitation, findUsableInvitation, listPendingInvitations, releaseInvitation, revokeInvitation } from "./invitations";
import { clearSignInFailures, isSignInLocked, noteSignInFailure } from "./lockout";

let db: Kysely<AuthTables>;

beforeEach(async () => {
  db = new Kysely<AuthTables>({ dialect: new SqliteDialect({ database: new Database(":memory:") }) });
  await createStudioAuthTables(db);
  // A second start finds the tables there and changes nothing.
  await createStudioAuthTables(db);
});

afterEach(async () => {
  await db.destroy();
});

const t0 = new Date("2026-12-01T10:00:00.000Z");
const later = (ms: number) => new Date(t0.getTime() + ms);

describe("invitations", () => {
  it("stores only the token's hash and finds the invitation by its token until it expires", async () => {
    const { invitation, token } = await createInvitation(db, { role: "member", email: "Ann@Example.com", createdBy: "admin-1" }, t0, 60_000);
    expect(invitation).toMatchObject({ role: "member", email: "ann@example.com", expiresAt: "2026-12-01T10:01:00.000Z" });
    const rows = await db.selectFrom("studio_invitation").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(await findUsableInvitation(db, token, later(59_999))).toMatchObject({ id: invitation.id });
    expect(await findUsableInvitation(db, token, later(60_000))).toBeNull();
    expect(await claimInvitation(db, token, later(60_001))).toBeNull();
    expect(await findUsableInvitation(db, "not-a-token-at-all-but-long-enough", t0)).toBeNull();
    expect(await findUsableInvitation(db, "../../x", t0)).toBeNull();
  });

  it("is single use: one claim wins, a released claim can be used again", async () => {
    const { token } = await createInvitation(db, { role: "admin", email: null, createdBy: "admin-1" }, t0);
    const [first, second] = await Promise.all([claimInvitation(db, token, t0), claimInvitation(db, token, t0)]);
    expect([first, second].filter((claim) => claim !== null)).toHaveLength(1);
    expect(await claimInvitation(db, token, t0)).toBeNull();
    expect(await listPendingInvitations(db, t0)).toEqual([]);

    await releaseInvitation(db, (first ?? second)!.id);
    expect(await claimInvitation(db, token, t0)).toMatchObject({ role: "admin" });
  });

  it("can be withdrawn while pending, not after use", async () => {
    const pending = await createInvitation(db, { role: "member", email: null, createdBy: "a" }, t0);
    const used = await createInvitation(db, { role: "member", email: null, createdBy: "a" }, t0);
    await claimInvitation(db, used.token, t0);
    expect(await revokeInvitation(db, used.invitation.id)).toBe(false);
    expect(await revokeInvitation(db, pending.invitation.id)).toBe(true);
    expect(await findUsableInvitation(db, pending.token, t0)).toBeNull();
  });
});

describe("sign-in lockout", () => {
  it("locks an email after N failures for the lock time, then counts afresh; success clears it", async () => {
    const email = "ann@example.com";
    for (let i = 0; i < 2; i += 1) await noteSignInFailure(db, email, 3, 60_000, t0);
    expect(await isSignInLocked(db, email, t0)).toBe(false);
    await noteSignInFailure(db, email, 3, 60_000, t0);
    expect(await isSignInLocked(db, email, later(59_999))).toBe(true);
    expect(await isSignInLocked(db, "bob@example.com", t0)).toBe(false);
    expect(await isSignInLocked(db, email, later(60_000))).toBe(false);

    await noteSignInFailure(db, email, 3, 60_000, later(60_001));
    expect(await isSignInLocked(db, email, later(60_002))).toBe(false);
    await noteSignInFailure(db, email, 3, 60_000, later(60_003));
    await clearSignInFailures(db, email);
    await noteSignInFailure(db, email, 3, 60_000, later(60_004));
    expect(await isSignInLocked(db, email, later(60_005))).toBe(false);
  });
});
