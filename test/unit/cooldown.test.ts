/**
 * A failed refresh (its retries spent) is a blip: the very next request tries again. From the
 * second failure in a row no new refresh starts before a cooldown (1 s, then doubling): requests
 * that need a new token fail at once instead of hammering an endpoint that is down. A token that
 * has not expired is still used; a new token, the browser coming back online, or `refresh()` (the
 * app asking) ends it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRefreshError, type RefreshError } from '../../src/index.js';
import { expiredSession } from '../helpers/refresh-answers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A session whose refresh failed `failures` times in a row (503s until told otherwise). */
async function afterFailures(failures: number, elapsedMs?: number) {
  const session = await expiredSession({ leewayMs: 60_000 }, elapsedMs);
  session.api.state.refresh = 'fail';
  let last: unknown;
  for (let i = 0; i < failures; i++) last = await session.me().catch((e: unknown) => e);
  session.script.calls.length = 0;
  return { ...session, last };
}

describe('one failed refresh is a blip', () => {
  it('the next request tries again at once, and gets through when the endpoint is back', async () => {
    const { api, script, me, count, last } = await afterFailures(1);
    expect(isRefreshError(last)).toBe(true);
    expect(count('refresh:error')).toBe(1);
    api.state.refresh = 'ok';
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(1);
  });
});

describe('cooldown from the second failure in a row', () => {
  it('a request that needs a new token rejects at once with a RefreshError, sending nothing and starting no refresh', async () => {
    const { script, count, me, last } = await afterFailures(2);
    expect(count('refresh:error')).toBe(2);
    const error = (await me().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.message).toMatch(/^Refresh not tried: the last one failed; next try in 1 s$/);
    expect(error.cause).toBe(last);
    expect(script.calls).toEqual([]);
    expect(count('refresh:start')).toBe(2);
  });

  it('a request whose token has not expired (it is only inside the leeway) goes out with it', async () => {
    const { api, script, me, last } = await afterFailures(2, 250_000);
    expect((last as Response).status).toBe(200);
    const response = await me();
    expect(response.status).toBe(200);
    expect(script.calls.map((c) => c.url)).toEqual([`${api.origin}/api/me`]);
    expect(new Headers(script.calls[0]!.init?.headers).get('authorization')).toMatch(/^Bearer /);
  });

  it('refresh() bypasses it, and its new token ends it: the next expired request refreshes at once', async () => {
    const { api, script, authFetch, me } = await afterFailures(2);
    api.state.refresh = 'ok';
    expect(await authFetch.refresh()).toBe(api.state.lastIssued);
    api.clock.now += 301_000;
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(2);
  });

  it('coming back online ends it', async () => {
    const { api, script, me } = await afterFailures(2);
    api.state.refresh = 'ok';
    globalThis.dispatchEvent(new Event('online'));
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(1);
  });

  it('grows while the outage lasts: 1 s after the second failure, 2 s after the third', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { script, me } = await afterFailures(2);
    /** Whether a request at `at` ms after the second failure calls the refresh endpoint. */
    const triesAt = async (at: number) => {
      vi.setSystemTime(t0 + at);
      script.calls.length = 0;
      expect(isRefreshError(await me().catch((e: unknown) => e))).toBe(true);
      return script.refreshCalls() > 0;
    };
    expect(await triesAt(990)).toBe(false);
    expect(await triesAt(1_010)).toBe(true); // fails again: 2 s from now
    expect(await triesAt(1_010 + 1_500)).toBe(false);
    expect(await triesAt(1_010 + 2_010)).toBe(true);
  });
});
