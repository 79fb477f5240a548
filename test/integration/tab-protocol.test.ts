/**
 * What a tab takes from the channel: a peer's token only when it is newer than its own (or, without
 * one, issued after its last session end), a login always, nothing malformed and nothing from
 * another app's scope, whatever the channel name.
 */
import { describe, expect, it } from 'vitest';
import { isSessionEndedError } from '../../src/index.js';
import { jwtFor } from '../../harness/jwt.js';
import { rawToken, tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep } from '../helpers/wait.js';
import { urlOf } from '../helpers/url-of.js';

const tabs = useTabs();
const DELIVERY_MS = 50;

describe('adopting a peer’s token', () => {
  it('an older token than its own is ignored; a newer one is taken', async () => {
    const a = tabs.tab();
    await a.ready;
    const own = tokenOf(a)!;
    tabs.post({ t: 'token', token: rawToken(jwtFor(Date.now() - 60_000, 300)) });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(own);
    const newer = jwtFor(Date.now() + 60_000, 300);
    tabs.post({ t: 'token', token: rawToken(newer) });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(newer);
  });

  it('after a session end, a token obtained before it is ignored, but a login message is taken', async () => {
    const a = tabs.tab();
    await a.ready;
    const before = rawToken(jwtFor(Date.now(), 300), Date.now() - 1_000);
    await a.logout();
    tabs.post({ t: 'token', token: before });
    tabs.post({ t: 'answer', id: 'late', token: before });
    await sleep(DELIVERY_MS);
    expect(a.getState().status).toBe('anonymous');
    tabs.post({ t: 'login', token: before });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(before.accessToken);
  });

  it('after a session end, a token obtained in the same millisecond is ignored; one obtained a millisecond later is taken', async () => {
    const endedAt = Date.now();
    const a = tabs.tab({ now: () => endedAt });
    await a.ready;
    await a.logout();
    tabs.post({ t: 'token', token: rawToken(jwtFor(endedAt, 300), endedAt) });
    await sleep(DELIVERY_MS);
    expect(a.getState().status).toBe('anonymous');
    const after = rawToken(jwtFor(endedAt, 300), endedAt + 1);
    tabs.post({ t: 'token', token: after });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(after.accessToken);
  });

  it.each([
    ['a token that is no bearer token', { ...rawToken(jwtFor(Date.now() + 60_000, 300)), accessToken: 'two\nlines' }],
    ['a non-finite exp', { ...rawToken(jwtFor(Date.now() + 60_000, 300)), exp: Infinity }],
    ['a non-finite expiresAt', { ...rawToken(jwtFor(Date.now() + 60_000, 300)), expiresAt: NaN }],
    ['a non-finite obtainedAt', rawToken(jwtFor(Date.now() + 60_000, 300), Infinity)],
    ['a string exp', { ...rawToken(jwtFor(Date.now() + 60_000, 300)), exp: '9999999999' }],
  ])('%s is ignored, and later requests still work', async (_, token) => {
    const a = tabs.tab();
    await a.ready;
    const own = tokenOf(a);
    tabs.post({ t: 'token', token });
    tabs.post({ t: 'login', token });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(own);
    expect((await a(`${tabs.api().url}/api/me`)).status).toBe(200);
  });
});

describe('scopes: tokens never cross apps', () => {
  it('messages of another scope on the same channel are ignored entirely (a token, a login, an end)', async () => {
    const a = tabs.tab();
    await a.ready;
    const own = tokenOf(a);
    const other = tabs.scopeOf({ refresh: `${tabs.api().url}/other-app/refresh` });
    const newer = rawToken(jwtFor(Date.now() + 60_000, 300));
    for (const message of [{ t: 'token', token: newer }, { t: 'login', token: newer }, { t: 'end' }]) tabs.post(message, other);
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(own);
  });

  it('an instance with another refresh URL on the same channel name never gets the token', async () => {
    const a = tabs.tab();
    await a.ready;
    // Its own refresh endpoint refuses it (401): it ends anonymous unless it takes a's token.
    const b = tabs.tab({ refresh: `${tabs.api().url}/other-app/refresh` });
    expect((await b.ready).status).toBe('anonymous');
    expect(tokenOf(a)).toBeDefined();
  });

  it('an instance with other trusted origins refreshes for itself; the same config shares', async () => {
    const a = tabs.tab();
    await a.ready;
    const same = tabs.tab();
    await same.ready;
    expect(tabs.api().refreshCalls).toBe(1);
    expect(tokenOf(same)).toBe(tokenOf(a));
    const wider = tabs.tab({ trustedOrigins: [tabs.api().url, 'https://cdn.example'] });
    await wider.ready;
    expect(tabs.api().refreshCalls).toBe(2);
  });
});

describe('a login in one tab', () => {
  it('reaches every tab without a refresh, with its claims', async () => {
    const api = tabs.api();
    api.mode = 'reject';
    const login = jwtFor(Date.now(), 300, { sub: 'alice' });
    const loginFetch = (input: RequestInfo | URL, init?: RequestInit) =>
      urlOf(input).endsWith('/auth/login') ? Promise.resolve(Response.json({ accessToken: login, user: 'alice' })) : fetch(input, init);
    const a = tabs.tab({ fetch: loginFetch });
    const b = tabs.tab();
    await Promise.all([a.ready, b.ready]);
    const calls = api.refreshCalls;
    expect(await a.login(`${api.url}/auth/login`, { body: '{}' })).toEqual({ accessToken: login, user: 'alice' });
    await sleep(DELIVERY_MS);
    expect(b.getState()).toMatchObject({ status: 'authenticated', accessToken: login, claims: { sub: 'alice' } });
    expect(api.refreshCalls).toBe(calls);
  });
});

