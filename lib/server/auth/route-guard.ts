import "server-only";

import { getViewer, type Viewer } from "./viewer";

/** For route handlers: the signed-in person, or the 401 to answer instead. */
export async function viewerOrUnauthorized(): Promise<Viewer | Response> {
  const viewer = await getViewer().catch(() => null);
  if (viewer) return viewer;
  return Response.json(
    { error: { code: "unauthenticated", message: "Sign in to use the studio." } },
    { status: 401, headers: { "cache-control": "no-store" } },
  );
}
