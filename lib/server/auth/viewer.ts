import "server-only";

import { headers } from "next/headers";
import { cache } from "react";
import { getAuth } from "./runtime";

export interface Viewer {
  userId: string;
  email: string;
  name: string;
  role: "admin" | "member";
}

/**
 * Thrown by requireViewer when the request carries no valid session. Pages turn it into a redirect
 * to /sign-in, route handlers into 401, server actions into an "unauthenticated" result.
 */
export class UnauthenticatedError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Error && value.name === "UnauthenticatedError";
  }

  constructor() {
    super("Sign in to use the studio.");
    this.name = "UnauthenticatedError";
  }
}

/** better-auth's admin plugin calls a member "user"; the studio says "member". */
export function toViewer(user: { id: string; email: string; name: string; role?: string | null; banned?: boolean | null }): Viewer | null {
  if (user.banned) return null;
  return { userId: user.id, email: user.email, name: user.name, role: user.role === "admin" ? "admin" : "member" };
}

/**
 * The signed-in person, from the request's session cookie; null without a valid, unexpired session
 * or for a disabled account. Read from the database on every request (no cookie cache), so
 * disabling someone takes effect on their next click. Cached per request in server components.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const auth = await getAuth();
  const session = await auth.api.getSession({ headers: await headers() });
  return session ? toViewer(session.user) : null;
});

export async function requireViewer(): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) throw new UnauthenticatedError();
  return viewer;
}