describe('answering and reporting', () => {
  it('a tab without a token answers a query all the same, without a token', async () => {
    tabs.api().mode = 'reject';
    const a = tabs.tab();
    expect((await a.ready).status).toBe('anonymous');
    const seen = tabs.listen();
    tabs.post({ t: 'query', id: 'q1' });
    await sleep(DELIVERY_MS);
    expect(seen).toEqual([{ t: 'answer', id: 'q1', from: expect.any(String), scope: tabs.scopeOf() }]);
  });

  it('every message from a peer is reported as a tab:message event of its kind', async () => {
    const a = tabs.tab();
    await a.ready;
    const events: unknown[] = [];
    a.on((e) => events.push(e));
    tabs.post({ t: 'outage', until: Date.now() });
    tabs.post({ t: 'query', id: 'q' });
    tabs.post({ t: 'bye' }); // not a message of this protocol (an older version's): ignored
    await sleep(DELIVERY_MS);
    expect(events).toEqual([{ type: 'tab:message', kind: 'outage' }, { type: 'tab:message', kind: 'query' }]);
  });

  it('a login message with the token this tab already holds is no new token: a cooldown goes on', async () => {
    const api = tabs.api();
    const a = tabs.tab({ refreshTimeoutMs: 320 });
    await a.ready;
    api.revoked.add(api.lastToken);
    api.mode = 'fail';
    // Two failures in a row: the cooldown begins.
    expect(await a(`${api.url}/api/me`).catch((e: unknown) => (e as Error).message)).toMatch(/^Refresh failed/);
    expect(await a(`${api.url}/api/me`).catch((e: unknown) => (e as Error).message)).toMatch(/^Refresh failed/);
    tabs.post({ t: 'login', token: rawToken(tokenOf(a)!) });
    await sleep(DELIVERY_MS);
    const calls = api.refreshCalls;
    expect(await a(`${api.url}/api/me`).catch((e: unknown) => (e as Error).message)).toMatch(/^Refresh not tried/);
    expect(api.refreshCalls).toBe(calls);
  });
});

describe('the BroadcastChannel a runtime offers', () => {
  it('none at all (an older browser, some workers): each instance works on its own', async () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'BroadcastChannel')!;
    Reflect.deleteProperty(globalThis, 'BroadcastChannel');
    try {
      const [a, b] = [tabs.tab(), tabs.tab()];
      expect((await a.ready).status).toBe('authenticated');
      expect((await b.ready).status).toBe('authenticated');
      expect(tabs.api().refreshCalls).toBe(2);
    } finally {
      Object.defineProperty(globalThis, 'BroadcastChannel', had);
    }
  });

  it('has no unref() (a Node extension): tabs open it and share a token all the same', async () => {
    const NodeChannel = globalThis.BroadcastChannel;
    class BrowserChannel extends NodeChannel {
      constructor(name: string) {
        super(name);
        Object.defineProperty(this, 'unref', { value: undefined });
      }
    }
    globalThis.BroadcastChannel = BrowserChannel;
    try {
      const a = tabs.tab();
      await a.ready;
      const b = tabs.tab();
      expect((await b.ready).status).toBe('authenticated');
      expect(tokenOf(b)).toBe(tokenOf(a));
      expect(tabs.api().refreshCalls).toBe(1);
    } finally {
      globalThis.BroadcastChannel = NodeChannel;
    }
  });
});

describe('an end heard by a tab without a session', () => {
  it('ends nothing: a refresh the app asked for meanwhile still brings the session', async () => {
    const api = tabs.api();
    api.mode = 'reject';
    const a = tabs.tab();
    expect((await a.ready).status).toBe('anonymous');
    // The user signed in elsewhere (the cookie is back); the app asks for a token.
    api.mode = 'ok';
    api.refreshDelayMs = 200;
    const refreshed = a.refresh();
    await sleep(50);
    // A peer whose own refresh was refused (an older cookie) says so while ours is under way.
    tabs.post({ t: 'end' });
    expect(await refreshed).toBe(api.lastToken);
    expect(a.getState()).toMatchObject({ status: 'authenticated', accessToken: api.lastToken });
  });
});

describe('after dispose()', () => {
  /** How a call settles: quietly (undefined), or with the error it threw or rejected with. */
  const failureOf = async (call: () => unknown): Promise<unknown> => {
    try {
      await call();
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it('logout() and setTokens() fail with SessionEndedError (never on the closed channel), and the other tabs hear nothing', async () => {
    const a = tabs.tab({ logout: `${tabs.api().url}/auth/logout` });
    await a.ready;
    const b = tabs.tab();
    await b.ready;
    const held = tokenOf(b);
    a.dispose();
    // README: later calls reject with SessionEndedError('disposed'); an InvalidStateError of the
    // channel (a hot update that logs out through the old instance) is no answer an app expects.
    for (const call of [() => a.logout(), () => a.setTokens({ accessToken: jwtFor(Date.now(), 300) })]) {
      const failure = await failureOf(call);
      expect(isSessionEndedError(failure) && failure.reason, String(failure)).toBe('disposed');
    }
    await sleep(DELIVERY_MS);
    expect(b.getState()).toMatchObject({ status: 'authenticated', accessToken: held });
  });
});
