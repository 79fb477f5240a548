import { describe, expect, it } from 'vitest';
import { LogoutError, SessionEndedError, isSessionEndedError, type AuthEvent, type SessionState } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { jwtFor } from '../../harness/jwt.js';
import { setup } from '../helpers/setup.js';
import { urlOf } from '../helpers/url-of.js';
import { json, manualFetch } from '../helpers/manual-fetch.js';
import { sleep } from '../helpers/wait.js';

describe('start-up', () => {
  it('rehydrates through one refresh; requests made before ready wait for it', async () => {
    const api = fakeApi({ refreshDelayMs: 20 });
    const authFetch = setup(api);
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(200);
    expect(api.state.refreshCalls).toBe(1);
    expect((await authFetch.ready).status).toBe('authenticated');
  });

  it('goes anonymous without a refresh cookie, and sends requests without a token', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    const states: string[] = [];
    authFetch.subscribe((s) => states.push(s.status));
    expect((await authFetch.ready).status).toBe('anonymous');
    expect(states).toEqual(['unknown', 'anonymous']);
    const res = await authFetch(`${api.origin}/api/me`);
    expect(res.status).toBe(401);
    expect(api.state.requests.at(-1)?.authorization).toBeNull();
  });

  it('stays unknown when the refresh endpoint is unreachable, and tries again on the next request', async () => {
    const api = fakeApi({ refresh: 'network' });
    const authFetch = setup(api, { refreshTimeoutMs: 160 }); // its retries come within a few ms
    expect((await authFetch.ready).status).toBe('unknown');
    api.state.refresh = 'ok';
    await sleep(1_050); // the cooldown after a failed refresh
    expect((await authFetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(authFetch.getState().status).toBe('authenticated');
  });
});

describe('state and subscribe', () => {
  it('follows the Svelte store contract: current value at once, then each change, unsubscribe stops it', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    const seen: SessionState[] = [];
    const unsubscribe = authFetch.subscribe((s) => seen.push(s));
    expect(seen).toEqual([{ status: 'unknown' }]);
    await authFetch.ready;
    expect(seen.at(-1)).toMatchObject({ status: 'authenticated', accessToken: api.state.lastIssued });
    unsubscribe();
    await authFetch.logout();
    expect(seen).toHaveLength(2);
  });

  it('a throwing subscriber does not break the others', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    const seen: string[] = [];
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    authFetch.subscribe((s) => {
      if (s.status !== 'unknown') throw new Error('subscriber bug');
    });
    authFetch.subscribe((s) => seen.push(s.status));
    await authFetch.ready;
    await sleep(0);
    process.off('uncaughtException', onError);
    expect(seen).toEqual(['unknown', 'authenticated']);
  });
});

describe('subscribe and on: bad listeners', () => {
  /** Errors thrown later by a registered listener (reported through queueMicrotask). */
  async function uncaughtDuring(run: () => Promise<void>) {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      await run();
      await sleep(0);
    } finally {
      process.off('uncaughtException', onError);
    }
    return errors;
  }

  it('a non-function is a TypeError naming the method, and is not registered', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    const errors = await uncaughtDuring(async () => {
      expect(() => authFetch.subscribe(null as never)).toThrow(new TypeError('`subscribe` takes a function, got null'));
      expect(() => authFetch.on('nope' as never)).toThrow(new TypeError('`on` takes a function, got "nope"'));
      await authFetch.ready; // a state change and events
    });
    expect(errors).toEqual([]);
  });

  it('a subscriber that throws on its first call: the caller gets the error, and it is not registered', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    let calls = 0;
    const bug = new Error('subscriber bug');
    const errors = await uncaughtDuring(async () => {
      expect(() =>
        authFetch.subscribe(() => {
          calls++;
          throw bug;
        }),
      ).toThrow(bug);
      await authFetch.ready;
    });
    expect(calls).toBe(1);
    expect(errors).toEqual([]);
  });

  it('a subscriber that changes the state on its first call is told of the change', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    await authFetch.ready;
    const seen: string[] = [];
    authFetch.subscribe((s) => {
      seen.push(s.status);
      if (s.status === 'anonymous') authFetch.setTokens({ accessToken: jwtFor(api.clock.now, 300) });
    });
    expect(seen).toEqual(['anonymous', 'authenticated']);
  });
});

