import { NextResponse, type NextRequest } from "next/server";
import { REQUESTED_PATH_HEADER } from "@/lib/server/auth/return-to";
import { NON_PAGE_CONTENT_SECURITY_POLICY, createNonce, pageContentSecurityPolicy } from "@/lib/server/csp";

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
  // A server action's answer is data the page's own scripts fetch, never a document (a navigation
  // can't send this header), so it gets the short policy that lets nothing run, as API responses
  // do: the page policy's ~420 bytes on each of five actions were ~0.6% of a new session's first
  // generation (bench scenario 3). A client-side navigation's RSC payload is data too, but Next
  // hides its `rsc` header from the proxy, so it keeps the page policy.
  const isAction = request.headers.has("next-action");
  response.headers.set("content-security-policy", isAction ? NON_PAGE_CONTENT_SECURITY_POLICY : policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only. /api/* answers JSON, SSE and images with the fixed policy from next.config.ts;
      // it is excluded above all because Next.js buffers a proxied request body only up to 10 MB,
      // and reference uploads (/api/uploads) are larger. Static files need no policy.
      source: "/((?!api/|_next/static/|_next/image|favicon\\.ico$|icon\\.svg$).*)",
      // Link prefetches fetch data, not documents: no scripts run from them.
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
