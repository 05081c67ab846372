import { describe, expect, it } from "vitest";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import { fakePng } from "@/lib/storage/contract";
import { canViewImage, canViewSession, sessionAccess, sessionOwnerFor } from "./access";
import { toViewer, type Viewer } from "./auth/viewer";

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

describe("toViewer", () => {
  it("maps better-auth's roles to the studio's and refuses a disabled account", () => {
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "admin" })).toEqual({ userId: "1", email: "a@x", name: "A", role: "admin" });
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "user" })?.role).toBe("member");
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: null })?.role).toBe("member");
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "admin", banned: true })).toBeNull();
  });
});

describe("image access", () => {
  it("shows a session's images to its owner, to the team once shared, and uploads only to the uploader; an admin role grants nothing extra", async () => {
    const storage = createMemoryStorage();
    const session = await storage.sessions.create({ ownerId: alice.userId, title: "Alice's" });
    const reference = await storage.images.put(fakePng());
    await storage.turns.create({
      ownerId: alice.userId,
      sessionId: session.id,
      parentId: null,
      request: {
        prompt: "x",
        references: [{ hash: reference.hash, mimeType: "image/png", width: 1, height: 1 }],
        settings: { model: "m", imageSize: "1K", aspectRatio: "1:1", showThoughts: false, webSearch: false, imageSearch: false, imageOnly: false },
      },
    });
    const upload = await storage.images.put(fakePng());
    await storage.imageAccess.recordUpload(bob.userId, upload.hash);

    expect(await canViewImage(storage, alice, reference.hash)).toBe(true);
    expect(await canViewImage(storage, bob, reference.hash)).toBe(false);
    expect(await canViewImage(storage, admin, reference.hash)).toBe(false);
    expect(await canViewImage(storage, null, reference.hash)).toBe(false);
    expect(await canViewImage(storage, bob, upload.hash)).toBe(true);
    expect(await canViewImage(storage, alice, upload.hash)).toBe(false);
    expect(await canViewImage(storage, alice, "0".repeat(64))).toBe(false);

    await storage.shares.set(alice.userId, session.id, "view");
    expect(await canViewImage(storage, bob, reference.hash)).toBe(true);
    await storage.shares.remove(alice.userId, session.id);
    expect(await canViewImage(storage, bob, reference.hash)).toBe(false);
  });
});
