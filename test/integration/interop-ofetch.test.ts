/**
 * ofetch over authFetch against the real loopback API. ofetch takes its fetch in `createFetch()` or
 * in the *second* argument of `ofetch.create()`; a `fetch` in the first (request defaults) is ignored.
 */
import { FetchError, createFetch, ofetch } from 'ofetch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { sleep } from '../helpers/wait.js';

let api: ApiServer;
const made: AuthFetch[] = [];

beforeAll(async () => {
  api = await startApiServer();
});
afterAll(() => api.close());
afterEach(() => {
  made.splice(0).forEach((f) => f.dispose());
  Object.assign(api, { refuseAll: false, mode: 'ok', ttl: 300, refreshDelayMs: 0, refreshCalls: 0, received: [] });
  api.posts.clear();
});

async function client() {
  const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false });
  made.push(authFetch);
  await authFetch.ready;
  api.refreshCalls = 0;
  return authFetch;
}

const revokeCurrent = () => api.revoked.add(api.lastToken);

describe.each([
  ['createFetch({ fetch: authFetch })', (authFetch: AuthFetch) => createFetch({ fetch: authFetch }).create({ baseURL: api.url })],
  ['ofetch.create({ baseURL }, { fetch: authFetch })', (authFetch: AuthFetch) => ofetch.create({ baseURL: api.url }, { fetch: authFetch })],
])('%s', (_, make) => {
  it('GET across a revoked token: one refresh, parsed json', async () => {
    const $ = make(await client());
    revokeCurrent();
    const results = await Promise.all([1, 2, 3].map(() => $<{ ok: boolean }>('/api/me')));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(api.refreshCalls).toBe(1);
  });

  it('an object body POST is replayed with the same Idempotency-Key and body: one effect', async () => {
    const $ = make(await client());
    revokeCurrent();
    expect(await $('/api/posts', { method: 'POST', body: { title: 'via ofetch' } })).toEqual({ created: true });
    const [first, replay] = api.received;
    expect(api.received).toHaveLength(2);
    expect(replay?.key).toBeTruthy();
    expect(replay?.key).toBe(first?.key);
    expect(replay?.body).toBe('{"title":"via ofetch"}');
    expect(replay?.contentType).toBe('application/json');
    expect(api.posts.size).toBe(1);
  });

  it('a final 401 is an ofetch FetchError (ofetch does not retry 401): two requests, one refresh', async () => {
    const $ = make(await client());
    api.refuseAll = true;
    const error = await $('/api/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).statusCode).toBe(401);
    expect(api.received).toHaveLength(2);
    expect(api.refreshCalls).toBe(1);
  });
});

it('pitfall: ofetch.create({ fetch: authFetch }) puts fetch among the request defaults, so no token is sent', async () => {
  const authFetch = await client();
  const $ = ofetch.create({ baseURL: api.url, fetch: authFetch } as Parameters<typeof ofetch.create>[0]);
  const error = await $('/api/me').catch((e: unknown) => e);
  expect((error as FetchError).statusCode).toBe(401);
  expect(api.received[0]?.authorization).toBeUndefined();
});

// ofetch's `timeout` and every caller's `signal` reach authFetch as `init.signal`: an abort must end
// authFetch's wait for a refresh at once, not when the refresh is over.
it("aborting (ofetch's timeout or signal) while auth-fetch waits for a refresh rejects before the refresh ends", async () => {
  const authFetch = await client();
  const $ = ofetch.create({ baseURL: api.url, retry: 0 }, { fetch: authFetch });
  let refreshed = false;
  authFetch.on((event) => void (event.type === 'refresh:success' && (refreshed = true)));
  api.refreshDelayMs = 3000;
  revokeCurrent();
  const controller = new AbortController();
  const request = $('/api/me', { signal: controller.signal }).catch((e: unknown) => e);
  while (api.refreshCalls === 0) await sleep(5); // the refresh is on the wire
  controller.abort();
  expect(await request).toBeInstanceOf(FetchError);
  expect(refreshed).toBe(false);
});
