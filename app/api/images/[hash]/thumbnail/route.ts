import { getEnv } from "@/lib/env";
import { getThumbnail, parseThumbnailWidth } from "@/lib/images/thumbnails";
import { canViewImage } from "@/lib/server/access";
import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { getImageStore, getStorage } from "@/lib/storage";
import { imageHashSchema } from "@/lib/studio/session-schemas";

function notFound(): Response {
  return Response.json({ error: { code: "not_found", message: "No such image." } }, { status: 404, headers: { "cache-control": "no-store" } });
}

/** GET /api/images/{hash}/thumbnail?w=96|192|384 — a small WebP, immutable and private like the original. */
export async function GET(request: Request, { params }: { params: Promise<{ hash: string }> }) {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const parsed = imageHashSchema.safeParse((await params).hash);
  const width = parseThumbnailWidth(new URL(request.url).searchParams.get("w"));
  if (!parsed.success || width === null) return notFound();
  if (!(await canViewImage(await getStorage(), viewer, parsed.data))) return notFound();
  const { dataDir } = getEnv();
  const thumbnail = await getThumbnail({ images: await getImageStore(), dataDir, hash: parsed.data, width });
  if (!thumbnail) return notFound();
  return new Response(new Uint8Array(thumbnail), {
    headers: {
      "content-type": "image/webp",
      "content-length": String(thumbnail.byteLength),
      "cache-control": "private, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    },
  });
}
