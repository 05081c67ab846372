import { Readable } from "node:stream";
import { isAcceptedMimeType } from "@/lib/images/limits";
import { canViewImage } from "@/lib/server/access";
import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { getImageStore, getStorage } from "@/lib/storage";
import { imageHashSchema } from "@/lib/studio/session-schemas";

/**
 * Serves stored images by content hash. The bytes behind a hash never change, so browsers and
 * proxies may cache them forever.
 *
 * Only a well-formed SHA-256 reaches the store (so no path, encoded or not, can name another file),
 * and only raster types the studio itself stores are served, with the type read from the bytes and
 * `nosniff`: a file that is not one of those (an SVG, HTML dropped into the data directory) is
 * answered like a missing one rather than served from the studio's origin.
 *
 * Only for someone who may see the image (lib/server/access.ts); to anyone else an existing hash
 * looks exactly like an unknown one. The bytes still never change, so the browser keeps them, but
 * privately: a shared cache must not hand one person's image to another.
 */
function notFound(): Response {
  return Response.json({ error: { code: "not_found", message: "No such image." } }, { status: 404, headers: { "cache-control": "no-store" } });
}

export async function GET(_request: Request, { params }: { params: Promise<{ hash: string }> }) {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const parsed = imageHashSchema.safeParse((await params).hash);
  if (!parsed.success) return notFound();
  const hash = parsed.data;
  if (!(await canViewImage(await getStorage(), viewer, hash))) return notFound();
  // Streamed from the store: a whole image read into memory per request costs several copies of it
  // (lib/storage/image-store.ts, stream()), and 6 MB originals read back during a burst of uploads
  // kept the garbage collector, and so every other request, busy.
  const stored = await (await getImageStore()).stream(hash);
  if (!stored) return notFound();
  if (!isAcceptedMimeType(stored.image.mimeType)) {
    stored.body.destroy();
    return notFound();
  }
  return new Response(Readable.toWeb(stored.body) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": stored.image.mimeType,
      "content-length": String(stored.image.byteLength),
      "cache-control": "private, max-age=31536000, immutable",
      etag: `"${hash}"`,
      "x-content-type-options": "nosniff",
    },
  });
}
