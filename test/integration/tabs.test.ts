import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch, isSessionEndedError, type AuthFetch, type AuthFetchOptions } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { fakeLockManager, installLocks } from '../helpers/fake-locks.js';
import { jwtFor } from '../../harness/jwt.js';
import { sleep } from '../helpers/wait.js';

let api: ApiServer;
let channel = 0;
let name = '';
const tabs: AuthFetch[] = [];
let uninstall: (() => void) | undefined;

beforeAll(async () => {
  api = await startApiServer();
});
afterAll(() => api.close());
afterEach(() => {
  tabs.splice(0).forEach((t) => t.dispose());
  uninstall?.();
  uninstall = undefined;
  Object.assign(api, { mode: 'ok', ttl: 300, refreshDelayMs: 0, refreshCalls: 0, received: [] });
});

/** A "tab": an instance on the test's channel (Node's BroadcastChannel delivers between instances). */
function tab(extra: Partial<AuthFetchOptions> = {}): AuthFetch {
  const t = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: name, ...extra });
  tabs.push(t);
  return t;
}
const tokenOf = (t: AuthFetch) => (t.getState() as { accessToken?: string }).accessToken;

/** 5 tabs whose 1 s tokens expired for real, then 200 concurrent requests each (the refresh takes 50 ms). */
async function expiredBurst() {
  api.ttl = 1;
  const five = Array.from({ length: 5 }, () => tab({ leewayMs: 0 }));
  await Promise.all(five.map((t) => t.ready));
  api.ttl = 300;
  api.refreshCalls = 0;
  api.refreshDelayMs = 50;
  await sleep(1100);
  const responses = await Promise.all(five.flatMap((t) => Array.from({ length: 200 }, () => t(`${api.url}/api/me`))));
  return { five, responses };
}

describe('tabs with Web Locks', () => {
  const setupLocks = () => {
    name = `auth-fetch-test-${++channel}`;
    uninstall = installLocks(fakeLockManager());
  };

  it('5 tabs start together: one refresh for all of them', async () => {
    setupLocks();
    api.refreshDelayMs = 30;
    const five = Array.from({ length: 5 }, () => tab());
    const states = await Promise.all(five.map((t) => t.ready));
    expect(states.every((s) => s.status === 'authenticated')).toBe(true);
    expect(api.refreshCalls).toBe(1);
    expect(new Set(five.map(tokenOf)).size).toBe(1);
  });

  it('5 tabs × 200 concurrent requests with an expired token: exactly one refresh', async () => {
    setupLocks();
    const { five, responses } = await expiredBurst();
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(api.refreshCalls).toBe(1);
    expect(new Set(five.map(tokenOf)).size).toBe(1);
  });

  it('5 tabs × 200 concurrent 401s (revoked token): exactly one refresh', async () => {
    setupLocks();
    const five = Array.from({ length: 5 }, () => tab());
    await Promise.all(five.map((t) => t.ready));
    api.refreshCalls = 0;
    api.refreshDelayMs = 50;
    api.revoked.add(api.lastToken);
    const responses = await Promise.all(five.flatMap((t) => Array.from({ length: 200 }, () => t(`${api.url}/api/me`))));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(api.refreshCalls).toBe(1);
  });
});

describe('tabs without Web Locks: each refreshes on its own (the server’s grace window covers racing tabs)', () => {
  it('5 tabs start together: every tab is authenticated, with at most one refresh each', async () => {
    name = `auth-fetch-test-${++channel}`;
    api.refreshDelayMs = 30;
    const five = Array.from({ length: 5 }, () => tab());
    const states = await Promise.all(five.map((t) => t.ready));
    expect(states.every((s) => s.status === 'authenticated')).toBe(true);
    expect(api.refreshCalls).toBeGreaterThanOrEqual(1);
    expect(api.refreshCalls).toBeLessThanOrEqual(5);
  });

  it('a tab started beside an authenticated one takes its token: no refresh of its own', async () => {
    name = `auth-fetch-test-${++channel}`;
    const first = tab();
    await first.ready;
    api.refreshCalls = 0;
    const second = tab();
    expect((await second.ready).status).toBe('authenticated');
    expect(api.refreshCalls).toBe(0);
    expect(tokenOf(second)).toBe(tokenOf(first));
  });

  it('5 tabs × 200 concurrent requests with an expired token: at most one refresh per tab, every request answered', async () => {
    name = `auth-fetch-test-${++channel}`;
    const { responses } = await expiredBurst();
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(api.refreshCalls).toBeGreaterThanOrEqual(1);
    expect(api.refreshCalls).toBeLessThanOrEqual(5);
  });
});

