/**
 * A fetch over the fake API whose refresh calls get answers the test scripts in turn (then the fake
 * API's own), and that records every call: for the refresh retry, cooldown and refusal tests.
 */
import { expect } from 'vitest';
import type { AuthEvent, AuthFetchOptions } from '../../src/index.js';
import { fakeApi } from './fake-api.js';
import { setup } from './setup.js';

/** One refresh answer; it gets the call's signal (a hung endpoint rejects only when that aborts). */
export type Answer = (signal: AbortSignal | undefined) => Response | Promise<Response>;

export const status = (code: number, body: unknown = { error: 'x' }, headers: HeadersInit = {}): Answer => () =>
  Response.json(body, { status: code, headers });

/** An endpoint that never answers: the call ends only when its signal aborts. */
export const hang: Answer = (signal) =>
  new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input));

export function scriptedRefresh(api: ReturnType<typeof fakeApi>) {
  const answers: Answer[] = [];
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({ url: urlOf(input), init });
    const answer = urlOf(input).endsWith('/auth/refresh') ? answers.shift() : undefined;
    return answer ? answer(init?.signal ?? undefined) : api.fetch(input, init);
  };
  return {
    fetch,
    /** The next refresh calls get these answers, in order. */
    answer: (...next: Answer[]) => void answers.push(...next),
    calls,
    refreshCalls: () => calls.filter((c) => c.url.endsWith('/auth/refresh')).length,
  };
}

/** A short refresh timeout: retry delays are 1/32, 2/32, 4/32 of it (±50 %), about 10, 20, 40 ms. */
export const TIMEOUT = 320;

/**
 * A started session (a 300 s token) whose clock then moves on `elapsedMs`: by default past its
 * expiry, so that the next request must refresh first.
 */
export async function expiredSession(extra: Partial<AuthFetchOptions> = {}, elapsedMs = 301_000) {
  const api = fakeApi({ ttl: 300 });
  const script = scriptedRefresh(api);
  const authFetch = setup(api, { fetch: script.fetch, refreshTimeoutMs: TIMEOUT, ...extra });
  expect((await authFetch.ready).status).toBe('authenticated');
  script.calls.length = 0;
  const events: AuthEvent[] = [];
  authFetch.on((e) => events.push(e));
  api.clock.now += elapsedMs;
  const count = (type: AuthEvent['type']) => events.filter((e) => e.type === type).length;
  return { api, script, authFetch, count, me: () => authFetch(`${api.origin}/api/me`) };
}

