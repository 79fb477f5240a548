import { describe, expect, it } from 'vitest';
import { RefreshError, isRefreshError, isSessionEndedError, type AuthEvent } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { setup } from '../helpers/setup.js';
import { urlOf } from '../helpers/url-of.js';
import { sleep } from '../helpers/wait.js';

describe('refresh outcomes', () => {
  it('a rejected refresh token ends the session once; waiting requests get their original 401', async () => {
    const api = fakeApi({ ttl: 60, refreshDelayMs: 10 });
    const authFetch = setup(api);
    await authFetch.ready;
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type === 'session:end' ? `end:${e.reason}` : e.type));
    api.state.revoked.add(api.state.lastIssued);
    api.state.refresh = 'reject';
    const responses = await Promise.all(Array.from({ length: 20 }, () => authFetch(`${api.origin}/api/me`)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(401));
    expect(api.state.refreshCalls).toBe(2);
    expect(authFetch.getState().status).toBe('anonymous');
    expect(events.filter((e) => e === 'end:rejected')).toHaveLength(1);
    // No further refresh is tried until a new login.
    await authFetch(`${api.origin}/api/me`);
    expect(api.state.refreshCalls).toBe(2);
  });

  it('a tab’s own refresh reports refresh:success from the network, with the expiry the state shows', async () => {
    const api = fakeApi({ ttl: 60 });
    const authFetch = setup(api);
    const successes: AuthEvent[] = [];
    authFetch.on((e) => {
      if (e.type === 'refresh:success') successes.push(e);
    });
    await authFetch.ready;
    api.clock.now += 61_000;
    expect((await authFetch(`${api.origin}/api/me`)).status).toBe(200);
    const { expiresAt } = authFetch.getState() as { expiresAt: number };
    expect(successes).toEqual([
      { type: 'refresh:success', source: 'network', expiresAt: expect.any(Number) },
      { type: 'refresh:success', source: 'network', expiresAt },
    ]);
  });

  it('a network failure during refresh keeps the session and rejects waiting requests with RefreshError', async () => {
    const api = fakeApi({ ttl: 60 });
    const authFetch = setup(api, { refreshTimeoutMs: 160 }); // its retries come within a few ms
    await authFetch.ready;
    api.clock.now += 61_000; // expired: nothing valid to fall back on
    api.state.refresh = 'network';
    const error = await authFetch(`${api.origin}/api/me`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(isRefreshError(error)).toBe(true);
    expect((error as RefreshError).cause).toBeInstanceOf(TypeError);
    expect(authFetch.getState().status).toBe('authenticated');
    // The next request after the cooldown tries again, and succeeds once the network is back.
    api.state.refresh = 'ok';
    await sleep(1_050); // the cooldown after a failed refresh
    expect((await authFetch(`${api.origin}/api/me`)).status).toBe(200);
  });

  it('a 5xx during refresh is a RefreshError with its status, not a logout', async () => {
    const api = fakeApi({ ttl: 60 });
    const authFetch = setup(api);
    await authFetch.ready;
    api.clock.now += 61_000;
    api.state.refresh = 'fail';
    const error = (await authFetch(`${api.origin}/api/me`).catch((e: unknown) => e)) as RefreshError;
    expect(error.name).toBe('RefreshError');
    expect(error.status).toBe(503);
    expect(authFetch.getState().status).toBe('authenticated');
  });

  it('a failed proactive refresh does not fail a request whose token is still valid', async () => {
    const api = fakeApi({ ttl: 300 });
    const authFetch = setup(api, { leewayMs: 60_000 });
    await authFetch.ready;
    api.clock.now += 250_000; // inside the leeway, not expired
    api.state.refresh = 'fail';
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type));
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    expect(events).toContain('refresh:error');
  });

  it('a refresh URL that never answers times out as a RefreshError; the session is kept', async () => {
    const api = fakeApi({ ttl: 60 });
    let hang = false;
    const authFetch = setup(api, {
      refreshTimeoutMs: 50,
      fetch: (input, init) =>
        hang && urlOf(input).endsWith('/auth/refresh')
          ? new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
          : api.fetch(input, init),
    });
    await authFetch.ready;
    api.clock.now += 61_000;
    hang = true;
    const error = await authFetch(`${api.origin}/api/me`).catch((e: unknown) => e);
    expect(isRefreshError(error)).toBe(true);
    expect((error as RefreshError).cause).toMatchObject({ name: 'TimeoutError' });
    expect(authFetch.getState().status).toBe('authenticated');
  });

  it('an unreadable refresh answer is a RefreshError', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { refresh: async () => ({ token: 'x' }) as never });
    const state = await authFetch.ready;
    expect(state.status).toBe('unknown');
    const error = await authFetch.refresh().catch((e: unknown) => e);
    expect(isRefreshError(error)).toBe(true);
  });

  it.each([
    ['expiresIn 0', () => Response.json({ accessToken: 'opaque', expiresIn: 0 }), /^Refresh failed: `expiresIn` must be a finite number of seconds > 0, got 0$/, 200],
    ['expiresIn -60', () => Response.json({ accessToken: 'opaque', expiresIn: -60 }), /`expiresIn`.*got -60$/, 200],
    ['expiresIn "300"', () => Response.json({ accessToken: 'opaque', expiresIn: '300' }), /`expiresIn`.*got "300"$/, 200],
    ['expiresIn null', () => Response.json({ accessToken: 'opaque', expiresIn: null }), /`expiresIn`.*got null$/, 200],
    ['accessToken 123', () => Response.json({ accessToken: 123 }), /^Refresh failed: `accessToken` must be a bearer token \(RFC 6750 b64token\), got 123$/, 200],
    ['a newline in accessToken', () => Response.json({ accessToken: 'abc\ndef' }), /^Refresh failed: `accessToken` must be a bearer token \(RFC 6750 b64token\), got a string of 7 characters$/, 200],
    ['a 200 that is not JSON', () => new Response('<html>hi</html>'), /^Refresh failed: /, 200],
    ['a 204', () => new Response(null, { status: 204 }), /^Refresh failed: /, 204],
  ])('an unusable answer (%s) is a RefreshError that says why, with the status', async (_, answer, message, status) => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: async (input, init) => (urlOf(input).endsWith('/auth/refresh') ? answer() : api.fetch(input, init)) });
    expect((await authFetch.ready).status).toBe('unknown');
    const error = (await authFetch.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.status).toBe(status);
  });

  it('a refresh function answering a non-finite expiresIn is a RefreshError too', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { refresh: async () => ({ accessToken: 'opaque', expiresIn: Infinity }) });
    const error = (await authFetch.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(error.message).toMatch(/`expiresIn`.*got Infinity$/);
    expect(error.status).toBeUndefined();
  });

  it('refresh() resolves to the new token, or rejects with SessionEndedError when refused', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    const before = api.state.lastIssued;
    const fresh = await authFetch.refresh();
    expect(fresh).toBe(api.state.lastIssued);
    expect(fresh).not.toBe(before);
    api.state.refresh = 'reject';
    const error = await authFetch.refresh().catch((e: unknown) => e);
    expect(isSessionEndedError(error)).toBe(true);
  });
});
