/**
 * Back to the tab (visible again, online again) with a stale or missing token: one refresh then,
 * not at the next click. Only a visible tab acts, an anonymous one never, and each trigger at most
 * once per 5 s (one visibilitychange can fire in quick succession).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { setup } from '../helpers/setup.js';
import { sleep, until } from '../helpers/wait.js';

const triggers = {
  visibilitychange: () => document.dispatchEvent(new Event('visibilitychange')),
  online: () => window.dispatchEvent(new Event('online')),
};

afterEach(() => {
  vi.useRealTimers();
  delete (document as { visibilityState?: string }).visibilityState;
});

/** A session in a page whose token is then inside its leeway (stale, not expired); Date frozen for the 5 s throttle. */
async function staleSession(refresh: 'ok' | 'reject' = 'ok') {
  vi.useFakeTimers({ toFake: ['Date'] });
  const t0 = Date.now();
  const api = fakeApi({ ttl: 300, refresh });
  const authFetch = setup(api, { leewayMs: 60_000 });
  await authFetch.ready;
  const stale = () => {
    api.clock.now += 250_000;
  };
  stale();
  /** Fires the trigger; resolves to the refresh calls it caused. */
  const fire = async (trigger: keyof typeof triggers) => {
    const before = api.state.refreshCalls;
    triggers[trigger]();
    await sleep(30);
    return api.state.refreshCalls - before;
  };
  return { api, authFetch, t0, stale, fire };
}

describe.each(Object.keys(triggers) as Array<keyof typeof triggers>)('on %s', (trigger) => {
  it('a stale token: one refresh; again within 5 s: none; after 5 s: one', async () => {
    const { api, authFetch, t0, stale, fire } = await staleSession();
    expect(await fire(trigger)).toBe(1);
    await until(() => authFetch.getState().status === 'authenticated' && api.state.refreshCalls === 2, 'the refresh');
    stale();
    vi.setSystemTime(t0 + 4_000);
    expect(await fire(trigger)).toBe(0);
    vi.setSystemTime(t0 + 5_100);
    expect(await fire(trigger)).toBe(1);
  });

  it('a fresh token: no refresh', async () => {
    const { api, fire } = await staleSession();
    api.clock.now -= 250_000;
    expect(await fire(trigger)).toBe(0);
  });

  it('a hidden tab: no refresh (the visible one refreshes, the others adopt its token)', async () => {
    const { fire } = await staleSession();
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    expect(await fire(trigger)).toBe(0);
  });

  it('an anonymous tab: no refresh', async () => {
    const { authFetch, fire } = await staleSession('reject');
    expect(authFetch.getState().status).toBe('anonymous');
    expect(await fire(trigger)).toBe(0);
  });
});
