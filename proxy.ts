import { NextResponse, type NextRequest } from "next/server";
import { REQUESTED_PATH_HEADER } from "@/lib/server/auth/return-to";
import { createNonce, pageContentSecurityPolicy } from "@/lib/server/csp";

/**
 * Gives every page response a Content-Security-Policy with a fresh script nonce. Next.js finds the
 * nonce in the request's CSP header while rendering and adds it to its scripts, which works
 * because every page renders per request (they are `force-dynamic`).
 *
 * Authorization does not live here: server actions and route handlers check their own input and
 * owner (see app/actions.ts), because a matcher change would silently skip them.
 */
export function proxy(request: NextRequest) {
  const policy = pageContentSecurityPolicy({ nonce: createNonce(), dev: process.env.NODE_ENV === "development" });
  // Replacing (not appending) the request header means a client can't smuggle in its own nonce.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", policy);
  // The page asked for, so a sign-in redirect can come back to it (page-guard.ts). Set here, not
  // taken from the client: a client's own header of that name is replaced.
  requestHeaders.set(REQUESTED_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  // A client-side navigation's RSC payload is data, not a document, but Next hides its `rsc`
  // header from the proxy, so it keeps the page policy.
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only. /api/* answers JSON, SSE and images with the fixed policy from next.config.ts;
      // it is excluded above all because Next.js buffers a proxied request body only up to 10 MB,
      // and reference uploads (/api/uploads) are larger. Static files need no policy.
      source: "/((?!api/|_next/static/|_next/image|favicon\\.ico$|icon\\.svg$).*)",
      // Link prefetches fetch data, not documents: no scripts run from them. Nor do server
      // actions' answers, whose short policy comes from next.config.ts: going through the proxy
      // cost every action the copy of its request that Next makes for it (and a policy, a nonce and
      // headers it then replaced), on the way to every generation's request.
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
        { type: "header", key: "next-action" },
      ],
    },
  ],
};
