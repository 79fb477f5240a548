import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TEST_SECRET, loggedIn, startServer } from '../helpers/server-client';

/**
 * Attacks on the access token: each forged or broken token must get 401 `invalid_token`
 * (or `token_expired`), with the RFC 6750 §3 challenge in `WWW-Authenticate`.
 */

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);
const now = (): number => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, options: { alg?: string; secret?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(key(options.secret ?? TEST_SECRET));
}

const valid = { sub: 'alice', jti: 'j1' };

async function call(url: string, authorization?: string): Promise<{ status: number; error: string; challenge: string | null }> {
  const res = await fetch(`${url}/api/me`, { headers: authorization === undefined ? {} : { authorization } });
  const body = (await res.json()) as { error: string; message: string };
  expect(typeof body.message).toBe('string');
  return { status: res.status, error: body.error, challenge: res.headers.get('www-authenticate') };
}

describe('reference server: access token checks (attacker tests)', () => {
  it('accepts a token it signed itself', async () => {
    const { url } = await startServer();
    const token = await sign({ ...valid, iat: now(), exp: now() + 60 });
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('asks for a token when none is sent', async () => {
    const { url } = await startServer();
    const result = await call(url);
    expect(result.status).toBe(401);
    expect(result.challenge).toMatch(/^Bearer( |$)/);
    expect(result.challenge).not.toContain('error=');
  });

  it('answers an expired token with token_expired and the RFC 6750 challenge', async () => {
    const { url } = await startServer();
    const token = await sign({ ...valid, iat: now() - 120, exp: now() - 60 });
    const result = await call(url, `Bearer ${token}`);
    expect(result).toMatchObject({ status: 401, error: 'token_expired' });
    expect(result.challenge).toContain('error="invalid_token"');
    expect(result.challenge).toContain('error_description="The access token expired"');
  });

  const forgeries: Array<[string, () => Promise<string>]> = [
    ['alg none (unsecured JWT)', async () => new UnsecuredJWT({ ...valid, iat: now(), exp: now() + 60 }).encode()],
    ['alg none with a copied signature', async () => {
      const real = await sign({ ...valid, iat: now(), exp: now() + 60 });
      const [, payload, signature] = real.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['a wrong secret', () => sign({ ...valid, iat: now(), exp: now() + 60 }, { secret: 'x'.repeat(40) })],
    ['HS512 with the right secret (algorithm not allowed)', () => sign({ ...valid, iat: now(), exp: now() + 60 }, { alg: 'HS512' })],
    ['a tampered payload (sub changed to bob)', async () => {
      const real = await sign({ ...valid, iat: now(), exp: now() + 60 });
      const [header, , signature] = real.split('.');
      const payload = Buffer.from(JSON.stringify({ ...valid, sub: 'bob', iat: now(), exp: now() + 60 })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['a truncated signature', async () => (await sign({ ...valid, iat: now(), exp: now() + 60 })).slice(0, -5)],
    ['no exp claim', () => sign({ ...valid, iat: now() })],
    ['no sub claim', () => sign({ jti: 'j', iat: now(), exp: now() + 60 })],
    ['an unknown user', () => sign({ ...valid, sub: 'mallory', iat: now(), exp: now() + 60 })],
    ['garbage', async () => 'not-a-jwt'],
    ['two parts', async () => 'abc.def'],
    ['non-base64 JSON header', async () => '{"alg":"none"}.e30.'],
  ];

  it.each(forgeries)('refuses %s with invalid_token', async (_, forge) => {
    const { url } = await startServer();
    const result = await call(url, `Bearer ${await forge()}`);
    expect(result).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(result.challenge).toContain('error="invalid_token"');
  });

  it('refuses an empty Bearer credential and treats other schemes as no token', async () => {
    const { url } = await startServer();
    expect(await call(url, 'Bearer ')).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(await call(url, 'Basic YWxpY2U6d29uZGVybGFuZA==')).toMatchObject({ status: 401, error: 'missing_token' });
  });

  it('refuses a token issued by another server instance with another secret', async () => {
    const other = await startServer({ jwtSecret: 'another-secret-another-secret-0123456789' });
    const { url } = await startServer();
    const session = await loggedIn(other.url);
    expect(await call(url, `Bearer ${session.accessToken}`)).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('protects every API route', async () => {
    const { url } = await startServer();
    for (const [method, path] of [['GET', '/api/me'], ['GET', '/api/posts'], ['POST', '/api/posts']] as const) {
      const res = await fetch(`${url}${path}`, { method, body: method === 'POST' ? '{"title":"x"}' : null });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('refuses an access token after logout with 401 token_revoked until its exp (denylist)', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    const token = session.accessToken ?? '';
    const other = await loggedIn(url);
    const me = (bearer: string | undefined) => fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await me(token)).status).toBe(200);
    const out = await session.fetch('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(204);
    for (const path of ['/api/me', '/api/posts']) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('token_revoked');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    // Only that token: another session of the same user keeps working.
    expect((await me(other.accessToken)).status).toBe(200);
  });

  it('does not accept one credential in place of the other', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    // The refresh cookie is no credential for the API (no cookie-based CSRF on /api/*) ...
    const cookieOnly = await fetch(`${url}/api/me`, { headers: { cookie: `refresh_token=${session.cookie}` } });
    expect(cookieOnly.status).toBe(401);
    // ... the refresh token is no bearer token ...
    expect(await call(url, `Bearer ${session.cookie}`)).toMatchObject({ status: 401, error: 'invalid_token' });
    // ... and an access token is no refresh token.
    const swapped = await session.refreshWith(session.accessToken ?? '');
    expect(swapped.status).toBe(401);
    expect(((await swapped.json()) as { error: string }).error).toBe('invalid_refresh_token');
  });
});

describe('reference server: a memory store forgets its denylist on restart (issue 18)', () => {
  it('refuses an access token issued before the restart, whose logout it may have forgotten', async () => {
    const before = await startServer(); // the same JWT secret for both, as a fixed JWT_SECRET would be
    const session = await loggedIn(before.url);
    const token = session.accessToken ?? '';
    expect((await session.logout()).status).toBe(204);
    await before.close();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // iat has whole seconds
    const after = await startServer();
    const old = await call(after.url, `Bearer ${token}`);
    expect([old.status, old.error]).toEqual([401, 'token_revoked']);
    expect(old.challenge).toContain('error="invalid_token"');
    const fresh = await loggedIn(after.url);
    expect((await fresh.fetch('/api/me')).status).toBe(200);
  });
});
