import { describe, expect, it } from "vitest";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import { canViewSession, sessionAccess, sessionOwnerFor } from "./access";
import type { Viewer } from "./auth/viewer";

const alice: Viewer = { userId: "alice", email: "alice@example.com", name: "Alice", role: "member" };
const bob: Viewer = { userId: "bob", email: "bob@example.com", name: "Bob", role: "member" };
const admin: Viewer = { userId: "root", email: "root@example.com", name: "Root", role: "admin" };

describe("session access", () => {
  it("is owner for one's own session, the share mode for a shared one, null otherwise (admins included)", async () => {
    const storage = createMemoryStorage();
    const session = await storage.sessions.create({ ownerId: "alice", title: "Mine" });
    expect(await sessionAccess(alice, session.id, storage)).toBe("owner");
    expect(await sessionAccess(bob, session.id, storage)).toBeNull();
    // Being an admin does not open other people's sessions.
    expect(await sessionAccess(admin, session.id, storage)).toBeNull();
    expect(await canViewSession(bob, session.id, storage)).toBe(false);

    await storage.shares.set("alice", session.id, "view");
    expect(await sessionAccess(bob, session.id, storage)).toBe("view");
    expect(await sessionOwnerFor(bob, session.id, storage)).toEqual({ access: "view", ownerId: "alice" });
    await storage.shares.set("alice", session.id, "continue");
    expect(await sessionAccess(bob, session.id, storage)).toBe("continue");
    expect(await sessionAccess(alice, session.id, storage)).toBe("owner");

    await storage.shares.remove("alice", session.id);
    expect(await canViewSession(bob, session.id, storage)).toBe(false);
    expect(await sessionOwnerFor(bob, session.id, storage)).toBeNull();
  });

  it("is null without a viewer, for unknown ids and for junk", async () => {
    const storage = createMemoryStorage();
    const session = await storage.sessions.create({ ownerId: "alice", title: "Mine" });
    await storage.shares.set("alice", session.id, "view");
    expect(await sessionAccess(null, session.id, storage)).toBeNull();
    expect(await sessionAccess(alice, "no-such-session", storage)).toBeNull();
    expect(await sessionAccess(alice, "../../etc/passwd", storage)).toBeNull();
    expect(await sessionAccess(alice, 42 as unknown as string, storage)).toBeNull();
  });
});
