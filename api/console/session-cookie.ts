// The web console's session cookie and its CSRF check: pure functions, so the rules are
// tested without a server (session-cookie.test.ts).
import { timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'backstop_session';
export const CSRF_HEADER = 'x-csrf-token';
/** How long a console sign-in lasts: a working day; the operator signs in again after. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** The value of cookie `name` in a Cookie header, or null. Malformed pairs are skipped. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

/**
 * Set-Cookie for a session: HttpOnly (no script reads it, so an injected script cannot steal
 * it), SameSite=Strict (no other site's page makes the browser send it), scoped to the whole
 * API since the console calls /v1. `secure` when the API is served over HTTPS.
 */
export function sessionCookie(id: string, maxAgeMs: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${id}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.floor(maxAgeMs / 1000)}`, ...(secure ? ['Secure'] : [])].join('; ');
}

/** Set-Cookie that makes the browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** Methods that change nothing, and so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a cookie-authenticated request may go on: safe methods always; any other only with
 * the session's CSRF token in X-CSRF-Token (compared in constant time). A cross-site page can
 * make the browser send the cookie but cannot read the token, which the console holds only
 * in memory.
 */
export function csrfAllows(method: string, sent: string | string[] | undefined, expected: string): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
