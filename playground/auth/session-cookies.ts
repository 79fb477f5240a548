import type { IncomingMessage } from 'node:http';
import { parse, serialize, type SerializeOptions } from 'cookie';
import { isHttps } from '../http/messages.js';

/**
 * The cookies of a session: the refresh token, and a readable hint that one exists.
 *
 * The refresh token: `HttpOnly` keeps it away from page scripts, `SameSite=Strict` keeps other
 * sites from sending it. Over HTTPS it is `__Host-refresh_token; Path=/; Secure` without `Domain`
 * (RFC 6265bis §4.1.3.2): a sibling subdomain cannot set a cookie of that name, so it cannot plant
 * its own refresh token beside ours ("cookie tossing", issue 18). The price is that the token
 * travels with every request to the origin, not only to /auth: the server never logs cookies.
 * Over plain HTTP no prefix is available; the cookie keeps `Path=/auth`, off every API request.
 *
 * Cookies ignore ports and a sibling may set `Domain=<parent>`, so over HTTP (and over HTTPS from a
 * same-host service on another port) a request can carry two cookies of our name, one planted.
 * Which one the browser lists first is the attacker's choice (a longer Path), so none is used:
 * `readRefreshCookie` reports the ambiguity and the refresh is refused (see docs/server-security.md).
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
 * Over HTTPS it is `__Host-` too: a sibling could otherwise plant one naming another key and make
 * every refresh of the user's session fail, signing her out (cookie tossing, issue 18).
 */
const KEY_BINDING_NAME = 'dpop_jkt';
const HOST_KEY_BINDING_NAME = '__Host-dpop_jkt';
const HOST_REFRESH_NAME = '__Host-refresh_token';
export const HINT_NAME = 'auth_hint';
/** Over HTTP: only /auth/* requests carry it. */
const PLAIN_REFRESH_PATH = '/auth';
/** Every cookie path a browser would send to POST /auth/refresh (RFC 6265 §5.1.4 path-match). */
const PATHS_MATCHING_REFRESH = ['/', '/auth', '/auth/', '/auth/refresh'];

function refreshName(req: IncomingMessage): string {
  return isHttps(req) ? HOST_REFRESH_NAME : REFRESH_NAME;
}

function keyBindingName(req: IncomingMessage): string {
  return isHttps(req) ? HOST_KEY_BINDING_NAME : KEY_BINDING_NAME;
}

function refreshAttributes(req: IncomingMessage, maxAge: number): SerializeOptions {
  const https = isHttps(req);
  return { path: https ? '/' : PLAIN_REFRESH_PATH, maxAge, httpOnly: true, sameSite: 'strict', secure: https };
}

function hintAttributes(req: IncomingMessage, maxAge: number): SerializeOptions {
  return { path: '/', maxAge, sameSite: 'strict', secure: isHttps(req) };
}

export type PresentedRefreshCookie =
  | { kind: 'none' }
  | { kind: 'one'; token: string }
  /** Two or more cookies of our name: one was planted by another site or port (cookie tossing). */
  | { kind: 'ambiguous'; tokens: string[] };

/** The values of every cookie called `name` in the header, in the order the browser sent them. */
function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) values.push(pair.slice(equals + 1).trim());
  }
  return values;
}

const isOurToken = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);

/**
 * The refresh cookie of the request. Only the name that matches the scheme is read: over HTTPS a
 * plain `refresh_token` (which a plain-HTTP page could have set) is ignored. One malformed value
 * counts as none; two values, whatever they hold, are ambiguous.
 */
export function readRefreshCookie(req: IncomingMessage): PresentedRefreshCookie {
  const values = cookieValues(req.headers.cookie ?? '', refreshName(req));
  if (values.length > 1) return { kind: 'ambiguous', tokens: values.filter(isOurToken) };
  const [value] = values;
  return value !== undefined && isOurToken(value) ? { kind: 'one', token: value } : { kind: 'none' };
}

// Cleared only where the browser has one: a bearer session's cookie lines stay as they were.
const hasKeyBindingCookie = (req: IncomingMessage): boolean => parse(req.headers.cookie ?? '')[keyBindingName(req)] !== undefined;

/** The key thumbprint a DPoP session was bound to at login, if the request has one. */
export function readKeyBindingCookie(req: IncomingMessage): string | undefined {
  const value = parse(req.headers.cookie ?? '')[keyBindingName(req)];
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * `Set-Cookie` lines for a login or a refresh: the (rotated) refresh token and the hint, same
 * lifetime, and for a DPoP session the thumbprint of its key (`jkt`).
 */
export function sessionCookies(req: IncomingMessage, raw: string, expiresAt: number, now: number, jkt?: string): string[] {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  const cookies = [serialize(refreshName(req), raw, refreshAttributes(req, maxAge)), serialize(HINT_NAME, '1', hintAttributes(req, maxAge))];
  if (jkt !== undefined) cookies.push(serialize(keyBindingName(req), jkt, refreshAttributes(req, maxAge)));
  else if (hasKeyBindingCookie(req)) cookies.push(serialize(keyBindingName(req), '', refreshAttributes(req, 0)));
  return cookies;
}

/** `Set-Cookie` lines that end the session in the browser: logout, reuse detected, refresh refused. */
export function clearedSessionCookies(req: IncomingMessage): string[] {
  const cookies = [serialize(refreshName(req), '', refreshAttributes(req, 0)), serialize(HINT_NAME, '', hintAttributes(req, 0))];
  if (hasKeyBindingCookie(req)) cookies.push(serialize(keyBindingName(req), '', refreshAttributes(req, 0)));
  return cookies;
}

/** The parent domains a sibling of this host could scope a cookie to: app.example.test → example.test. */
function parentDomains(req: IncomingMessage): string[] {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (host === '' || host.startsWith('[') || /^[\d.]+$/.test(host)) return [];
  const labels = host.split('.');
  return labels.slice(1, -1).map((_, index) => labels.slice(index + 1).join('.'));
}

/**
 * Our cookies cleared, plus every planted refresh cookie we can name: each path that reaches
 * /auth/refresh, host-only and for each parent domain. A cookie set with a longer path or under a
 * public suffix stays; the refresh keeps refusing while it does (docs/server-security.md).
 */
export function clearedTossedCookies(req: IncomingMessage): string[] {
  const lines = clearedSessionCookies(req);
  // A `__Host-` cookie has exactly one possible scope (Path=/, no Domain): nothing more to name.
  if (isHttps(req)) return lines;
  const name = refreshName(req);
  for (const domain of [undefined, ...parentDomains(req)]) {
    for (const path of PATHS_MATCHING_REFRESH) {
      const attributes: SerializeOptions = { ...refreshAttributes(req, 0), path, ...(domain ? { domain } : {}) };
      const line = serialize(name, '', attributes);
      if (!lines.includes(line)) lines.push(line);
    }
  }
  return lines;
}
