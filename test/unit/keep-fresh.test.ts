/**
 * `keepFresh`: the token is refreshed on a timer as it enters its leeway window while the tab is
 * visible, never while it is hidden; off by default (then only a request or a return to the tab
 * refreshes). Several tabs in Chromium: test/browser/keep-fresh.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { setup, stateToken } from '../helpers/setup.js';
import { sleep } from '../helpers/wait.js';

/** happy-dom's document is visible; a test can hide it. */
function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
}
afterEach(() => setVisibility('visible'));

/** A session whose 2 s tokens enter their 1 s leeway 1 s after they are issued (real time). */
async function shortTokens(keepFresh: boolean | undefined) {
  const api = fakeApi({ ttl: 2, clock: { get now() { return Date.now(); } } });
  const authFetch = setup(api, { leewayMs: 1_000, ...(keepFresh === undefined ? {} : { keepFresh }) });
  await authFetch.ready;
  return { api, authFetch, first: stateToken(authFetch) };
}

describe('keepFresh', () => {
  it('refreshes a visible tab’s token as it enters its leeway window, with no request', async () => {
    const { api, authFetch, first } = await shortTokens(true);
    await sleep(1_300);
    // JWT times have one-second resolution: a token may enter its window early, so perhaps one more.
    expect(api.state.refreshCalls).toBeGreaterThanOrEqual(2);
    expect(stateToken(authFetch)).not.toBe(first);
    expect(authFetch.getState().status).toBe('authenticated');
  });

  it('does nothing while the tab is hidden', async () => {
    const { api } = await shortTokens(true);
    setVisibility('hidden');
    await sleep(1_300);
    expect(api.state.refreshCalls).toBe(1);
  });

  it('is off by default', async () => {
    const { api } = await shortTokens(undefined);
    await sleep(1_300);
    expect(api.state.refreshCalls).toBe(1);
  });

  it('is an option that takes true or false only', () => {
    // @ts-expect-error keepFresh is a boolean
    expect(() => setup(fakeApi(), { keepFresh: 'yes' })).toThrow(/`keepFresh` must be true or false/);
  });
});
