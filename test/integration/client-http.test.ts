import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ky from 'ky';
import { createAuthFetch, isRefreshError, type AuthFetch } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { sleep } from '../helpers/wait.js';

let api: ApiServer;
let foreign: ApiServer;
const made: AuthFetch[] = [];

beforeAll(async () => {
  [api, foreign] = await Promise.all([startApiServer(), startApiServer()]);
});
afterAll(async () => {
  await Promise.all([api.close(), foreign.close()]);
});
afterEach(() => {
  made.splice(0).forEach((f) => f.dispose());
  Object.assign(api, { refuseAll: false, mode: 'ok', ttl: 300, refreshDelayMs: 0, refreshCalls: 0, received: [] });
  api.posts.clear();
  foreign.received = [];
});

async function client(extra: Record<string, unknown> = {}) {
  const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false, ...extra });
  made.push(authFetch);
  await authFetch.ready;
  return authFetch;
}

/** Makes the server refuse the current token, so the next request goes down the reactive path. */
const revokeCurrent = () => api.revoked.add(api.lastToken);

describe('against a real node:http server', () => {
  it('1,000 concurrent requests with an expired token: exactly one refresh on the wire', async () => {
    api.ttl = 1;
    const authFetch = await client({ leewayMs: 0 });
    api.ttl = 300;
    api.refreshCalls = 0;
    await sleep(1100); // let the 1 s token expire for real
    api.refreshDelayMs = 50;
    const responses = await Promise.all(Array.from({ length: 1000 }, () => authFetch(`${api.url}/api/me`)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(api.refreshCalls).toBe(1);
  });

  it('1,000 concurrent 401s (revoked token): one refresh, one replay each', async () => {
    const authFetch = await client();
    api.refreshCalls = 0;
    api.refreshDelayMs = 50;
    revokeCurrent();
    const responses = await Promise.all(Array.from({ length: 1000 }, () => authFetch(`${api.url}/api/me`)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1000);
    expect(api.refreshCalls).toBe(1);
    expect(api.received).toHaveLength(2000);
  });

  it('loop safety: an API that always answers 401 gets one replay per request and one refresh', async () => {
    const authFetch = await client();
    api.refreshCalls = 0;
    api.refuseAll = true;
    const responses = await Promise.all(Array.from({ length: 10 }, () => authFetch(`${api.url}/api/me`)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(api.received).toHaveLength(20);
    expect(api.refreshCalls).toBe(1);
  });

  it('a foreign origin never receives the token', async () => {
    const authFetch = await client();
    await authFetch(`${foreign.url}/api/me`);
    await authFetch(new Request(`${foreign.url}/api/posts`, { method: 'POST', body: 'x' }));
    await authFetch(`${api.url}/api/me`);
    expect(foreign.received).toHaveLength(2);
    expect(foreign.received.every((r) => r.authorization === undefined && r.key === undefined)).toBe(true);
    expect(api.received.at(-1)?.authorization).toMatch(/^Bearer /);
  });

  it.each([
    ['JSON string', () => JSON.stringify({ a: 1, ü: 'é' })],
    ['URLSearchParams', () => new URLSearchParams({ q: 'a b', r: '1' })],
    ['Blob', () => new Blob(['blob-bytes'], { type: 'application/octet-stream' })],
    [
      'FormData',
      () => {
        const form = new FormData();
        form.set('title', 'hello');
        form.set('file', new Blob(['file-bytes'], { type: 'text/plain' }), 'a.txt');
        return form;
      },
    ],
  ])('replays a %s body byte for byte, with the same Idempotency-Key', async (_, makeBody) => {
    const authFetch = await client();
    revokeCurrent();
    const res = await authFetch(`${api.url}/api/posts`, { method: 'POST', body: makeBody() });
    expect(res.status).toBe(201);
    const [first, replay] = api.received;
    expect(api.received).toHaveLength(2);
    expect(replay?.body).toBe(first?.body);
    expect(replay?.body.length).toBeGreaterThan(0);
    expect(replay?.key).toBe(first?.key);
    expect(replay?.key).toBeTruthy();
    expect(replay?.authorization).not.toBe(first?.authorization);
    expect(replay?.contentType).toBe(first?.contentType); // FormData: the same multipart boundary too
    expect(api.posts.size).toBe(1);
  });

  it('a network failure during refresh keeps the session; the next request recovers', async () => {
    const authFetch = await client({ refreshTimeoutMs: 160 }); // its retries come within a few ms
    revokeCurrent();
    api.mode = 'hangup';
    const error = await authFetch(`${api.url}/api/me`).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    // The token is unexpired, so after the failed refresh the 401 cannot be answered: RefreshError.
    expect(isRefreshError(error)).toBe(true);
    expect(authFetch.getState().status).toBe('authenticated');
    api.mode = 'ok';
    await sleep(1_050); // the cooldown after a failed refresh
    expect((await authFetch(`${api.url}/api/me`)).status).toBe(200);
  });

  it('ky.create({ fetch: authFetch }) works end to end across a revoked token, GET and json POST', async () => {
    const authFetch = await client();
    const api2 = ky.create({ prefixUrl: api.url, fetch: authFetch });
    revokeCurrent();
    expect(await api2.get('api/me').json()).toMatchObject({ ok: true });
    revokeCurrent();
    expect(await api2.post('api/posts', { json: { title: 'via ky' } }).json()).toEqual({ created: true });
    expect([...api.posts.values()]).toEqual(['{"title":"via ky"}']);
    expect(api.refreshCalls).toBe(3);
  });
});
