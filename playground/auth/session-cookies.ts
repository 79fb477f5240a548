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
/**
 * A DPoP session's key thumbprint (RFC 7638), beside the refresh cookie with its attributes: not a
 * secret, it tells a refresh which key the session was bound to at login (see auth/dpop-sessions.ts).
 */
const KEY_BINDING_NAME = 'dpop_jkt';
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

// Cleared only where the browser has one: a bearer session's cookie lines stay as they were.
const hasKeyBindingCookie = (req: IncomingMessage): boolean => parse(req.headers.cookie ?? '')[KEY_BINDING_NAME] !== undefined;

/** The key thumbprint a DPoP session was bound to at login, if the request has one. */
export function readKeyBindingCookie(req: IncomingMessage): string | undefined {
  const value = parse(req.headers.cookie ?? '')[KEY_BINDING_NAME];
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * `Set-Cookie` lines for a login or a refresh: the (rotated) refresh token and the hint, same
 * lifetime, and for a DPoP session the thumbprint of its key (`jkt`).
 */
export function sessionCookies(req: IncomingMessage, raw: string, expiresAt: number, now: number, jkt?: string): string[] {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  const cookies = [serialize(refreshName(req), raw, refreshAttributes(req, maxAge)), serialize(HINT_NAME, '1', hintAttributes(req, maxAge))];
  if (jkt !== undefined) cookies.push(serialize(KEY_BINDING_NAME, jkt, refreshAttributes(req, maxAge)));
  else if (hasKeyBindingCookie(req)) cookies.push(serialize(KEY_BINDING_NAME, '', refreshAttributes(req, 0)));
  return cookies;
}

/** `Set-Cookie` lines that end the session in the browser: logout, reuse detected, refresh refused. */
export function clearedSessionCookies(req: IncomingMessage): string[] {
  const cookies = [serialize(refreshName(req), '', refreshAttributes(req, 0)), serialize(HINT_NAME, '', hintAttributes(req, 0))];
  if (hasKeyBindingCookie(req)) cookies.push(serialize(KEY_BINDING_NAME, '', refreshAttributes(req, 0)));
  return cookies;
}
