import type { IncomingMessage } from 'node:http';
import { parse, serialize, type SerializeOptions } from 'cookie';
import { isHttps } from '../http/messages.js';

/**
 * The cookies of a session: the refresh token, and a readable hint that one exists.
 *
 * The refresh token: `HttpOnly` keeps it away from page scripts, `SameSite=Strict` keeps other
 * sites from sending it, and `Path=/auth` keeps it off every API request and out of their logs.
 * Over HTTPS we add `Secure` and the `__Secure-` name prefix. We do not use `__Host-`: that prefix
 * requires `Path=/` (RFC 6265bis §4.1.3.2), which would send the refresh token with every request to
 * the origin. `__Secure-` still guarantees the cookie was set over HTTPS; since we never set
 * `Domain`, the cookie is host-only anyway. Cross-site deployments: see README.
 *
 * The hint, `auth_hint=1`: not a secret and not proof of anything, only "a refresh cookie was set
 * and not cleared", so that a page can skip the start-up refresh when there is certainly no session.
 * It has the refresh cookie's lifetime, `SameSite` and `Secure`, but not `HttpOnly`, and `Path=/`:
 * `document.cookie` only lists cookies whose path covers the page's. It keeps one name over HTTP and
 * HTTPS, since the page reads it by name.
 */

const REFRESH_NAME = 'refresh_token';
const SECURE_REFRESH_NAME = '__Secure-refresh_token';
export const HINT_NAME = 'auth_hint';

function refreshName(req: IncomingMessage): string {
  return isHttps(req) ? SECURE_REFRESH_NAME : REFRESH_NAME;
}

function refreshAttributes(req: IncomingMessage, maxAge: number): SerializeOptions {
  return { path: '/auth', maxAge, httpOnly: true, sameSite: 'strict', secure: isHttps(req) };
}

function hintAttributes(req: IncomingMessage, maxAge: number): SerializeOptions {
  return { path: '/', maxAge, sameSite: 'strict', secure: isHttps(req) };
}

/** The raw refresh token from the request, if it looks like one of ours (43 base64url chars). */
export function readRefreshCookie(req: IncomingMessage): string | undefined {
  // `parse` keeps the first of several cookies with one name (RFC 6265 §5.4: the most specific path).
  const value = parse(req.headers.cookie ?? '')[refreshName(req)];
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** `Set-Cookie` lines for a login or a refresh: the (rotated) refresh token and the hint, same lifetime. */
export function sessionCookies(req: IncomingMessage, raw: string, expiresAt: number, now: number): string[] {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return [serialize(refreshName(req), raw, refreshAttributes(req, maxAge)), serialize(HINT_NAME, '1', hintAttributes(req, maxAge))];
}

/** `Set-Cookie` lines that end the session in the browser: logout, reuse detected, refresh refused. */
export function clearedSessionCookies(req: IncomingMessage): string[] {
  return [serialize(refreshName(req), '', refreshAttributes(req, 0)), serialize(HINT_NAME, '', hintAttributes(req, 0))];
}
