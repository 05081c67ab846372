import "server-only";

import { LOCAL_OWNER_ID } from "@/lib/storage";

// TEMPORARY (branch teams-share): a stand-in with the exact interface of the real viewer, which
// the teams-auth branch builds on better-auth. The lead replaces this file with that one at merge.
// Until then the studio has one user, the local admin who owns every existing row.

export interface Viewer {
  userId: string;
  email: string;
  name: string;
  role: "admin" | "member";
}

const LOCAL_ADMIN: Viewer = { userId: LOCAL_OWNER_ID, email: "local@localhost", name: "Local admin", role: "admin" };

export async function getViewer(): Promise<Viewer | null> {
  return { ...LOCAL_ADMIN };
}

export async function requireViewer(): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) throw new Error("Sign in to use the studio.");
  return viewer;
}