describe.each([
  ['with Web Locks', true],
  ['without Web Locks', false],
])('a refused refresh token, %s', (_, withLocks) => {
  it('ends the session in every tab after one refresh attempt, even for tabs queued behind it', async () => {
    name = `auth-fetch-test-${++channel}`;
    if (withLocks) uninstall = installLocks(fakeLockManager());
    const five = Array.from({ length: 5 }, () => tab());
    await Promise.all(five.map((t) => t.ready));
    const ends: string[] = [];
    five.forEach((t) => t.on((e) => e.type === 'session:end' && ends.push(e.reason)));
    api.refreshCalls = 0;
    api.refreshDelayMs = 50;
    api.mode = 'reject';
    // Without turns the tabs may have started with tokens of their own: every one is refused.
    for (const t of five) api.revoked.add(tokenOf(t)!);
    const results = await Promise.all(
      five.flatMap((t) => Array.from({ length: 20 }, () => t(`${api.url}/api/me`).then((r) => r.status, (e: Error) => e.name))),
    );
    await sleep(1000); // long enough for a queued tab that wrongly goes on to reach the server
    // With turns, one attempt for all; without, at most one per tab.
    if (withLocks) expect(api.refreshCalls).toBe(1);
    else expect(api.refreshCalls).toBeLessThanOrEqual(5);
    expect(five.map((t) => t.getState().status)).toEqual(Array(5).fill('anonymous'));
    expect(ends).toHaveLength(5);
    expect([...new Set(results)].filter((r) => r !== 401 && r !== 'SessionEndedError')).toEqual([]);
  });
});

