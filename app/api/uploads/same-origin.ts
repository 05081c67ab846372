/**
 * Whether a request comes from a page of this studio's own origin, as Next.js checks server
 * actions: the browser's Origin must name the host the request was sent to. A multipart POST is a
 * "simple" request any web page may send, and "same-site" is not enough: another port of the same
 * host (another app on localhost) is same-site. A request with neither Sec-Fetch-Site nor Origin
 * comes from no browser page we can vouch for (a script, an old client) and is refused too.
 */
export interface HeaderSource {
  get(name: string): string | null;
}

export function isSameOrigin(headers: HeaderSource, requestUrl: string): boolean {
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin") return false;
  const origin = headers.get("origin");
  if (origin === null || origin === "null") return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  // x-forwarded-host first, as Next.js's own action check does: behind a proxy, Host names the upstream.
  const host = (headers.get("x-forwarded-host")?.split(",")[0] ?? headers.get("host") ?? safeHost(requestUrl))?.trim().toLowerCase();
  return host !== undefined && host !== "" && originHost === host;
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
