import { offlineAutoSignInAllowed, signInLocalAdmin } from "@/lib/server/auth/offline";
import { safeReturnTo, withReturnTo } from "@/lib/server/auth/return-to";

/** Offline preview's automatic sign-in (lib/server/auth/offline.ts), back to the page asked for; anything else goes to the form. */
export async function GET(request: Request): Promise<Response> {
  const returnTo = safeReturnTo(new URL(request.url).searchParams.get("next"));
  const form = new URL(withReturnTo("/sign-in", returnTo), request.url);
  if (!offlineAutoSignInAllowed(request.headers.get("host"))) return Response.redirect(form, 303);
  const signedIn = await signInLocalAdmin(request.headers);
  if (!signedIn?.ok) return Response.redirect(form, 303);
  const response = new Response(null, { status: 303, headers: { location: returnTo, "cache-control": "no-store" } });
  for (const cookie of signedIn.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
  return response;
}
