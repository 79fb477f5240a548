import type { IncomingMessage } from 'node:http';
import { isHttps, parseCookies } from '../http/messages.js';

/**
 * The refresh-token cookie. `HttpOnly` keeps it away from page scripts, `SameSite=Strict` keeps
 * other sites from sending it, and `Path=/auth` keeps it off every API request and out of their logs.
 *
 * Over HTTPS we add `Secure` and the `__Secure-` name prefix. We do not use `__Host-`: that
 * prefix requires `Path=/` (RFC 6265bis §4.1.3.2), which would send the refresh token with every
 * request to the origin. `__Secure-` still guarantees the cookie was set over HTTPS; since we never
 * set `Domain`, the cookie is host-only anyway. Cross-site deployments: see README.
 */

const PLAIN_NAME = 'refresh_token';
const SECURE_NAME = '__Secure-refresh_token';
const PATH = '/auth';

function cookieName(req: IncomingMessage): string {
  return isHttps(req) ? SECURE_NAME : PLAIN_NAME;
}

function attributes(req: IncomingMessage, maxAgeSeconds: number): string {
  const secure = isHttps(req) ? '; Secure' : '';
  return `Path=${PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

/** The raw refresh token from the request, if it looks like one of ours (43 base64url chars). */
export function readRefreshCookie(req: IncomingMessage): string | undefined {
  const value = parseCookies(req.headers.cookie).get(cookieName(req));
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

export function refreshCookie(req: IncomingMessage, raw: string, expiresAt: number, now: number): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${cookieName(req)}=${raw}; ${attributes(req, maxAge)}`;
}

export function clearedRefreshCookie(req: IncomingMessage): string {
  return `${cookieName(req)}=; ${attributes(req, 0)}`;
}
