import { offlineAutoSignInAllowed, signInLocalAdmin } from "@/lib/server/auth/offline";

/** Offline preview's automatic sign-in (lib/server/auth/offline.ts); anything else goes to the form. */
export async function GET(request: Request): Promise<Response> {
  const home = new URL("/", request.url);
  const form = new URL("/sign-in", request.url);
  if (!offlineAutoSignInAllowed(request.headers.get("host"))) return Response.redirect(form, 303);
  const signedIn = await signInLocalAdmin(request.headers);
  if (!signedIn?.ok) return Response.redirect(form, 303);
  const response = new Response(null, { status: 303, headers: { location: home.pathname, "cache-control": "no-store" } });
  for (const cookie of signedIn.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
  return response;
}