describe('setTokens and logout', () => {
  it('setTokens starts a session; bad input is a TypeError naming it', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    await authFetch.ready;
    expect(() => authFetch.setTokens({ accessToken: '' })).toThrow(/`accessToken`/);
    expect(() => authFetch.setTokens({ accessToken: 'x', expiresIn: -1 })).toThrow(/`expiresIn`.*-1/);
    const token = jwtFor(api.clock.now, 300);
    authFetch.setTokens({ accessToken: token });
    expect(authFetch.getState()).toMatchObject({ status: 'authenticated', accessToken: token });
    expect((await authFetch(`${api.origin}/api/me`)).status).toBe(200);
  });

  it('logout: anonymous at once, in-flight requests reject with SessionEndedError, one event, logout URL called once', async () => {
    const api = fakeApi();
    let logoutCalls = 0;
    const authFetch = setup(api, {
      fetch: async (input, init) => {
        if (urlOf(input).endsWith('/auth/logout')) logoutCalls++;
        if (urlOf(input).endsWith('/api/slow')) {
          return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
        }
        return api.fetch(input, init);
      },
    });
    await authFetch.ready;
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type));
    const pending = Array.from({ length: 10 }, () => authFetch(`${api.origin}/api/slow`).catch((e: unknown) => e));
    await sleep(0);
    const done = authFetch.logout();
    expect(authFetch.getState().status).toBe('anonymous');
    const results = await Promise.all(pending);
    expect(results.every((e) => e instanceof SessionEndedError && e.reason === 'logout')).toBe(true);
    await done;
    expect(logoutCalls).toBe(1);
    expect(events).toEqual(['session:end']);
  });

  it('logout rejects with LogoutError when the server could not be told, but the tab is logged out', async () => {
    const api = fakeApi();
    const authFetch = setup(api, {
      fetch: async (input, init) => (urlOf(input).endsWith('/auth/logout') ? new Response(null, { status: 500 }) : api.fetch(input, init)),
    });
    await authFetch.ready;
    const error = await authFetch.logout().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogoutError);
    expect((error as LogoutError).status).toBe(500);
    expect(authFetch.getState().status).toBe('anonymous');
  });

  it('requests waiting for a refresh reject with SessionEndedError when the user logs out meanwhile', async () => {
    const api = fakeApi({ ttl: 60, refreshDelayMs: 50 });
    const authFetch = setup(api);
    await authFetch.ready;
    api.clock.now += 61_000;
    const pending = authFetch(`${api.origin}/api/me`).catch((e: unknown) => e);
    await sleep(5);
    await authFetch.logout();
    const error = await pending;
    expect(error).toBeInstanceOf(SessionEndedError);
    await sleep(60);
    expect(authFetch.getState().status).toBe('anonymous'); // the late refresh answer is not adopted
  });
});

describe('a session end where there was no session', () => {
  it('a refusal at start-up and a logout while anonymous end no session: no session:end event', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    // In a page (happy-dom) start-up has begun: its refresh:start came before this listener.
    const events: AuthEvent['type'][] = [];
    authFetch.on((e) => events.push(e.type));
    expect((await authFetch.ready).status).toBe('anonymous');
    await authFetch.logout();
    expect(events).toEqual([]);
  });

  it('a logout during start-up ends the requests waiting for it with SessionEndedError, before the refresh answers', async () => {
    const api = fakeApi();
    const manual = manualFetch();
    const authFetch = setup(api, { fetch: manual.fetch });
    const request = authFetch(`${api.origin}/api/me`).catch((e: unknown) => e);
    const startup = await manual.next('/auth/refresh');
    const loggedOut = authFetch.logout();
    (await manual.next('/auth/logout')).answer(new Response(null, { status: 204 }));
    await loggedOut;
    const error = await Promise.race([request, sleep(100).then(() => 'still waiting')]);
    expect(isSessionEndedError(error) && error.reason).toBe('logout');
    startup.answer(json({ accessToken: jwtFor(api.clock.now, 300) }));
    await sleep(10);
    expect(manual.unanswered()).toEqual([]); // the request never went out
    expect(authFetch.getState().status).toBe('anonymous');
  });

  it('a response already returned is not cut off by a later logout (its body may still be streaming)', async () => {
    const api = fakeApi();
    const signals: AbortSignal[] = [];
    const authFetch = setup(api, {
      fetch: (input, init) => {
        if (urlOf(input).endsWith('/api/me') && init?.signal) signals.push(init.signal);
        return api.fetch(input, init);
      },
    });
    await authFetch.ready;
    const response = await authFetch(`${api.origin}/api/me`);
    await authFetch.logout();
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    expect(await response.json()).toEqual({ ok: true, body: '' });
  });
});
