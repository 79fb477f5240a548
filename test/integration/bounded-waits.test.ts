/**
 * Every wait on another tab is bounded (Web Locks here, the fake manager): a tab whose refresh hangs
 * while it holds the lock, or that froze holding it, holds the others up for refreshTimeoutMs +
 * 6 × peerTimeoutMs at most; they get a RefreshError (or a peer's token), and the next refresh works.
 */
import { describe, expect, it } from 'vitest';
import { isRefreshError } from '../../src/index.js';
import { hang } from '../helpers/refresh-answers.js';
import { tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep, timed, until } from '../helpers/wait.js';
import { urlOf } from '../helpers/url-of.js';

const tabs = useTabs();
const OPTIONS = { refreshTimeoutMs: 300, peerTimeoutMs: 50 };
const BOUND = OPTIONS.refreshTimeoutMs + 6 * OPTIONS.peerTimeoutMs;
const MARGIN = 400;
/** Settles like `promise`, or with 'still waiting' well past the bound (so that a regression fails instead of hanging). */
const bounded = <T>(promise: Promise<T>) => timed(Promise.race([promise, sleep(BOUND + 2_000).then(() => 'still waiting')]));

describe('bounded waits with Web Locks', () => {
  it('a tab that froze holding the refresh lock: the others get a RefreshError within the bound', async () => {
    const locks = tabs.withLocks();
    void locks.request(tabs.refreshLockName(), {}, () => new Promise<never>(() => {}));
    const b = tabs.tab(OPTIONS);
    const startup = await bounded(b.ready);
    expect(startup.value).toEqual({ status: 'unknown' });
    expect(startup.ms).toBeLessThan(BOUND + MARGIN);
    // One failure is a blip: the next request waits its own bounded turn.
    const request = await bounded(b(`${tabs.api().url}/api/me`));
    expect(isRefreshError(request.value)).toBe(true);
    expect(request.ms).toBeLessThan(BOUND + MARGIN);
    const third = await bounded(b(`${tabs.api().url}/api/me`));
    expect(isRefreshError(third.value)).toBe(true);
    expect(third.ms).toBeLessThan(MARGIN); // the cooldown after the second failure in a row: at once
  });

  it('a tab whose refresh call hangs while it holds the lock: the others get a RefreshError within the bound, and the next refresh works', async () => {
    tabs.withLocks();
    const api = tabs.api();
    let hanging = false;
    const a = tabs.tab({
      ...OPTIONS,
      fetch: async (input, init) => (hanging && urlOf(input).endsWith('/auth/refresh') ? hang(init?.signal ?? undefined) : fetch(input, init)),
    });
    const b = tabs.tab(OPTIONS);
    await Promise.all([a.ready, b.ready]);
    api.revoked.add(api.lastToken);
    hanging = true;
    const first = a(`${api.url}/api/me`).catch((e: unknown) => e);
    await until(() => api.received.length >= 1, 'a’s request');
    await sleep(20); // a holds the lock, its call hanging
    const waiting = await bounded(b(`${api.url}/api/me`));
    expect(isRefreshError(waiting.value) || (waiting.value as Response).status === 200).toBe(true);
    expect(waiting.ms).toBeLessThan(BOUND + MARGIN);
    expect(isRefreshError((await bounded(first)).value)).toBe(true);

    hanging = false;
    const fresh = await a.refresh();
    await until(() => tokenOf(b) === fresh, 'b to take the new token');
    expect((await b(`${api.url}/api/me`)).status).toBe(200);
  });
});
