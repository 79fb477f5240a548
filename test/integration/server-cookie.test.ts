import type { IncomingMessage } from 'node:http';
import { parseSetCookie } from 'cookie';
import { describe, expect, it } from 'vitest';
import { clearedSessionCookies, clearedTossedCookies, readRefreshCookie, sessionCookies } from '../../playground/auth/session-cookies';
import { Session, loggedIn, refreshCookieOf, startServer } from '../helpers/server-client';

/**
 * The session cookies: the HttpOnly refresh token and the readable `auth_hint=1` beside it. The
 * attributes over HTTPS are checked on the functions here and end to end in server-tls.test.ts.
 */

const TOKEN = 'A'.repeat(43);
const request = (encrypted: boolean, headers: Record<string, string> = {}): IncomingMessage =>
  ({ socket: encrypted ? { encrypted: true } : {}, headers }) as unknown as IncomingMessage;

/** The `auth_hint` cookie a response sets: its attributes, or undefined when it sets none. */
function hintOf(res: Response): ReturnType<typeof parseSetCookie> | undefined {
  return res.headers.getSetCookie().map((line) => parseSetCookie(line)).find((cookie) => cookie.name === 'auth_hint');
}

describe('session cookies', () => {
  it('over HTTPS: the __Host- prefix, Secure and Path=/ on the refresh token (no sibling can set it); the hint keeps its name', () => {
    const now = Date.now();
    expect(sessionCookies(request(true), TOKEN, now + 60_000, now)).toEqual([
      `__Host-refresh_token=${TOKEN}; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict`,
      'auth_hint=1; Max-Age=60; Path=/; Secure; SameSite=Strict',
    ]);
    expect(clearedSessionCookies(request(true))).toEqual([
      '__Host-refresh_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict',
      'auth_hint=; Max-Age=0; Path=/; Secure; SameSite=Strict',
    ]);
  });

  it('over plain HTTP: no Secure, no prefix, and a forwarded-proto header changes nothing', () => {
    const now = Date.now();
    expect(sessionCookies(request(false, { 'x-forwarded-proto': 'https' }), TOKEN, now + 1000, now)).toEqual([
      `refresh_token=${TOKEN}; Max-Age=1; Path=/auth; HttpOnly; SameSite=Strict`,
      'auth_hint=1; Max-Age=1; Path=/; SameSite=Strict',
    ]);
  });

  it('reads only the cookie name that matches the scheme, and only well-formed tokens', () => {
    const one = { kind: 'one', token: TOKEN };
    const none = { kind: 'none' };
    expect(readRefreshCookie(request(true, { cookie: `__Host-refresh_token=${TOKEN}` }))).toEqual(one);
    // Over HTTPS other names (a plain-HTTP page or a sibling subdomain could have planted them) are ignored.
    expect(readRefreshCookie(request(true, { cookie: `refresh_token=${TOKEN}; __Secure-refresh_token=${TOKEN}` }))).toEqual(none);
    expect(readRefreshCookie(request(false, { cookie: `a=b; auth_hint=1; refresh_token=${TOKEN}` }))).toEqual(one);
    expect(readRefreshCookie(request(false, { cookie: 'refresh_token=../../etc' }))).toEqual(none);
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=${TOKEN}x` }))).toEqual(none);
    expect(readRefreshCookie(request(false, { cookie: 'refresh_token=%ZZ; =; ;;' }))).toEqual(none);
  });

  it('reports two cookies of our name as ambiguous, whatever they hold (cookie tossing, issue 18)', () => {
    const other = 'B'.repeat(43);
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=${other}; refresh_token=${TOKEN}` }))).toEqual({
      kind: 'ambiguous',
      tokens: [other, TOKEN],
    });
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=junk; a=b; refresh_token=${TOKEN}` }))).toEqual({
      kind: 'ambiguous',
      tokens: [TOKEN],
    });
    expect(readRefreshCookie(request(true, { cookie: `__Host-refresh_token=${TOKEN}; __Host-refresh_token=${TOKEN}` })).kind).toBe('ambiguous');
  });

  it('clears planted refresh cookies on every path that reaches /auth/refresh, host-only and for each parent domain', () => {
    const lines = clearedTossedCookies(request(false, { host: 'app.example.test:5180' }));
    expect(lines).toContain('refresh_token=; Max-Age=0; Path=/auth/refresh; HttpOnly; SameSite=Strict');
    expect(lines).toContain('refresh_token=; Max-Age=0; Domain=example.test; Path=/auth/refresh; HttpOnly; SameSite=Strict');
    expect(lines).toContain('refresh_token=; Max-Age=0; Domain=example.test; Path=/; HttpOnly; SameSite=Strict');
    expect(lines).toContain('auth_hint=; Max-Age=0; Path=/; SameSite=Strict');
    expect(lines.filter((line) => line.includes('Domain='))).toHaveLength(4);
    // An address has no parent domain; over HTTPS the __Host- cookie has one possible scope.
    expect(clearedTossedCookies(request(false, { host: '127.0.0.1:5180' })).some((line) => line.includes('Domain='))).toBe(false);
    expect(clearedTossedCookies(request(true, { host: 'app.example.test' }))).toEqual(clearedSessionCookies(request(true)));
  });

  it('sets auth_hint=1 beside the refresh cookie on login and refresh, readable, with the same lifetime', async () => {
    const { url } = await startServer({ refreshTtl: 3600 });
    const session = new Session(url);
    for (const res of [await session.login(), await session.refresh()]) {
      expect(res.status).toBe(200);
      expect(hintOf(res)).toEqual({ name: 'auth_hint', value: '1', maxAge: 3600, path: '/', sameSite: 'strict' });
      const refresh = parseSetCookie(res.headers.getSetCookie()[0] ?? '');
      expect(refresh).toMatchObject({ name: 'refresh_token', maxAge: 3600, httpOnly: true, sameSite: 'strict' });
    }
  });

  it('clears auth_hint on logout, on reuse detection and on a refused refresh', async () => {
    const { url } = await startServer({ reuseGrace: 0 });
    const cleared = { name: 'auth_hint', value: '', maxAge: 0, path: '/', sameSite: 'strict' };

    const out = await loggedIn(url);
    expect(hintOf(await out.logout())).toEqual(cleared);

    const victim = await loggedIn(url);
    const stolen = victim.cookie ?? '';
    await victim.refresh();
    const reuse = await victim.refreshWith(stolen);
    expect(((await reuse.json()) as { error: string }).error).toBe('refresh_token_reused');
    expect(hintOf(reuse)).toEqual(cleared);

    const unknown = await new Session(url).refreshWith(TOKEN);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_refresh_token');
    expect(hintOf(unknown)).toEqual(cleared);
    const none = await new Session(url).refresh();
    expect(none.status).toBe(401);
    expect(hintOf(none)).toEqual(cleared);
  });

  it('refuses two refresh cookies on one request, rotates neither, and clears what it can (cookie tossing, issue 18)', async () => {
    const lines: string[] = [];
    const { url, stats } = await startServer({ log: (line) => lines.push(line) });
    const victim = await loggedIn(url);
    const attacker = await new Session(url).login({ username: 'bob', password: 'builder' }).then(refreshCookieOf);
    // The browser lists the planted cookie (longer Path) first; the server used to take it.
    const res = await fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `refresh_token=${attacker}; refresh_token=${victim.cookie}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('ambiguous_refresh_token');
    const cleared = res.headers.getSetCookie().map((line) => parseSetCookie(line));
    // Every path that reaches /auth/refresh (parent domains too, for a named host: see above).
    const paths = cleared.filter((cookie) => cookie.name === 'refresh_token' && cookie.maxAge === 0).map((cookie) => cookie.path);
    expect(paths.sort()).toEqual(['/', '/auth', '/auth/', '/auth/refresh']);
    expect(stats.refreshRotations).toBe(0);
    expect(stats.securityEvents.map((event) => event.type)).toEqual(['refresh_cookie_ambiguous']);
    // Nothing was rotated: each cookie on its own still works.
    expect((await victim.refreshWith(victim.cookie ?? '')).status).toBe(200);
    expect((await victim.refreshWith(attacker ?? '')).status).toBe(200);
  });

  it('logs out every session named by several refresh cookies, and clears them all', async () => {
    const { url } = await startServer();
    const [first, second] = [await loggedIn(url), await loggedIn(url)];
    const res = await fetch(`${url}/auth/logout`, { method: 'POST', headers: { cookie: `refresh_token=${first.cookie}; refresh_token=${second.cookie}` } });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().filter((line) => line.startsWith('refresh_token=;')).length).toBe(4);
    for (const session of [first, second]) expect((await session.refreshWith(session.cookie ?? '')).status).toBe(401);
  });
});
