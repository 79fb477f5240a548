import { describe, expect, it } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { jwtFor } from '../../harness/jwt.js';
import { failAuthorized, setup, stateToken } from '../helpers/setup.js';
import { urlOf } from '../helpers/url-of.js';

describe('reactive refresh (on a 401 for our token)', () => {
  it('refreshes once and replays the request once with the new token', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch) });
    await authFetch.ready;
    expect(api.state.refreshCalls).toBe(1); // start-up rehydration
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type));
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    expect(api.state.refreshCalls).toBe(2);
    expect(api.state.requests.at(-1)?.authorization).toBe(`Bearer ${stateToken(authFetch)}`);
    expect(events).toEqual(['refresh:start', 'refresh:success', 'replay']);
  });

  it('never replays twice: a second 401 is returned as is', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch, 100) });
    await authFetch.ready;
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(401);
    expect(api.state.refreshCalls).toBe(2); // start-up + exactly one reactive
  });

  it('does not intercept its own refresh call, even when the app makes it', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    api.state.refresh = 'reject';
    const res = await authFetch(`${api.origin}/auth/refresh`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(api.state.refreshCalls).toBe(2); // start-up + the app's own call, nothing of ours
    expect(authFetch.getState().status).toBe('authenticated');
  });

  it('leaves 401s alone for requests that did not carry our token', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    await authFetch.ready; // anonymous: no token to carry
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(401);
    expect(api.state.refreshCalls).toBe(1);
    expect(api.state.requests.at(-1)?.authorization).toBeNull();
  });

  it('honours a custom shouldRefresh, but only for requests that carried our token', async () => {
    const api = fakeApi();
    const authFetch = setup(api, {
      fetch: async (input, init) =>
        new Headers(init?.headers).get('authorization') === `Bearer ${api.state.lastIssued}` || urlOf(input).includes('/auth/')
          ? api.fetch(input, init)
          : new Response('forbidden', { status: 403 }),
      shouldRefresh: (r) => r.status === 403,
    });
    await authFetch.ready;
    api.clock.now += 1000;
    api.issue(); // the server moved on: our token now gets 403
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    expect(api.state.refreshCalls).toBe(2);
  });

  it('answers a late 401 for an older token with the current token, without another refresh', async () => {
    const api = fakeApi();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sent!: () => void;
    const firstSent = new Promise<void>((r) => (sent = r));
    let slowCalls = 0;
    const authFetch = setup(api, {
      fetch: async (input, init) => {
        if (urlOf(input).endsWith('/api/slow') && slowCalls++ === 0) {
          sent();
          await gate;
          return new Response('expired', { status: 401 });
        }
        return api.fetch(input, init);
      },
    });
    await authFetch.ready;
    const pending = authFetch(`${api.origin}/api/slow`);
    await firstSent;
    api.clock.now += 1000;
    await authFetch.refresh(); // e.g. another request refreshed meanwhile
    const refreshes = api.state.refreshCalls;
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(api.state.refreshCalls).toBe(refreshes);
    expect(api.state.requests.at(-1)?.authorization).toBe(`Bearer ${stateToken(authFetch)}`);
  });

  it('never replays with a token already inside its leeway window', async () => {
    const api = fakeApi({ ttl: 300 });
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch), leewayMs: 60_000 });
    await authFetch.ready;
    const sentWith = stateToken(authFetch);
    // A newer token arrives, but it is already within 60 s of its expiry.
    api.clock.now += 1000;
    authFetch.setTokens({ accessToken: jwtFor(api.clock.now - 250_000, 300) });
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    const replayedWith = api.state.requests.at(-1)?.authorization;
    expect(replayedWith).toBe(`Bearer ${api.state.lastIssued}`);
    expect(replayedWith).not.toBe(`Bearer ${sentWith}`);
  });
});
