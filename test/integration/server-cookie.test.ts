import type { IncomingMessage } from 'node:http';
import { parseSetCookie } from 'cookie';
import { describe, expect, it } from 'vitest';
import { clearedSessionCookies, readRefreshCookie, sessionCookies } from '../../playground/auth/session-cookies';
import { Session, loggedIn, startServer } from '../helpers/server-client';

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
  it('over HTTPS: Secure and the __Secure- prefix on the refresh token, keeping Path=/auth; the hint keeps its name', () => {
    const now = Date.now();
    expect(sessionCookies(request(true), TOKEN, now + 60_000, now)).toEqual([
      `__Secure-refresh_token=${TOKEN}; Max-Age=60; Path=/auth; HttpOnly; Secure; SameSite=Strict`,
      'auth_hint=1; Max-Age=60; Path=/; Secure; SameSite=Strict',
    ]);
    expect(clearedSessionCookies(request(true))).toEqual([
      '__Secure-refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict',
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
    expect(readRefreshCookie(request(true, { cookie: `__Secure-refresh_token=${TOKEN}` }))).toBe(TOKEN);
    // Over HTTPS a plain-named cookie (which a plain-HTTP page could have planted) is ignored.
    expect(readRefreshCookie(request(true, { cookie: `refresh_token=${TOKEN}` }))).toBeUndefined();
    expect(readRefreshCookie(request(false, { cookie: `a=b; auth_hint=1; refresh_token=${TOKEN}` }))).toBe(TOKEN);
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=${TOKEN}; refresh_token=${'B'.repeat(43)}` }))).toBe(TOKEN);
    expect(readRefreshCookie(request(false, { cookie: 'refresh_token=../../etc' }))).toBeUndefined();
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=${TOKEN}x` }))).toBeUndefined();
    expect(readRefreshCookie(request(false, { cookie: 'refresh_token=%ZZ; =; ;;' }))).toBeUndefined();
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
});
