import "server-only";

import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { log } from "@/lib/server/log";
import { offlineAutoSignInAllowed } from "./offline";
import { REQUESTED_PATH_HEADER, withReturnTo } from "./return-to";
import { countUsers } from "./runtime";
import { getViewer, type Viewer } from "./viewer";

/**
 * For pages: the signed-in person, or a redirect to where they can become one — /setup while the
 * studio has nobody, offline preview's automatic sign-in, or the sign-in form, which return to
 * the page asked for. When the accounts
 * can't be read at all (the data directory or database is unusable), /unavailable says what to fix.
 */
export async function viewerOrRedirect(): Promise<Viewer> {
  let viewer: Viewer | null;
  try {
    viewer = await getViewer();
  } catch (error) {
    log.error("auth.viewer_unreadable", { error: error instanceof Error ? error.message : String(error) });
    redirect("/unavailable");
  }
  if (viewer) return viewer;
  const requestHeaders = await headers();
  // Sign-in comes back to the page asked for (return-to.ts keeps it on this studio).
  const requested = requestHeaders.get(REQUESTED_PATH_HEADER);
  if (offlineAutoSignInAllowed(requestHeaders.get("host"))) redirect(withReturnTo("/sign-in/local", requested));
  if ((await countUsers()) === 0) redirect("/setup");
  redirect(withReturnTo("/sign-in", requested));
}

/** Admin pages: anyone else gets the same 404 as an unknown page. */
export async function adminOrNotFound(): Promise<Viewer> {
  const viewer = await viewerOrRedirect();
  if (viewer.role !== "admin") {
    notFound();
  }
  return viewer;
}
