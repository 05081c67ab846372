/**
 * The studio's Content-Security-Policy, built per page request by proxy.ts (pages) and once for
 * everything else by next.config.ts (API responses, which are never documents worth running).
 *
 * Why each source is there:
 * - script-src: a fresh nonce per request; Next.js reads it from the request's CSP header and puts
 *   it on its own inline and bundle scripts. 'strict-dynamic' lets those load their chunks.
 *   'self' only matters to browsers without 'strict-dynamic'. Development adds 'unsafe-eval',
 *   which React uses there to rebuild server error stacks.
 * - style-src 'unsafe-inline': Google's search-suggestions widget brings its own <style>, and the
 *   sandboxed srcdoc frame it lives in inherits this page's policy. A nonce here would make the
 *   browser ignore 'unsafe-inline' and break the widget; inline styles cannot run script anyway.
 * - img-src https: grounding sources may come with thumbnails from any site (shown as plain
 *   <img>); data: and blob: are the reference tray's local previews.
 * - frame-src 'self': the only frame is that srcdoc one, which no URL policy applies to.
 * - frame-ancestors 'none': nobody may frame the studio (clickjacking); X-Frame-Options says the
 *   same to older browsers.
 * - No upgrade-insecure-requests: self-hosted studios are often served over plain HTTP on a LAN,
 *   where upgrading would break every request. TLS belongs to the reverse proxy in front.
 */

export interface PagePolicyOptions {
  nonce: string;
  dev?: boolean;
}

export function pageContentSecurityPolicy({ nonce, dev = false }: PagePolicyOptions): string {
  const directives: Array<[string, string[]]> = [
    ["default-src", ["'self'"]],
    ["script-src", ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])]],
    ["style-src", ["'self'", "'unsafe-inline'"]],
    ["img-src", ["'self'", "https:", "data:", "blob:"]],
    ["font-src", ["'self'", "data:"]],
    // EventSource (turn progress) and server actions go to the studio itself; dev adds HMR sockets.
    ["connect-src", ["'self'", ...(dev ? ["ws:", "wss:"] : [])]],
    ["frame-src", ["'self'"]],
    ["worker-src", ["'self'", "blob:"]],
    ["manifest-src", ["'self'"]],
    ["media-src", ["'self'"]],
    ["object-src", ["'none'"]],
    ["base-uri", ["'none'"]],
    ["form-action", ["'self'"]],
    ["frame-ancestors", ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(" ")}`).join("; ");
}

/**
 * For every non-page response (JSON, SSE, images): nothing in them may run, load or be framed. An
 * image opened directly in a tab is still shown ('self' images); `sandbox` makes any document
 * that slipped through an opaque, script-less origin.
 */
export const NON_PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

/** A nonce for one response: 128 random bits, base64 as CSP expects. */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}
