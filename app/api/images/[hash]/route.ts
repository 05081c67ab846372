import { getEnv } from "@/lib/env";
import { createFileImageStore, isContentHash } from "@/lib/storage/image-store";

/**
 * Serves stored images by content hash. The bytes behind a hash never change,
 * so browsers and proxies may cache them forever.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ hash: string }> }) {
  const { hash } = await params;
  if (!isContentHash(hash)) {
    return Response.json({ error: { code: "not_found", message: "No such image." } }, { status: 404 });
  }
  const stored = await createFileImageStore(getEnv().dataDir).get(hash);
  if (!stored) {
    return Response.json({ error: { code: "not_found", message: "No such image." } }, { status: 404 });
  }
  return new Response(new Uint8Array(stored.bytes), {
    headers: {
      "content-type": stored.image.mimeType,
      "content-length": String(stored.image.byteLength),
      "cache-control": "public, max-age=31536000, immutable",
      etag: `"${hash}"`,
      "x-content-type-options": "nosniff",
    },
  });
}
