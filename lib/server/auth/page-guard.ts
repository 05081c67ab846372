import "server-only";

import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { offlineAutoSignInAllowed } from "./offline";
import { countUsers } from "./runtime";
import { getViewer, type Viewer } from "./viewer";

/**
 * For pages: the signed-in person, or a redirect to where they can become one — /setup while the
 * studio has nobody, offline preview's automatic sign-in, or the sign-in form.
 */
export async function viewerOrRedirect(): Promise<Viewer> {
  const viewer = await getViewer();
  if (viewer) return viewer;
  if (offlineAutoSignInAllowed((await headers()).get("host"))) redirect("/sign-in/local");
  if ((await countUsers()) === 0) redirect("/setup");
  redirect("/sign-in");
}

/** Admin pages: anyone else gets the same 404 as an unknown page. */
export async function adminOrNotFound(): Promise<Viewer> {
  const viewer = await viewerOrRedirect();
  if (viewer.role !== "admin") {
    notFound();
  }
  return viewer;
}
