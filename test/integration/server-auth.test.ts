import { describe, expect, it } from 'vitest';
import { Session, loggedIn, startServer } from '../helpers/server-client';

describe('reference server: login, refresh, logout', () => {
  it('logs in, sets a hardened refresh cookie and answers /api/me', async () => {
    const { url } = await startServer({ accessTtl: 30 });
    const session = new Session(url);
    const res = await session.login();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('date')).toBeTruthy();
    const body = (await res.json()) as { accessToken: string; expiresIn: number };
    expect(body.expiresIn).toBe(30);
    expect(body.accessToken.split('.')).toHaveLength(3);

    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^refresh_token=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/auth');
    expect(cookie).toContain(`Max-Age=${7 * 24 * 3600}`);
    expect(cookie).not.toContain('Secure'); // plain HTTP on loopback

    const me = await session.fetch('/api/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: 'alice', name: 'alice' });
  });

  it('logs bob in with his own password only', async () => {
    const { url } = await startServer();
    expect((await new Session(url).login({ username: 'bob', password: 'builder' })).status).toBe(200);
    const wrong = await new Session(url).login({ username: 'bob', password: 'wonderland' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_credentials', message: expect.any(String) });
    const unknown = await new Session(url).login({ username: 'mallory', password: 'x' });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_credentials');
  });

  it.each([
    ['malformed JSON', '{"username":'],
    ['a JSON array', '["alice","wonderland"]'],
    ['a missing password', JSON.stringify({ username: 'alice' })],
    ['a non-string username', JSON.stringify({ username: 42, password: 'wonderland' })],
    ['an empty body', ''],
  ])('answers 400 bad_request to a login with %s', async (_, body) => {
    const { url } = await startServer();
    const res = await fetch(`${url}/auth/login`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_request', message: expect.any(String) });
  });

  it('rotates the refresh token: a new cookie each time, and a fresh access token', async () => {
    const { url, stats } = await startServer({ reuseGrace: 0 });
    const session = await loggedIn(url);
    const first = session.cookie;
    const res = await session.refresh();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accessToken: string; expiresIn: number };
    expect(body.expiresIn).toBeGreaterThan(0);
    expect(session.cookie).toBeDefined();
    expect(session.cookie).not.toBe(first);
    expect((await session.fetch('/api/me')).status).toBe(200);
    expect((await session.refresh()).status).toBe(200);
    expect(stats.refreshRotations).toBe(2);
    expect(stats.requests['POST /auth/refresh']).toBe(2);
  });

  it('refuses a refresh without a cookie or with an unknown one, and clears the cookie', async () => {
    const { url } = await startServer();
    const session = new Session(url);
    const none = await session.refresh();
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'invalid_refresh_token', message: expect.any(String) });
    const unknown = await session.refreshWith('A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_refresh_token');
    expect(unknown.headers.getSetCookie()[0]).toContain('Max-Age=0');
  });

  it('refuses a refresh token after it expired', async () => {
    // Expiry is enforced by the store; a 1-second lifetime and a wait keep this test honest.
    const { url } = await startServer({ refreshTtl: 1 });
    const session = await loggedIn(url);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await session.refresh();
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_refresh_token');
  });

  it('logs out: 204, cookie cleared, the whole family revoked', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    const older = session.cookie ?? '';
    await session.refresh();
    const current = session.cookie ?? '';
    const res = await session.logout();
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()[0]).toMatch(/^refresh_token=; .*Max-Age=0/);
    expect(session.cookie).toBeUndefined();
    expect((await session.refreshWith(current)).status).toBe(401);
    expect((await session.refreshWith(older)).status).toBe(401);
    // Logging out twice, or without a cookie, is harmless.
    expect((await session.logout()).status).toBe(204);
  });

  it('keeps two users and two logins of one user apart', async () => {
    const { url } = await startServer({ reuseGrace: 0 });
    const a1 = await loggedIn(url);
    const a2 = await loggedIn(url);
    await a1.logout();
    expect((await a2.refresh()).status).toBe(200);
  });
});
