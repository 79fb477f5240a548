/**
 * `auth-fetch-tabs/dpop` on its own, in Node (no IndexedDB: a memory key): the proof's claims, checked
 * with jose as a server would; nonces per origin and which answers ask for a resend; a new key after
 * reset(); the errors of an environment without WebCrypto; IndexedDB failing.
 */
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose';
import ky from 'ky';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDpop } from '../../src/dpop';
import { createAuthFetch } from '../../src/index';
import { withAuth } from '../../src/ky';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function claimsOf(proof: string) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  return { payload, header: protectedHeader };
}

const nonceChallenge = (nonce: string | null, init: { status?: number; challenge?: string; body?: unknown } = {}) =>
  new Response(JSON.stringify(init.body ?? { error: 'use_dpop_nonce' }), {
    status: init.status ?? 401,
    headers: { ...(nonce ? { 'dpop-nonce': nonce } : {}), 'www-authenticate': init.challenge ?? 'DPoP algs="ES256", error="use_dpop_nonce"' },
  });

describe('auth-fetch-tabs/dpop: proofs', () => {
  it('signs an ES256 dpop+jwt with its public JWK, for this method and URL without query or fragment', async () => {
    const dpop = createDpop();
    const { dpop: proof } = await dpop.headers({ method: 'POST', url: 'https://api.example/v1/posts?page=2#top' });
    const { payload, header } = await claimsOf(proof!);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(header.jwk).not.toHaveProperty('d');
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.example/v1/posts' });
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(payload.jti).toMatch(/^[\w-]{16,}$/);
    expect(payload).not.toHaveProperty('ath');
    expect(payload).not.toHaveProperty('nonce');
    expect(await calculateJwkThumbprint(header.jwk!, 'sha256')).toBe(await dpop.thumbprint());
  });

  it('a fresh proof every time (new jti), with ath for an access token', async () => {
    const dpop = createDpop();
    const target = { method: 'GET', url: 'https://api.example/me', accessToken: 'eyJ.token.value' };
    const [a, b] = await Promise.all([dpop.headers(target), dpop.headers(target)]);
    const [first, second] = await Promise.all([claimsOf(a.dpop!), claimsOf(b.dpop!)]);
    expect(first.payload.jti).not.toBe(second.payload.jti);
    expect(first.payload.ath).toBe(createHash('sha256').update('eyJ.token.value').digest('base64url'));
  });

  it('carries the last nonce of each origin, and only there', async () => {
    const dpop = createDpop();
    const api = { method: 'GET', url: 'https://api.example/me' };
    await dpop.answered(new Response(null, { headers: { 'dpop-nonce': 'n-1' } }), api);
    await dpop.answered(new Response(null, { headers: { 'dpop-nonce': 'n-2' } }), api);
    expect((await claimsOf((await dpop.headers(api)).dpop!)).payload.nonce).toBe('n-2');
    const other = (await claimsOf((await dpop.headers({ method: 'GET', url: 'https://other.example/me' })).dpop!)).payload;
    expect(other).not.toHaveProperty('nonce');
  });
});

describe('auth-fetch-tabs/dpop: which answers ask for a resend', () => {
  const target = { method: 'GET', url: 'https://api.example/me' };

  it.each([
    ['a 401 DPoP use_dpop_nonce with a nonce', nonceChallenge('n'), true],
    ['a 401 use_dpop_nonce without a nonce (a resend would fail the same way)', nonceChallenge(null), false],
    ['a 401 DPoP invalid_token', nonceChallenge('n', { challenge: 'DPoP error="invalid_token"' }), false],
    ['a 401 Bearer challenge naming use_dpop_nonce', nonceChallenge('n', { challenge: 'Bearer error="use_dpop_nonce"' }), false],
    ['a 400 use_dpop_nonce (token endpoint) with a nonce', nonceChallenge('n', { status: 400 }), true],
    ['a 400 invalid_dpop_proof', nonceChallenge('n', { status: 400, body: { error: 'invalid_dpop_proof' } }), false],
    ['a 400 that is not JSON', new Response('nope', { status: 400, headers: { 'dpop-nonce': 'n' } }), false],
    ['a 200 with a new nonce', new Response('{}', { headers: { 'dpop-nonce': 'n' } }), false],
    ['a 403 whose JSON says use_dpop_nonce', nonceChallenge('n', { status: 403 }), false],
  ])('%s → %s', async (_, response, resend) => {
    expect(await createDpop().answered(response, target)).toBe(resend);
    // The body is the caller's: still readable.
    await expect(response.text()).resolves.toBeTypeOf('string');
  });
});

