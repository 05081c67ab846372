import { randomBytes } from "node:crypto";
import http from "node:http";

/**
 * The TCP peer's address, made readable to route handlers and server actions. Next.js gives them no
 * socket, and it fills X-Forwarded-For from the socket only when the request brought none (`??=`
 * in its base server), so that header alone can't tell a proxy's word from a client's invention.
 *
 * So every request the process receives gets one more header, set from the socket before Next.js
 * sees the request. Its name carries a random token made at start, so no client can send it
 * (a forged copy under a guessed name is simply never read), and any value already there is
 * overwritten. Installed once per process from instrumentation.ts.
 */

const INSTALLED_KEY = Symbol.for("nano-banana-studio.peer-address-header");
type PeerGlobal = typeof globalThis & { [INSTALLED_KEY]?: string };

/** The header's name in this process, or null when the hook is not installed (unit tests, other hosts). */
export function peerAddressHeader(): string | null {
  return (globalThis as PeerGlobal)[INSTALLED_KEY] ?? null;
}

export function installPeerAddressHeader(): string {
  const holder = globalThis as PeerGlobal;
  const existing = holder[INSTALLED_KEY];
  if (existing) return existing;
  const name = `x-studio-peer-${randomBytes(12).toString("hex")}`;
  holder[INSTALLED_KEY] = name;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function patchedEmit(this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const request = args[0] as http.IncomingMessage | undefined;
      if (request?.headers) request.headers[name] = request.socket?.remoteAddress ?? "";
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
  return name;
}
