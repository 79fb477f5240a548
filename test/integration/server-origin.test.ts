import { describe, expect, it } from 'vitest';
import { Session, loggedIn, startServer } from '../helpers/server-client';

const APP = 'https://app.example';
const EVIL = 'https://evil.example';

describe('reference server: Origin check and CORS', () => {
  it.each([
    ['refresh', (s: Session) => s.refresh()],
    ['logout', (s: Session) => s.logout()],
  ])('refuses %s from a foreign Origin with 403 and leaves the session alive', async (_, act) => {
    const { url } = await startServer({ allowedOrigins: [APP] });
    const victim = await loggedIn(url);
    const attacker = new Session(url, { origin: EVIL });
    attacker.cookie = victim.cookie; // the cookie a cross-site request would carry, were it not SameSite
    const res = await act(attacker);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'origin_not_allowed', message: expect.any(String) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await victim.refresh()).status).toBe(200);
  });

  it('refuses Origin: null (sandboxed frames) on refresh', async () => {
    const { url } = await startServer({ allowedOrigins: [APP] });
    const victim = await loggedIn(url);
    const res = await victim.refreshWith(victim.cookie ?? '', { origin: 'null' });
    expect(res.status).toBe(403);
  });

  it('allows an allowed Origin and requests without Origin (same-origin tools, curl)', async () => {
    const { url } = await startServer({ allowedOrigins: [APP] });
    const session = new Session(url, { origin: APP });
    expect((await session.login()).status).toBe(200);
    const res = await session.refresh();
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toContain('Idempotent-Replayed');
    expect(res.headers.get('vary')).toContain('Origin');
    const plain = await loggedIn(url);
    expect((await plain.refresh()).status).toBe(200);
  });

  it("allows the server's own origin by default, and only that", async () => {
    const { url } = await startServer();
    const own = await loggedIn(url);
    expect((await own.refreshWith(own.cookie ?? '', { origin: url })).status).toBe(200);
    const foreign = await loggedIn(url);
    expect((await foreign.refreshWith(foreign.cookie ?? '', { origin: 'http://127.0.0.1:1' })).status).toBe(403);
  });

  it('answers preflights for allowed origins only, never with a wildcard', async () => {
    const { url } = await startServer({ allowedOrigins: [APP] });
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${url}/api/posts`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight(APP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Idempotency-Key, DPoP');
    const evil = await preflight(EVIL);
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS grant to a foreign origin on API responses', async () => {
    const { url } = await startServer({ allowedOrigins: [APP] });
    const session = await loggedIn(url);
    const res = await session.fetch('/api/me', { headers: { origin: EVIL } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
