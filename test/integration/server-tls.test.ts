import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startServer } from '../helpers/server-client';
import { makeProof, proofKey } from '../helpers/dpop-proofs';
import { httpsRequest, makeCertificate, type TestCertificate } from '../helpers/tls';

/**
 * HTTPS terminated in Node (`tls` option, TLS_CERT/TLS_KEY): the path on which the refresh cookie
 * becomes `__Host-refresh_token; Path=/; Secure`, on loopback with a certificate made for this test.
 */

let certificate: TestCertificate;
beforeAll(() => {
  certificate = makeCertificate();
});
afterAll(() => certificate?.remove());

const cookiesOf = (setCookies: string[]) => Object.fromEntries(setCookies.map((line) => [parseSetCookie(line).name, parseSetCookie(line)]));

describe('reference server over HTTPS', () => {
  it('serves https:// and sets the __Host- refresh cookie (Path=/) and the hint with Secure; refresh and logout use them', async () => {
    const { url } = await startServer({ tls: { cert: certificate.cert, key: certificate.key } });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { cert } = certificate;

    const login = await httpsRequest(`${url}/auth/login`, cert, { method: 'POST', body: JSON.stringify(ALICE) });
    expect(login.status).toBe(200);
    const set = cookiesOf(login.setCookies);
    expect(set['__Host-refresh_token']).toMatchObject({ path: '/', httpOnly: true, secure: true, sameSite: 'strict' });
    expect(set['__Host-refresh_token']?.domain).toBeUndefined();
    expect(set.auth_hint).toMatchObject({ value: '1', path: '/', secure: true, sameSite: 'strict' });
    expect(set.auth_hint?.httpOnly).toBeUndefined();
    expect(set.refresh_token).toBeUndefined();
    const token = set['__Host-refresh_token']?.value ?? '';

    // Other names are not read over HTTPS: a plain-HTTP page on the same host could have set
    // `refresh_token`, a sibling subdomain `__Secure-refresh_token; Domain=<parent>`.
    for (const name of ['refresh_token', '__Secure-refresh_token']) {
      const planted = await httpsRequest(`${url}/auth/refresh`, cert, { method: 'POST', headers: { cookie: `${name}=${token}` } });
      expect(planted.status).toBe(401);
    }

    const refresh = await httpsRequest(`${url}/auth/refresh`, cert, {
      method: 'POST',
      headers: { cookie: `__Host-refresh_token=${token}`, origin: url },
    });
    expect(refresh.status).toBe(200);
    const rotated = cookiesOf(refresh.setCookies)['__Host-refresh_token']?.value;
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(token);

    const logout = await httpsRequest(`${url}/auth/logout`, cert, {
      method: 'POST',
      headers: { cookie: `__Host-refresh_token=${rotated}`, origin: url },
    });
    expect(logout.status).toBe(204);
    expect(cookiesOf(logout.setCookies)).toMatchObject({
      '__Host-refresh_token': { value: '', maxAge: 0, path: '/', secure: true },
      auth_hint: { value: '', maxAge: 0, secure: true },
    });
  });

  it('reads the DPoP key binding only as __Host-dpop_jkt: a sibling cannot plant one and sign the user out', async () => {
    const { url } = await startServer({ tls: { cert: certificate.cert, key: certificate.key } });
    const { cert } = certificate;
    const login = await httpsRequest(`${url}/auth/login`, cert, { method: 'POST', body: JSON.stringify(ALICE) });
    const token = cookiesOf(login.setCookies)['__Host-refresh_token']?.value ?? '';
    // What a sibling can set for our host (`Domain=<parent>`): a key binding naming its own key. Read,
    // it would make this bearer session's refresh a DPoP one proved with no key: 401, cookies cleared.
    const sibling = `dpop_jkt=${'A'.repeat(43)}`;
    const refresh = await httpsRequest(`${url}/auth/refresh`, cert, {
      method: 'POST',
      headers: { cookie: `${sibling}; __Host-refresh_token=${token}`, origin: url },
    });
    expect(refresh.status).toBe(200);
    expect(refresh.setCookies.some((line) => /^(__Host-)?dpop_jkt=/.test(line))).toBe(false);
  });

  it('binds a DPoP session with __Host-dpop_jkt (Path=/), which a planted dpop_jkt does not override', async () => {
    const { url } = await startServer({ tls: { cert: certificate.cert, key: certificate.key }, dpop: 'required' });
    const { cert } = certificate;
    const key = await proofKey();
    const proved = async (path: string, cookie: string, nonce?: string) => {
      const dpop = await makeProof(key, { htm: 'POST', htu: `${url}${path}`, ...(nonce === undefined ? {} : { nonce }) });
      return httpsRequest(`${url}${path}`, cert, { method: 'POST', headers: { dpop, cookie, origin: url }, body: JSON.stringify(ALICE) });
    };
    const bounce = await proved('/auth/login', '');
    expect(bounce.status).toBe(400);
    const nonce = String(bounce.headers['dpop-nonce']);
    const login = await proved('/auth/login', '', nonce);
    expect(login.status).toBe(200);
    const set = cookiesOf(login.setCookies);
    expect(set['__Host-dpop_jkt']).toMatchObject({ value: key.jkt, path: '/', httpOnly: true, secure: true });
    expect(set.dpop_jkt).toBeUndefined();
    const token = set['__Host-refresh_token']?.value ?? '';

    // A sibling's `dpop_jkt` naming another key, sent first: the refresh still binds with the session's.
    const planted = `dpop_jkt=${'A'.repeat(43)}; __Host-refresh_token=${token}; __Host-dpop_jkt=${key.jkt}`;
    const refresh = await proved('/auth/refresh', planted, nonce);
    expect(refresh.status).toBe(200);
    expect(cookiesOf(refresh.setCookies)['__Host-dpop_jkt']?.value).toBe(key.jkt);
  });

  it("allows its own https:// origin by default, not the same host's http:// one", async () => {
    const { url } = await startServer({ tls: { cert: certificate.cert, key: certificate.key } });
    const from = (origin: string) => httpsRequest(`${url}/auth/refresh`, certificate.cert, { method: 'POST', headers: { origin } });
    expect((await from(url)).status).toBe(401); // allowed, but no cookie
    expect((await from(url.replace('https:', 'http:'))).status).toBe(403);
  });

  it('refuses a certificate or key that is not PEM, or a key of another certificate, naming the option', async () => {
    const { cert, key } = certificate;
    await expect(startServer({ tls: { cert: 'nope', key } })).rejects.toThrow(/`tls.cert` must be a PEM certificate .*, got "4 bytes without a PEM block"/);
    await expect(startServer({ tls: { cert, key: cert } })).rejects.toThrow(/`tls.key` must be a PEM private key/);
    const other = makeCertificate();
    try {
      await expect(startServer({ tls: { cert, key: other.key } })).rejects.toThrow(/TLS certificate and key cannot be used together/);
    } finally {
      other.remove();
    }
  });
});
