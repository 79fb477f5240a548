/**
 * Eras: each login and each session end starts one. What was under way for an older era (a refresh,
 * a 401 in hand) must not undo a logout or a login, and no request is replayed as another user.
 */
import { describe, expect, it } from 'vitest';
import { createAuthFetch, isSessionEndedError, type AuthFetchOptions } from '../../src/index.js';
import { jwtFor } from '../../harness/jwt.js';
import { sleep } from '../helpers/wait.js';

const API = 'https://api.test';

/** A fetch whose answers the test gives by hand, one pending call at a time. */
function manualFetch() {
  const calls: Array<{ url: string; auth: string | null; answer: (response: Response) => void }> = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((resolve) => {
      const url = input instanceof Request ? input.url : String(input);
      calls.push({ url, auth: new Headers(init?.headers).get('authorization'), answer: resolve });
    });
  const next = async (path: string) => {
    for (let i = 0; i < 100; i++) {
      const call = calls.find((c) => c.url.endsWith(path));
      if (call) return calls.splice(calls.indexOf(call), 1)[0]!;
      await sleep(1);
    }
    throw new Error(`no call to ${path}`);
  };
  return { fetch, next, calls };
}

/** Start-up finds no session: the refresh cookie is refused. */
async function startWithoutSession(api: ReturnType<typeof manualFetch>, authFetch: { ready: Promise<unknown> }) {
  (await api.next('/auth/refresh')).answer(new Response(null, { status: 401 }));
  await authFetch.ready;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const make = (fetch: typeof globalThis.fetch, extra: Partial<AuthFetchOptions> = {}) =>
  createAuthFetch({ refresh: `${API}/auth/refresh`, logout: `${API}/auth/logout`, trustedOrigins: [API], channel: false, fetch, ...extra });

describe('eras', () => {
  it('a visitor without a session: requests made during start-up go out without a token', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    const request = authFetch(`${API}/public`);
    (await api.next('/auth/refresh')).answer(new Response(null, { status: 401 }));
    const call = await api.next('/public');
    expect(call.auth).toBeNull();
    call.answer(new Response('hello'));
    expect(await (await request).text()).toBe('hello');
    expect((await authFetch.ready).status).toBe('anonymous');
    authFetch.dispose();
  });

  it('a start-up refresh that failed, then is refused: the waiting request still goes out, without a token', async () => {
    const api = manualFetch();
    // A short timeout: the retries of the 503 come within a few ms.
    const authFetch = make(api.fetch, { refreshTimeoutMs: 64 });
    let settled = false;
    const ready = authFetch.ready.finally(() => {
      settled = true;
    });
    while (!settled) {
      const retry = await api.next('/auth/refresh').catch(() => undefined);
      retry?.answer(new Response(null, { status: 503 }));
      await sleep(1);
    }
    expect((await ready).status).toBe('unknown');
    api.calls.length = 0; // an attempt cut off by the timeout (this fake fetch ignores its signal)
    // One failure is a blip, no cooldown: the next request tries again at once.
    const request = authFetch(`${API}/public`);
    (await api.next('/auth/refresh')).answer(new Response(null, { status: 401 }));
    const call = await api.next('/public');
    expect(call.auth).toBeNull();
    call.answer(new Response('ok'));
    expect((await request).status).toBe(200);
    authFetch.dispose();
  });

  it.each([
    ['refused', () => new Response(null, { status: 401 })],
    ['answered with the old cookie\'s token', () => json({ accessToken: jwtFor(Date.now(), 300, { sub: 'old' }) })],
  ])('a login during the start-up refresh stands when that refresh is %s', async (_, answer) => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    const ends: string[] = [];
    authFetch.on((e) => e.type === 'session:end' && ends.push(e.reason));
    const startup = await api.next('/auth/refresh');
    const login = jwtFor(Date.now(), 300, { sub: 'new' });
    authFetch.setTokens({ accessToken: login });
    startup.answer(answer());
    await authFetch.ready;
    expect(authFetch.getState()).toMatchObject({ status: 'authenticated', accessToken: login });
    expect(ends).toEqual([]);
    const request = authFetch(`${API}/me`);
    const call = await api.next('/me');
    expect(call.auth).toBe(`Bearer ${login}`);
    call.answer(new Response('me'));
    expect((await request).status).toBe(200);
    authFetch.dispose();
  });

  it('a 401 already in hand when logout() runs starts no refresh and no new session', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300) });
    const request = authFetch(`${API}/me`);
    const call = await api.next('/me');
    // The 401 resolves the fetch; logout runs before auth-fetch's code sees it.
    call.answer(new Response(null, { status: 401 }));
    queueMicrotask(() => void authFetch.logout().catch(() => {}));
    const outcome = await request.then((r) => r.status, (e: unknown) => (isSessionEndedError(e) ? 'ended' : e));
    expect([401, 'ended']).toContain(outcome);
    await sleep(20);
    expect(api.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(0);
    expect(authFetch.getState().status).toBe('anonymous');
    authFetch.dispose();
  });

  it('a request sent before a login is not replayed with its token; setTokens within a session is a new token for it', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    // Sent anonymously, then the user logs in: its 401 is the answer to an anonymous request.
    const before = authFetch(`${API}/posts`, { method: 'POST', body: '{}' });
    const anonymous = await api.next('/posts');
    expect(anonymous.auth).toBeNull();
    const first = jwtFor(Date.now(), 300, { sub: 'alice' });
    authFetch.setTokens({ accessToken: first });
    anonymous.answer(new Response(null, { status: 401 }));
    expect((await before).status).toBe(401);
    // Signed in: a second setTokens (a re-authentication) replaces the token of the same session.
    const during = authFetch(`${API}/posts`, { method: 'POST', body: '{}' });
    const sent = await api.next('/posts');
    expect(sent.auth).toBe(`Bearer ${first}`);
    const second = jwtFor(Date.now() + 1000, 300, { sub: 'alice' });
    authFetch.setTokens({ accessToken: second });
    sent.answer(new Response(null, { status: 401 }));
    const replay = await api.next('/posts');
    expect(replay.auth).toBe(`Bearer ${second}`);
    replay.answer(new Response(null, { status: 201 }));
    expect((await during).status).toBe(201);
    expect(api.calls).toHaveLength(0); // no refresh: the new token answered the 401
    authFetch.dispose();
  });

  it('a refresh that was running at logout reports nothing after session:end', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300) });
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type));
    const refreshing = authFetch.refresh().catch((e: unknown) => e);
    const refresh = await api.next('/auth/refresh');
    const loggedOut = authFetch.logout();
    (await api.next('/auth/logout')).answer(new Response(null, { status: 204 }));
    await loggedOut;
    refresh.answer(json({ accessToken: jwtFor(Date.now(), 300) }));
    expect(isSessionEndedError(await refreshing)).toBe(true);
    await sleep(10);
    expect(events).toEqual(['refresh:start', 'session:end']);
    expect(authFetch.getState().status).toBe('anonymous');
    authFetch.dispose();
  });

  it('a refresh running across a logout and another user’s login is not adopted: the new user’s token stays', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300, { sub: 'alice' }) });
    const refreshing = authFetch.refresh().catch((e: unknown) => e);
    const refresh = await api.next('/auth/refresh');
    const loggedOut = authFetch.logout();
    (await api.next('/auth/logout')).answer(new Response(null, { status: 204 }));
    await loggedOut;
    const bob = jwtFor(Date.now(), 300, { sub: 'bob' });
    authFetch.setTokens({ accessToken: bob });
    // Alice's refresh answers last, with a newer token than bob's.
    refresh.answer(json({ accessToken: jwtFor(Date.now() + 5_000, 300, { sub: 'alice' }) }));
    expect(isSessionEndedError(await refreshing)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(authFetch.getState()).toMatchObject({ status: 'authenticated', accessToken: bob, claims: { sub: 'bob' } });
    // Bob's own refresh is a new one, not alice's that was under way.
    const bobs = authFetch.refresh();
    const next = await api.next('/auth/refresh');
    const renewed = jwtFor(Date.now() + 10_000, 300, { sub: 'bob' });
    next.answer(json({ accessToken: renewed }));
    expect(await bobs).toBe(renewed);
    authFetch.dispose();
  });

  it('a refresh of an older era that settles late leaves the new era’s refresh in place: later callers join it', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300, { sub: 'alice' }) });
    const alices = authFetch.refresh().catch((e: unknown) => e);
    const old = await api.next('/auth/refresh');
    const loggedOut = authFetch.logout();
    (await api.next('/auth/logout')).answer(new Response(null, { status: 204 }));
    await loggedOut;
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300, { sub: 'bob' }) });
    const first = authFetch.refresh();
    const bobs = await api.next('/auth/refresh');
    old.answer(json({ accessToken: jwtFor(Date.now(), 300, { sub: 'alice' }) }));
    expect(isSessionEndedError(await alices)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    const second = authFetch.refresh();
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(0); // the second joined the first
    const renewed = jwtFor(Date.now() + 10_000, 300, { sub: 'bob' });
    bobs.answer(json({ accessToken: renewed }));
    expect(await Promise.all([first, second])).toEqual([renewed, renewed]);
    authFetch.dispose();
  });

  it('dispose() aborts the refresh call under way', async () => {
    const signals: AbortSignal[] = [];
    const authFetch = make((_, init) => {
      if (init?.signal) signals.push(init.signal);
      return new Promise<Response>(() => {});
    });
    void authFetch.ready;
    await new Promise((r) => setTimeout(r, 10));
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    authFetch.dispose();
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it('a 401 from another origin that a trusted one redirected to is returned as is', async () => {
    let refreshes = 0;
    const authFetch = make(async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/auth/refresh')) return refreshes++ ? json({ accessToken: jwtFor(Date.now(), 300) }) : new Response(null, { status: 401 });
      const response = new Response(null, { status: 401 });
      Object.defineProperties(response, { redirected: { value: true }, url: { value: 'https://elsewhere.test/login' } });
      return response;
    });
    await authFetch.ready;
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300) });
    expect((await authFetch(`${API}/go`)).status).toBe(401);
    expect(refreshes).toBe(1); // the start-up one only
    authFetch.dispose();
  });

  it.each([
    [{ accessToken: 'two\nlines' }, /`accessToken` must be a bearer token.*a string of 9 characters/],
    [{ accessToken: 'tökén' }, /`accessToken` must be a bearer token/],
    [{ accessToken: '' }, /`accessToken`/],
    [null, /`accessToken`.*got undefined/],
    [{ accessToken: 'abc', expiresIn: Infinity }, /`expiresIn` must be a finite number of seconds > 0, got Infinity/],
    [{ accessToken: 'abc', expiresIn: 0 }, /`expiresIn`/],
  ])('setTokens(%o) is refused, without quoting the token', (tokens, message) => {
    const authFetch = make(async () => new Response(null, { status: 401 }));
    expect(() => authFetch.setTokens(tokens as never)).toThrow(message);
    expect(authFetch.getState().status).not.toBe('authenticated');
    authFetch.dispose();
  });

  it('after dispose() calls, refreshes, logins and logouts reject with SessionEndedError, setTokens throws it, and nothing is sent', async () => {
    const api = manualFetch();
    const authFetch = make(api.fetch);
    await startWithoutSession(api, authFetch);
    authFetch.dispose();
    const calls = [authFetch(`${API}/me`), authFetch('https://elsewhere.test/'), authFetch.refresh(), authFetch.login(`${API}/login`), authFetch.logout()];
    for (const call of calls) {
      const error = await call.catch((e: unknown) => e);
      expect(isSessionEndedError(error) && error.reason).toBe('disposed');
    }
    expect(() => authFetch.setTokens({ accessToken: 'opaque-token', expiresIn: 300 })).toThrow(expect.objectContaining({ name: 'SessionEndedError', reason: 'disposed' }));
    expect(authFetch.getState().status).not.toBe('authenticated');
    expect(api.calls).toHaveLength(0);
  });
});