describe('auth-fetch-tabs/dpop: keys', () => {
  it('one key per app until reset(), then a new one (sessions cannot be linked)', async () => {
    const dpop = createDpop();
    dpop.bind!('app-1');
    const first = await dpop.thumbprint();
    expect(await dpop.thumbprint()).toBe(first);
    await dpop.answered(new Response(null, { headers: { 'dpop-nonce': 'old' } }), { method: 'GET', url: 'https://api.example/' });
    await dpop.reset!();
    expect(await dpop.thumbprint()).not.toBe(first);
    // The old session's nonce is forgotten too.
    expect((await claimsOf((await dpop.headers({ method: 'GET', url: 'https://api.example/' })).dpop!)).payload).not.toHaveProperty('nonce');
  });

  it('keys its proofs with the key of the app it is bound to', async () => {
    const dpop = createDpop();
    dpop.bind!('app-1');
    const proof = (await dpop.headers({ method: 'GET', url: 'https://api.example/' })).dpop!;
    expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk!, 'sha256')).toBe(await dpop.thumbprint());
  });

  it('falls back to a memory key with one console warning when IndexedDB fails', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubGlobal('indexedDB', {
      open() {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      },
    });
    const dpop = createDpop();
    dpop.bind!('app');
    const proof = (await dpop.headers({ method: 'GET', url: 'https://api.example/' })).dpop!;
    await claimsOf(proof);
    await dpop.headers({ method: 'GET', url: 'https://api.example/' });
    await dpop.reset!();
    await dpop.headers({ method: 'GET', url: 'https://api.example/' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/IndexedDB is unavailable.*SecurityError.*memory/);
  });
});

describe('auth-fetch-tabs/dpop: errors at once', () => {
  it('throws in a page that is not a secure context (no WebCrypto there)', () => {
    vi.stubGlobal('isSecureContext', false);
    vi.stubGlobal('location', { origin: 'http://intranet.example' });
    expect(() => createDpop()).toThrow(/secure context.*http:\/\/intranet\.example/);
  });

  it('throws where crypto.subtle is missing', () => {
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    expect(() => createDpop()).toThrow(/WebCrypto \(crypto\.subtle\)/);
  });

  it('refuses unknown or wrong options, naming them', () => {
    // @ts-expect-error not an option of createDpop
    expect(() => createDpop({ store: 'memory' })).toThrow('unknown option `store`');
    // @ts-expect-error a database name is a string
    expect(() => createDpop({ database: 1 })).toThrow('`database` must be a database name or false, got 1');
    expect(() => createDpop({ database: '' })).toThrow('`database`');
  });
});

describe('auth-fetch-tabs/dpop with the ky adapter', () => {
  it('a fresh proof for each of ky’s attempts', async () => {
    const proofs: string[] = [];
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.url.endsWith('/auth/refresh')) return Response.json({ accessToken: 'eyJ.a.b', expiresIn: 300, tokenType: 'DPoP' });
      proofs.push(request.headers.get('dpop') ?? '');
      expect(request.headers.get('authorization')).toBe('DPoP eyJ.a.b');
      return new Response('{}', { status: proofs.length < 3 ? 503 : 200 });
    };
    const authFetch = createAuthFetch({ refresh: 'https://api.example/auth/refresh', channel: false, fetch, dpop: createDpop() });
    const api = ky.create(withAuth(authFetch, { prefixUrl: 'https://api.example', retry: { limit: 2, delay: () => 0 } }));
    expect(await api.get('me').json()).toEqual({});
    expect(proofs).toHaveLength(3);
    expect(new Set(proofs).size).toBe(3);
    const jtis = await Promise.all(proofs.map(async (proof) => (await claimsOf(proof)).payload.jti));
    expect(new Set(jtis).size).toBe(3);
    authFetch.dispose();
  });
});
