import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startServer } from '../helpers/server-client';
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
