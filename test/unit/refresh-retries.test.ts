/**
 * One refresh call retries transient failures (network, 5xx, 408, 429) a bounded number of times,
 * all within `refreshTimeoutMs`; a refusal or an unreadable answer is final at once; a hung endpoint
 * or refresh function is cut off at `refreshTimeoutMs`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRefreshError, isSessionEndedError, type RefreshError } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { expiredSession, hang, status, TIMEOUT, type Answer } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';
import { timed } from '../helpers/wait.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('refresh retries', () => {
  it.each([503, 500, 502, 408, 429])('a %i then a 200 is one refresh: one start, one success, 2 calls', async (code) => {
    const { script, count, me } = await expiredSession();
    script.answer(status(code));
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(2);
    expect([count('refresh:start'), count('refresh:success'), count('refresh:error')]).toEqual([1, 1, 0]);
  });

  it('a network failure then a 200 is one refresh too', async () => {
    const { script, count, me } = await expiredSession();
    script.answer(() => Promise.reject(new TypeError('fetch failed')));
    expect((await me()).status).toBe(200);
    expect(script.refreshCalls()).toBe(2);
    expect(count('refresh:success')).toBe(1);
  });

  it.each([400, 401, 403])('a %i is a refusal, not retried: 1 call, the session ends', async (code) => {
    const { script, authFetch } = await expiredSession();
    script.answer(status(code, { error: 'invalid_grant' }), status(503));
    const error = await authFetch.refresh().catch((e: unknown) => e);
    expect(isSessionEndedError(error) && error.reason).toBe('rejected');
    expect(script.refreshCalls()).toBe(1);
    expect(authFetch.getState().status).toBe('anonymous');
  });

  it.each<[string, Answer]>([
    ['a 200 that is not JSON', () => new Response('<html>maintenance</html>')],
    ['a 200 without accessToken', () => Response.json({ token: 'x' })],
    ['a 404 (a wrong refresh URL)', status(404)],
  ])('%s is not retried: 1 call, a RefreshError, the session kept', async (_, answer) => {
    const { script, authFetch } = await expiredSession();
    script.answer(answer, status(503));
    const error = await authFetch.refresh().catch((e: unknown) => e);
    expect(isRefreshError(error)).toBe(true);
    expect(script.refreshCalls()).toBe(1);
    expect(authFetch.getState().status).toBe('authenticated');
  });

  it('an endpoint that always answers 503: at most 4 calls, a RefreshError within refreshTimeoutMs', async () => {
    const { api, script, authFetch } = await expiredSession();
    api.state.refresh = 'fail';
    const { ms, value } = await timed(authFetch.refresh());
    expect(isRefreshError(value) && value.status).toBe(503);
    expect(script.refreshCalls()).toBeGreaterThanOrEqual(2);
    expect(script.refreshCalls()).toBeLessThanOrEqual(4);
    expect(ms).toBeLessThan(TIMEOUT + 300);
  });

  it('no retry is started once its delay would end past the deadline', async () => {
    const { script, authFetch } = await expiredSession();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    // The second answer comes just as the call's time is up (by the clock the deadline is read on).
    const late: Answer = () => {
      vi.setSystemTime(Date.now() + TIMEOUT);
      return Response.json({ error: 'busy' }, { status: 503 });
    };
    script.answer(status(503), late, status(503), status(503));
    const error = (await authFetch.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(error.message).toMatch(/503/);
    expect(script.refreshCalls()).toBe(2);
  });

  it('refresh:error is emitted once for 20 requests waiting on one failed refresh', async () => {
    const { api, script, count, me } = await expiredSession();
    api.state.refresh = 'fail';
    const results = await Promise.all(Array.from({ length: 20 }, () => me().catch((e: unknown) => e)));
    expect(results.every(isRefreshError)).toBe(true);
    expect([count('refresh:start'), count('refresh:error')]).toEqual([1, 1]);
    expect(script.refreshCalls()).toBeLessThanOrEqual(4);
  });

  it('a hung endpoint (it only ever rejects on its signal) is a RefreshError after refreshTimeoutMs', async () => {
    const { script, authFetch } = await expiredSession();
    script.answer(hang);
    const { ms, value } = await timed(authFetch.refresh());
    expect(isRefreshError(value)).toBe(true);
    expect((value as RefreshError).message).toMatch(new RegExp(`no answer from .*/auth/refresh within ${TIMEOUT} ms`));
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 20);
    expect(ms).toBeLessThan(TIMEOUT + 300);
    expect(script.refreshCalls()).toBe(1);
  });

  it('a refresh function that never settles is cut off at refreshTimeoutMs too', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { refresh: () => new Promise<never>(() => {}), refreshTimeoutMs: TIMEOUT });
    const startup = await timed(authFetch.ready);
    expect(startup.value).toEqual({ status: 'unknown' });
    const { ms, value } = await timed(authFetch.refresh());
    expect((value as RefreshError).message).toBe(`Refresh failed: no answer from the refresh function within ${TIMEOUT} ms`);
    for (const took of [startup.ms, ms]) expect(took).toBeLessThan(TIMEOUT + 300);
  });
});
