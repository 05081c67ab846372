import type { NextConfig } from "next";
import { assertKeyStaysOnServer } from "./lib/server/build-guard";
import { NON_PAGE_CONTENT_SECURITY_POLICY } from "./lib/server/csp";

// Applied to every response. Pages get their Content-Security-Policy (with a per-request script
// nonce) from proxy.ts; API responses get a fixed one below that lets nothing run.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  // Full URLs (session and turn ids) stay within the studio; other sites see only the origin.
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  // For browsers that predate CSP frame-ancestors.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
  // Pages this one opens (search results, sources) get no handle on it, and it none on them.
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

const apiHeaders = [
  { key: "Content-Security-Policy", value: NON_PAGE_CONTENT_SECURITY_POLICY },
  // Stored images and JSON are for the studio's own pages, not for other sites to embed or read.
  { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
];

assertKeyStaysOnServer(process.env);

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Native and Node-only packages stay out of the server bundle.
  serverExternalPackages: ["sharp", "@google/genai", "better-sqlite3"],
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      { source: "/api/:path*", headers: apiHeaders },
      // A server action's answer is data the page's own scripts fetch, never a document (a
      // navigation can't send this header), so it gets the short policy that lets nothing run, as
      // API responses do. Here rather than in proxy.ts, which actions skip (see its matcher).
      {
        source: "/:path*",
        has: [{ type: "header", key: "next-action" }],
        headers: [{ key: "Content-Security-Policy", value: NON_PAGE_CONTENT_SECURITY_POLICY }],
      },
      // The icon Next links carries its content hash in the query (`/icon.svg?icon.<hash>.svg`),
      // so a changed icon is a new URL; without this the browser fetches it again whenever the URL
      // changes (every turn selected or generated).
      { source: "/icon.svg", headers: [{ key: "Cache-Control", value: "public, max-age=86400" }] },
    ];
  },
};

export default nextConfig;
