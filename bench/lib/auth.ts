import { E2E_AUTH, E2E_AUTH_ENV, signedSessionCookie } from "../../e2e/support/auth";

/**
 * The bench's studio runs with accounts like any other: it starts with the e2e suite's seeded admin
 * session (STUDIO_E2E_SESSION_TOKEN, lib/server/auth/runtime.ts), and every request the bench makes,
 * from Node or from the browser, carries that session's signed cookie.
 */
export const BENCH_AUTH_ENV = E2E_AUTH_ENV;

const COOKIE_VALUE = signedSessionCookie(E2E_AUTH.sessionToken, E2E_AUTH.secret);

/** For fetch(): the Cookie header of the seeded session. */
export const BENCH_COOKIE = `${E2E_AUTH.cookieName}=${COOKIE_VALUE}`;

/** For a browser context: the same cookie on the loopback host the studio listens on. */
export const BENCH_BROWSER_COOKIES = [{ name: E2E_AUTH.cookieName, value: COOKIE_VALUE, domain: "127.0.0.1", path: "/" }];
