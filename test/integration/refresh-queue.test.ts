/**
 * A refresh waiting in the lock queue behind another tab (Web Locks, the fake manager; here a tab
 * that froze holding the lock): a peer's fresh token ends the wait at once, a stale one does not;
 * the wait ends within its budget; dispose() leaves the queue; a lock manager that refuses (a
 * sandboxed page) is a RefreshError that says so. And a peer's outage lasts as long as it says.
 */
import { describe, expect, it } from 'vitest';
import { isRefreshError, type AuthEvent, type RefreshError } from '../../src/index.js';
import { installLocks, type fakeLockManager } from '../helpers/fake-locks.js';
import { jwtFor } from '../../harness/jwt.js';
import { rawToken, tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep } from '../helpers/wait.js';

const tabs = useTabs();
const OPTIONS = { refreshTimeoutMs: 300, peerTimeoutMs: 50 };
/** How long a caller waits for a refresh at most: refreshTimeoutMs + 6 × peerTimeoutMs (src/refresh.ts). */
const BUDGET = OPTIONS.refreshTimeoutMs + 6 * OPTIONS.peerTimeoutMs;
const DELIVERY_MS = 50;

/** Another tab takes the refresh lock and keeps it until the returned function is called. */
function freezeLockHolder(locks: ReturnType<typeof fakeLockManager>): () => void {
  let release = () => {};
  void locks.request(tabs.refreshLockName(), {}, () => new Promise<void>((resolve) => (release = resolve)));
  return () => release();
}

/** A started tab, the lock then held by a frozen tab, and the tab's events from then on. */
async function queuedTab() {
  const locks = tabs.withLocks();
  const a = tabs.tab(OPTIONS);
  expect((await a.ready).status).toBe('authenticated');
  const release = freezeLockHolder(locks);
  const events: AuthEvent[] = [];
  a.on((e) => events.push(e));
  return { locks, a, release, events, types: () => events.map((e) => e.type) };
}

describe('a refresh queued behind a frozen lock holder', () => {
  it('a peer’s fresh newer token ends the wait at once (source "tab"); a stale newer one does not', async () => {
    tabs.api().ttl = 20; // a's token: leeway min(60 s, 10 s)
    const { a, release, events } = await queuedTab();
    const refreshing = a.refresh();
    await sleep(DELIVERY_MS); // a waits in the lock queue
    // Newer by exp than a's token, but inside its own leeway window (60 s of a 305 s life).
    const now = Date.now();
    const stale = { accessToken: jwtFor(now - 280_000, 305), exp: Math.floor(now / 1000) + 25, expiresAt: now + 25_000, lifetime: 305_000, obtainedAt: now };
    tabs.post({ t: 'token', token: stale });
    await sleep(DELIVERY_MS);
    expect(tokenOf(a)).toBe(stale.accessToken); // taken as the session's token, but no stand-in for the refresh
    const fresh = jwtFor(Date.now() + 60_000, 300);
    tabs.post({ t: 'token', token: rawToken(fresh) });
    expect(await Promise.race([refreshing, sleep(BUDGET / 2).then(() => 'still waiting')])).toBe(fresh);
    // Every adopted token is announced, the stale one too; neither came from a call of a's own.
    const adopted = { type: 'refresh:success', source: 'tab', expiresAt: expect.any(Number) };
    expect(events.filter((e) => e.type === 'refresh:success')).toEqual([adopted, adopted]);
    release();
  });

  it('with no token coming, the wait ends after its budget with a RefreshError that says so, and refresh:error', async () => {
    const { a, release, events } = await queuedTab();
    const error = (await a.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.message).toBe(`Refresh failed: no token within ${BUDGET} ms`);
    expect(events.filter((e) => e.type === 'refresh:error')).toEqual([{ type: 'refresh:error', error }]);
    release();
  });

  it('after a logout meanwhile, the end of its budget reports nothing', async () => {
    const { a, release, types } = await queuedTab();
    void a.refresh().catch(() => {});
    await sleep(DELIVERY_MS);
    await a.logout();
    await sleep(BUDGET + 100);
    expect(types()).toEqual(['refresh:start', 'session:end']);
    release();
  });

  it('a peer’s token that ends the wait also leaves the queue: the lock is never granted to the tab afterwards', async () => {
    const { locks, a, release } = await queuedTab();
    const refreshing = a.refresh();
    await sleep(DELIVERY_MS);
    const fresh = jwtFor(Date.now() + 60_000, 300);
    tabs.post({ t: 'token', token: rawToken(fresh) });
    expect(await refreshing).toBe(fresh);
    const grants = locks.grants;
    release();
    await sleep(DELIVERY_MS);
    expect(locks.grants).toBe(grants);
  });

  it('a peer’s failed refresh fails a request’s refresh waiting in the queue at once (not at the end of its budget)', async () => {
    const { a, release } = await queuedTab();
    const api = tabs.api();
    api.revoked.add(api.lastToken); // the next request gets a 401: a reactive refresh, queued
    const request = a(`${api.url}/api/me`).catch((e: unknown) => e);
    await sleep(DELIVERY_MS);
    const calls = api.refreshCalls;
    tabs.post({ t: 'outage', until: 0 });
    const outcome = await Promise.race([request, sleep(BUDGET / 2).then(() => 'still waiting')]);
    expect(isRefreshError(outcome) && outcome.message).toBe('Refresh not tried: it failed in another tab just now');
    expect(api.refreshCalls).toBe(calls);
    release();
  });

  it('a refresh the app asked for (refresh()) is not failed by a peer’s failure: it goes out in its turn', async () => {
    const { a, release } = await queuedTab();
    const api = tabs.api();
    let settled = false;
    const refreshing = a.refresh().finally(() => (settled = true));
    await sleep(DELIVERY_MS);
    tabs.post({ t: 'outage', until: Date.now() + 10_000 });
    await sleep(DELIVERY_MS);
    expect(settled).toBe(false);
    const calls = api.refreshCalls;
    release();
    expect(await refreshing).toBe(api.lastToken);
    expect(api.refreshCalls).toBe(calls + 1);
  });

  it('dispose() leaves the queue: the lock is never granted to the disposed tab', async () => {
    const { locks, a, release } = await queuedTab();
    void a.refresh().catch(() => {});
    await sleep(DELIVERY_MS);
    const grants = locks.grants;
    a.dispose();
    release();
    await sleep(DELIVERY_MS);
    expect(locks.grants).toBe(grants);
  });
});

