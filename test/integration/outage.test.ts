/**
 * An outage seen by one tab is every tab's: a refresh waiting while a peer's failed shares that
 * failure, and once a peer's refresh failed twice in a row the others fail fast instead of calling
 * the endpoint too, until a token (theirs or a peer's) shows it works again.
 */
import { describe, expect, it } from 'vitest';
import { isRefreshError, type AuthFetch, type RefreshError } from '../../src/index.js';
import { tokenOf, useTabs } from '../helpers/tabs.js';
import { until } from '../helpers/wait.js';

const tabs = useTabs();
/** Retries of the 503s come within ~70 ms. */
const TIMEOUT = 320;

/** Two tabs sharing one session whose token the API now refuses, and whose refresh endpoint is down. */
async function twoTabsInAnOutage() {
  const api = tabs.api();
  const a = tabs.tab({ refreshTimeoutMs: TIMEOUT });
  await a.ready;
  const b = tabs.tab({ refreshTimeoutMs: TIMEOUT });
  await b.ready;
  expect(tokenOf(b)).toBe(tokenOf(a));
  api.revoked.add(api.lastToken);
  api.mode = 'fail';
  const me = (t: AuthFetch) => t(`${api.url}/api/me`).catch((e: unknown) => e);
  return { api, a, b, me };
}

describe('an outage across tabs', () => {
  it('one failed refresh in a peer is a blip: this tab still tries', async () => {
    const { api, a, b, me } = await twoTabsInAnOutage();
    expect(isRefreshError(await me(a))).toBe(true);
    const calls = api.refreshCalls;
    expect(isRefreshError(await me(b))).toBe(true);
    expect(api.refreshCalls).toBeGreaterThan(calls);
  });

  it('a peer’s second failed refresh in a row makes this tab fail fast: no refresh call of its own', async () => {
    const { api, a, b, me } = await twoTabsInAnOutage();
    expect(isRefreshError(await me(a))).toBe(true);
    expect(isRefreshError(await me(a))).toBe(true);
    const calls = api.refreshCalls;
    const error = (await me(b)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.message).toMatch(/^Refresh not tried/);
    expect(api.refreshCalls).toBe(calls);
  });

  it('a peer’s new token ends the cooldown: the next refresh goes out', async () => {
    const { api, a, b, me } = await twoTabsInAnOutage();
    expect(isRefreshError(await me(a))).toBe(true);
    expect(isRefreshError(await me(a))).toBe(true);
    expect(((await me(b)) as Error).message).toMatch(/^Refresh not tried/);
    api.mode = 'ok';
    const fresh = await a.refresh(); // the app asks: not held back by the cooldown
    await until(() => tokenOf(b) === fresh, 'b to take the token');
    api.revoked.add(fresh);
    const calls = api.refreshCalls;
    expect(((await me(b)) as Response).status).toBe(200);
    expect(api.refreshCalls).toBe(calls + 1);
  });

  it('with Web Locks, a tab queued behind a refresh that fails does not call the endpoint after it', async () => {
    tabs.withLocks();
    const { api, a, b, me } = await twoTabsInAnOutage();
    api.refreshDelayMs = 40; // a's attempts hold the lock while b queues
    const errorsOfB: unknown[] = [];
    b.on((e) => {
      if (e.type === 'refresh:error') errorsOfB.push(e.error);
    });
    const first = me(a);
    await until(() => api.refreshCalls > 1, 'a’s refresh');
    const second = me(b);
    const [errorA, errorB] = await Promise.all([first, second]);
    expect(isRefreshError(errorA) && isRefreshError(errorB)).toBe(true);
    expect((errorB as RefreshError).message).toMatch(/^Refresh not tried/);
    expect(errorsOfB).toEqual([errorB]); // b's refresh began before the outage: it reports its end
    const calls = api.refreshCalls;
    expect(calls).toBeLessThanOrEqual(1 + 4); // b's start-up took a's token; a's one refresh with its retries
  });
});
