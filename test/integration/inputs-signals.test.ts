/** The caller's abort signal, as Node's fetch treats it: shared by many requests, or detached with `null`. */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../../src/index.js';
import { sleep } from '../helpers/wait.js';

const API = 'https://api.test';
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.name);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

/** A fetch that answers 200 after `ms`, or rejects with the signal's reason when it aborts. */
const slowFetch = (ms: number) => (_input: RequestInfo | URL, init?: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    if (init?.signal?.aborted) return reject(init.signal.reason);
    const timer = setTimeout(() => resolve(new Response('ok')), ms);
    init?.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(init.signal!.reason);
      },
      { once: true },
    );
  });

const make = (fetch: typeof globalThis.fetch) =>
  createAuthFetch({ refresh: async () => ({ accessToken: 'opaque', expiresIn: 300 }), trustedOrigins: [API], channel: false, fetch });

describe('the caller’s signal', () => {
  it('50 concurrent requests sharing one signal: no MaxListenersExceededWarning, and one abort ends them all', async () => {
    process.on('warning', onWarning);
    const authFetch = make(slowFetch(200));
    await authFetch.ready;
    const caller = new AbortController();
    const requests = Array.from({ length: 50 }, () => authFetch(`${API}/me`, { signal: caller.signal }).catch((e: unknown) => e));
    await sleep(20);
    caller.abort(new Error('user left the page'));
    const outcomes = await Promise.all(requests);
    expect(outcomes.map((e) => (e as Error).message)).toEqual(Array(50).fill('user left the page'));
    await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual([]);
    authFetch.dispose();
  });

  it('requests that finished no longer follow the signal: a later abort touches nothing', async () => {
    const authFetch = make(slowFetch(1));
    await authFetch.ready;
    const caller = new AbortController();
    for (let i = 0; i < 20; i++) expect((await authFetch(`${API}/me`, { signal: caller.signal })).status).toBe(200);
    caller.abort();
    expect((await authFetch(`${API}/me`)).status).toBe(200);
    authFetch.dispose();
  });

  it('init.signal: null detaches the Request’s own signal, as with fetch', async () => {
    const authFetch = make(slowFetch(1));
    await authFetch.ready;
    const aborted = new AbortController();
    aborted.abort();
    const request = new Request(`${API}/me`, { signal: aborted.signal });
    await expect(authFetch(request)).rejects.toThrow();
    expect((await authFetch(request, { signal: null })).status).toBe(200);
    authFetch.dispose();
  });
});