describe('a lock manager that refuses every request (a sandboxed page)', () => {
  it('a refresh fails at once with a RefreshError that says so, the manager’s error as its cause', async () => {
    const refusal = new DOMException('locks are not allowed here', 'SecurityError');
    const refusing = { request: () => Promise.reject(refusal), query: () => Promise.reject(refusal) };
    const uninstall = installLocks(refusing as unknown as ReturnType<typeof fakeLockManager>);
    try {
      const a = tabs.tab(OPTIONS);
      await a.ready;
      const error = (await Promise.race([a.refresh().catch((e: unknown) => e), sleep(BUDGET / 2).then(() => 'still waiting')])) as RefreshError;
      expect(isRefreshError(error)).toBe(true);
      expect(error.message).toBe('Refresh failed: could not coordinate with other tabs');
      expect(error.cause).toBe(refusal);
    } finally {
      uninstall();
    }
  });
});

describe('a peer’s outage', () => {
  it('holds this tab back until the time it names, with a cause that says where it failed; then refreshes go out', async () => {
    const api = tabs.api();
    const a = tabs.tab(OPTIONS);
    await a.ready;
    api.revoked.add(api.lastToken);
    tabs.post({ t: 'outage', until: Date.now() + 300 });
    await sleep(DELIVERY_MS);
    const calls = api.refreshCalls;
    const error = (await a(`${api.url}/api/me`).catch((e: unknown) => e)) as RefreshError;
    expect(error.message).toMatch(/^Refresh not tried/);
    expect((error.cause as Error).message).toBe('Refresh failed in another tab');
    expect(api.refreshCalls).toBe(calls);
    await sleep(300);
    expect((await a(`${api.url}/api/me`)).status).toBe(200);
    expect(api.refreshCalls).toBe(calls + 1);
  });
});

describe('many refreshes in a row', () => {
  it('leave no listener behind on the instance’s own signals (Node warns past ten on one signal)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const a = tabs.tab({ ...OPTIONS, channel: false });
      await a.ready;
      for (let i = 0; i < 12; i++) await a.refresh();
      await sleep(10);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
