/**
 * After a failed refresh no new one starts before a cooldown (1 s, then doubling): requests that need
 * a new token fail at once instead of hammering an endpoint that is down. A token that has not
 * expired is still used, a new token ends the cooldown, and `refresh()` (the app asking) bypasses it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRefreshError, type RefreshError } from '../../src/index.js';
import { expiredSession } from '../helpers/refresh-answers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A session whose refresh just failed (503s until told otherwise): the cooldown has begun. */
async function afterFailure(elapsedMs?: number) {
  const session = await expiredSession({ leewayMs: 60_000 }, elapsedMs);
  session.api.state.refresh = 'fail';
  const first = await session.me().catch((e: unknown) => e);
  expect(session.count('refresh:error')).toBe(1);
  session.script.calls.length = 0;
  return { ...session, first };
}

describe('cooldown after a failed refresh', () => {
  it('a request that needs a new token rejects at once with a RefreshError, sending nothing and starting no refresh', async () => {
    const { script, count, me, first } = await afterFailure();
    expect(isRefreshError(first)).toBe(true);
    const error = (await me().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.message).toMatch(/^Refresh not tried: the last one failed; next try in 1 s$/);
    expect(error.cause).toBe(first);
    expect(script.calls).toEqual([]);
    expect(count('refresh:start')).toBe(1);
  });

  it('a request whose token has not expired (it is only inside the leeway) goes out with it', async () => {
    const { api, script, me, first } = await afterFailure(250_000);
    expect((first as Response).status).toBe(200);
    const response = await me();
    expect(response.status).toBe(200);
    expect(script.calls.map((c) => c.url)).toEqual([`${api.origin}/api/me`]);
    expect(new Headers(script.calls[0]!.init?.headers).get('authorization')).toMatch(/^Bearer /);
  });

  it('refresh() bypasses it, and its new token ends it: the next expired request refreshes at once', async () => {
    const { api, script, authFetch, me } = await afterFailure();
    api.state.refresh = 'ok';
    expect(await authFetch.refresh()).toBe(api.state.lastIssued);
    api.clock.now += 301_000;
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(2);
  });

  it('grows while the outage lasts: 1 s after the first failure, 2 s after the second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { script, me } = await afterFailure();
    /** Whether a request at `at` ms after the first failure calls the refresh endpoint. */
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
