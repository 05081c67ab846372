import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { getStorage } from "@/lib/storage";
import { attachmentContentDisposition, buildSessionExport } from "@/lib/server/export";
import { storageIdSchema } from "@/lib/studio/session-schemas";
import { createZipStream } from "@/lib/server/zip";

/**
 * A session as a zip download: final images, reference images, Google's search suggestions and
 * session.json (see lib/server/export.ts). The archive is streamed as it is written, one image
 * at a time, so its size is not known up front and there is no content-length.
 */

function error(status: number, code: "not_found" | "storage_failed" | "internal", message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });
}

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const parsed = storageIdSchema.safeParse((await params).id);
  // A malformed id names no session; it gets the same answer as an unknown one.
  if (!parsed.success) return error(404, "not_found", "No such session.");
  const id = parsed.data;
  let storage;
  try {
    storage = await getStorage();
  } catch {
    return error(503, "storage_failed", "The studio's storage could not be opened.");
  }
  let result;
  try {
    result = await buildSessionExport(storage, viewer.userId, id);
  } catch {
    return error(500, "internal", "The export could not be prepared.");
  }
  if (!result.ok) {
    return result.error.code === "not_found"
      ? error(404, "not_found", "No such session.")
      : error(503, "storage_failed", result.error.message);
  }
  const { fileName, asciiFileName, entries } = result.data;
  return new Response(createZipStream(entries()), {
    headers: {
      "content-type": "application/zip",
      "content-disposition": attachmentContentDisposition(fileName, asciiFileName),
      // The session changes with every turn; an export is a snapshot of the moment it was asked for.
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
