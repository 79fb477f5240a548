import { describe, expect, it } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { jwtFor, makeJwt } from '../../harness/jwt.js';
import { setup, stateToken } from '../helpers/setup.js';
import { urlOf } from '../helpers/url-of.js';

describe('proactive refresh (before exp)', () => {
  it('refreshes before sending once inside the leeway window, not before', async () => {
    const api = fakeApi({ ttl: 300 });
    const authFetch = setup(api, { leewayMs: 60_000 });
    await authFetch.ready;
    api.clock.now += 239_000; // 61 s left
    await authFetch(`${api.origin}/api/me`);
    expect(api.state.refreshCalls).toBe(1);
    api.clock.now += 2_000; // 59 s left: inside the window
    const before = stateToken(authFetch);
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    expect(api.state.refreshCalls).toBe(2);
    expect(stateToken(authFetch)).not.toBe(before);
    expect(api.state.requests.at(-1)?.authorization).toBe(`Bearer ${stateToken(authFetch)}`);
  });

  it('caps the leeway at half the token lifetime', async () => {
    const api = fakeApi({ ttl: 30 });
    const authFetch = setup(api, { leewayMs: 60_000 });
    await authFetch.ready;
    api.clock.now += 14_000; // 16 s left of 30: outside half the lifetime
    await authFetch(`${api.origin}/api/me`);
    expect(api.state.refreshCalls).toBe(1);
    api.clock.now += 2_000; // 14 s left: inside
    await authFetch(`${api.origin}/api/me`);
    expect(api.state.refreshCalls).toBe(2);
  });

  it('corrects for a server clock that is ahead, from the Date header', async () => {
    const api = fakeApi({ ttl: 300 });
    const skew = 120_000; // server two minutes ahead
    const authFetch = setup(api, {
      leewayMs: 10_000,
      fetch: async (input, init) => {
        const res = await api.fetch(input, init);
        if (!urlOf(input).endsWith('/auth/refresh')) return res;
        // Issue tokens on the server's clock and say so in Date.
        const serverNow = api.clock.now + skew;
        const body = JSON.stringify({ accessToken: jwtFor(serverNow, 300) });
        return new Response(body, { headers: { 'content-type': 'application/json', date: new Date(serverNow).toUTCString() } });
      },
    });
    await authFetch.ready;
    const state = authFetch.getState();
    expect(state.status).toBe('authenticated');
    // exp is 300 s after server-now, which is 300 s after our now (± the Date header's second).
    const expiresAt = (state as { expiresAt: number }).expiresAt;
    expect(Math.abs(expiresAt - (api.clock.now + 300_000))).toBeLessThanOrEqual(1000);
  });

  it('never "corrects" a correct clock within the one-second resolution of Date', async () => {
    const api = fakeApi({ ttl: 300 });
    api.clock.now = Math.floor(api.clock.now / 1000) * 1000 + 999; // Date header truncates 999 ms
    const authFetch = setup(api, {
      fetch: async (input, init) => {
        const res = await api.fetch(input, init);
        if (!urlOf(input).endsWith('/auth/refresh')) return res;
        const body = await res.text();
        return new Response(body, { headers: { 'content-type': 'application/json', date: new Date(api.clock.now).toUTCString() } });
      },
    });
    await authFetch.ready;
    const { expiresAt } = authFetch.getState() as { expiresAt: number };
    const exp = Math.floor(api.clock.now / 1000) + 300;
    expect(expiresAt).toBe(exp * 1000);
  });

  it('uses a token without a readable exp as is, until a 401', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { refresh: async () => ({ accessToken: 'opaque-token' }) });
    await authFetch.ready;
    api.clock.now += 10 * 365 * 86_400_000;
    await authFetch(`${api.origin}/api/me`);
    expect(api.state.requests.at(-1)?.authorization).toBe('Bearer opaque-token');
    expect((authFetch.getState() as { expiresAt?: number }).expiresAt).toBeUndefined();
  });

  it('uses expiresIn when the token is not a JWT', async () => {
    const api = fakeApi();
    let n = 0;
    const authFetch = setup(api, { refresh: async () => ({ accessToken: `opaque-${++n}`, expiresIn: 100 }), leewayMs: 10_000 });
    await authFetch.ready;
    api.clock.now += 91_000;
    const sentBefore = api.state.requests.length;
    await authFetch(`${api.origin}/api/me`);
    // The fake API only knows JWTs, so it answers 401 and the replay carries opaque-3; what matters
    // is that the first send already carried a proactively refreshed token.
    expect(api.state.requests[sentBefore]?.authorization).toBe('Bearer opaque-2');
  });

  it('reads base64url payloads with characters outside ASCII', async () => {
    const api = fakeApi();
    const token = makeJwt({ name: 'Zoë ✓ ~~~???>>>', exp: Math.floor(api.clock.now / 1000) + 500 });
    const authFetch = setup(api, { refresh: async () => ({ accessToken: token }) });
    await authFetch.ready;
    expect((authFetch.getState() as { expiresAt: number }).expiresAt).toBe((Math.floor(api.clock.now / 1000) + 500) * 1000);
  });
});

describe('single-flight', () => {
  it('1,000 concurrent requests with an expired token cause exactly one refresh', async () => {
    const api = fakeApi({ ttl: 60, refreshDelayMs: 20 });
    const authFetch = setup(api);
    await authFetch.ready;
    api.clock.now += 61_000;
    const responses = await Promise.all(Array.from({ length: 1000 }, () => authFetch(`${api.origin}/api/me`)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(api.state.refreshCalls).toBe(2); // start-up + one
  });

  it('1,000 concurrent 401s cause exactly one refresh and one replay each', async () => {
    const api = fakeApi({ ttl: 60, refreshDelayMs: 20 });
    const authFetch = setup(api);
    await authFetch.ready;
    api.state.revoked.add(stateToken(authFetch)!);
    const responses = await Promise.all(Array.from({ length: 1000 }, () => authFetch(`${api.origin}/api/me`)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(api.state.refreshCalls).toBe(2);
    expect(api.state.requests.length).toBe(2000); // each sent once, replayed once
  });
});