describe('tab messages', () => {
  const fresh = () => {
    name = `auth-fetch-test-${++channel}`;
  };

  it('a new tab adopts a peer’s token: 0 refreshes', async () => {
    fresh();
    const first = tab();
    await first.ready;
    api.refreshCalls = 0;
    const second = tab();
    expect((await second.ready).status).toBe('authenticated');
    expect(tokenOf(second)).toBe(tokenOf(first));
    expect(api.refreshCalls).toBe(0);
  });

  it('logout reaches every tab: anonymous once, in-flight requests end with SessionEndedError, one event each', async () => {
    fresh();
    api.refreshDelayMs = 0;
    const three = [tab(), tab({ logout: `${api.url}/auth/logout` }), tab()];
    await Promise.all(three.map((t) => t.ready));
    const ends: string[] = [];
    three.forEach((t, i) => t.on((e) => e.type === 'session:end' && ends.push(`${i}:${e.reason}`)));
    // Requests that are in flight in the other tabs (the API holds them for a while).
    api.refreshDelayMs = 0;
    const slow = three.map((t) => t(`${api.url}/auth/../api/me`).catch((e: unknown) => e));
    await three[1]!.logout().catch(() => undefined);
    await sleep(50);
    expect(three.map((t) => t.getState().status)).toEqual(['anonymous', 'anonymous', 'anonymous']);
    expect(ends.sort()).toEqual(['0:remote', '1:logout', '2:remote']);
    await Promise.all(slow);
  });

  it('in-flight requests of other tabs reject with SessionEndedError on a remote logout', async () => {
    fresh();
    const [a, b] = [tab(), tab()];
    await Promise.all([a.ready, b.ready]);
    const hang = (input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const c = tab({ fetch: hang });
    // Outside a page start-up begins when asked; c adopts the peers' token without any fetch.
    expect((await c.ready).status).toBe('authenticated');
    const pending = Array.from({ length: 5 }, () => c(`${api.url}/api/me`).catch((e: unknown) => e));
    await sleep(10);
    await a.logout();
    const errors = await Promise.all(pending);
    expect(errors.every(isSessionEndedError)).toBe(true);
    expect(errors.every((e) => (e as { reason: string }).reason === 'remote')).toBe(true);
  });

  it('a later login in one tab authenticates every tab', async () => {
    fresh();
    api.mode = 'reject';
    const [a, b] = [tab(), tab()];
    await Promise.all([a.ready, b.ready]);
    expect(b.getState().status).toBe('anonymous');
    const token = jwtFor(Date.now(), 300);
    a.setTokens({ accessToken: token });
    await sleep(50);
    expect(tokenOf(b)).toBe(token);
  });

  it('a login after a logout reaches every tab, even when its token expires before the old one', async () => {
    fresh();
    const [a, b] = [tab(), tab()];
    await Promise.all([a.ready, b.ready]);
    a.setTokens({ accessToken: jwtFor(Date.now(), 3600, { sub: 'long' }) });
    await sleep(50);
    await a.logout();
    await sleep(50);
    expect(b.getState().status).toBe('anonymous');
    const short = jwtFor(Date.now(), 300, { sub: 'short' });
    a.setTokens({ accessToken: short });
    await sleep(50);
    expect(tokenOf(b)).toBe(short);
  });

  it('ignores junk on the channel: not objects, no sender, no scope, unknown types', async () => {
    fresh();
    const a = tab();
    await a.ready;
    const before = tokenOf(a);
    const intruder = new BroadcastChannel(name);
    for (const junk of [null, 42, 'end', { t: 'end' }, { t: 'token', from: 'x', token: { accessToken: 5 } }, { t: 'token', from: 'x', token: { accessToken: 'evil', exp: 'soon' } }, { t: 'nope', from: 'x' }, [1, 2]]) {
      intruder.postMessage(junk);
    }
    await sleep(50);
    intruder.close();
    expect(a.getState().status).toBe('authenticated');
    expect(tokenOf(a)).toBe(before);
  });

  it('a peer’s token stands in for a refresh only when it is newer than the failed one and not inside its leeway', async () => {
    fresh();
    api.ttl = 20; // leeway = min(60 s, 10 s)
    const a = tab({ leewayMs: 60_000 });
    await a.ready;
    api.ttl = 300;
    api.refreshCalls = 0;
    api.refreshDelayMs = 150;
    api.revoked.add(api.lastToken);
    const pending = a(`${api.url}/api/me`);
    await sleep(20); // a's reactive refresh is under way
    // Newer by exp than the failed token, but inside its own leeway window (60 s of a 300 s life).
    const now = Date.now();
    const staleNewer = { accessToken: jwtFor(now - 280_000, 305), exp: Math.floor(now / 1000) + 25, expiresAt: now + 25_000, lifetime: 305_000, obtainedAt: now };
    const intruder = new BroadcastChannel(name);
    intruder.postMessage({ t: 'token', from: 'peer', token: staleNewer });
    const res = await pending;
    intruder.close();
    expect(res.status).toBe(200);
    expect(api.refreshCalls).toBe(1); // it waited for its own refresh instead of using the stale token
    expect(api.received.at(-1)?.authorization).toBe(`Bearer ${api.lastToken}`);
  });

  it('dispose() closes the channel: a disposed tab hears nothing and says nothing', async () => {
    fresh();
    const a = tab();
    await a.ready;
    const seen: string[] = [];
    a.subscribe((st) => seen.push(st.status));
    a.dispose();
    const b = tab();
    api.refreshCalls = 0;
    await b.ready; // a no longer answers: b must refresh itself
    expect(api.refreshCalls).toBe(1);
    await b.logout().catch(() => undefined);
    await sleep(50);
    expect(seen).toEqual(['authenticated']);
  });
});
