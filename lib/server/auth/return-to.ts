/**
 * Where sign-in sends a person afterwards: the page they asked for, carried as `?next=` on the
 * sign-in URL. Only a path on this studio is followed; anything that could leave it (another
 * origin, a protocol-relative `//host`, a backslash browsers read as a slash, control characters)
 * becomes "/", so the parameter cannot be used to bounce someone to another site after sign-in.
 */

/** Set by proxy.ts on every page request: the path and query the browser asked for. */
export const REQUESTED_PATH_HEADER = "x-studio-requested-path";

const MAX_RETURN_LENGTH = 2_048;

/** The path to go to after sign-in, or "/" for anything unsafe or meaningless. */
export function safeReturnTo(value: string | null | undefined): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_RETURN_LENGTH) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  // Control characters (tabs and newlines are dropped by URL parsers, which can turn "/\t/host" into "//host").
  if (/[\u0000-\u001f\u007f]/.test(value)) return "/";
  let url: URL;
  try {
    url = new URL(value, "http://studio.invalid");
  } catch {
    return "/";
  }
  if (url.origin !== "http://studio.invalid") return "/";
  // The sign-in pages themselves are no place to return to.
  if (url.pathname === "/sign-in" || url.pathname.startsWith("/sign-in/") || url.pathname.startsWith("/api/")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `path` with `?next=` naming where to return, left out when that is the home page. */
export function withReturnTo(path: string, returnTo: string | null | undefined): string {
  const target = safeReturnTo(returnTo);
  return target === "/" ? path : `${path}?next=${encodeURIComponent(target)}`;
}
