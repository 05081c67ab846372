import { describe, expect, it } from "vitest";
import { fakePng } from "@/lib/storage/contract";
import { createMemoryStorage } from "@/lib/storage/memory-storage";
import { canViewImage, canViewSession } from "./access";
import { toViewer, type Viewer } from "./auth/viewer";

const ann: Viewer = { userId: "ann", email: "ann@example.com", name: "Ann", role: "member" };
const bob: Viewer = { userId: "bob", email: "bob@example.com", name: "Bob", role: "admin" };

describe("toViewer", () => {
  it("maps better-auth's roles to the studio's and refuses a disabled account", () => {
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "admin" })).toEqual({ userId: "1", email: "a@x", name: "A", role: "admin" });
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "user" })?.role).toBe("member");
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: null })?.role).toBe("member");
    expect(toViewer({ id: "1", email: "a@x", name: "A", role: "admin", banned: true })).toBeNull();
  });
});

describe("access", () => {
  it("shows a session and its images only to its owner; an admin role grants nothing extra", async () => {
    const storage = createMemoryStorage();
    const session = await storage.sessions.create({ ownerId: ann.userId, title: "Ann's" });
    const reference = await storage.images.put(fakePng());
    await storage.turns.create({
      ownerId: ann.userId,
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

    expect(await canViewSession(ann, session)).toBe(true);
    expect(await canViewSession(bob, session)).toBe(false);
    expect(await canViewImage(storage, ann, reference.hash)).toBe(true);
    expect(await canViewImage(storage, bob, reference.hash)).toBe(false);
    expect(await canViewImage(storage, bob, upload.hash)).toBe(true);
    expect(await canViewImage(storage, ann, upload.hash)).toBe(false);
    expect(await canViewImage(storage, ann, "0".repeat(64))).toBe(false);
  });
});
