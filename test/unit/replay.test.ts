import { describe, expect, it } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { failAuthorized, setup } from '../helpers/setup.js';
import { sleep } from '../helpers/wait.js';

const keyed = (api: ReturnType<typeof fakeApi>) => api.state.requests.filter((r) => r.url.endsWith('/api/posts'));

describe('bodies and idempotency keys', () => {
  it('puts an Idempotency-Key on POST and PATCH, and the replay reuses it with the same body', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch) });
    await authFetch.ready;
    const res = await authFetch(`${api.origin}/api/posts`, { method: 'POST', body: JSON.stringify({ title: 'hi' }) });
    expect(res.status).toBe(200);
    const [replayed] = keyed(api);
    expect(replayed?.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(replayed?.body).toBe('{"title":"hi"}');
  });

  it('keeps a key the caller set', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    await authFetch(`${api.origin}/api/posts`, { method: 'PATCH', headers: { 'Idempotency-Key': 'mine' }, body: 'x' });
    expect(keyed(api)[0]?.idempotencyKey).toBe('mine');
  });

  it('leaves idempotent methods without a key', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    await authFetch(`${api.origin}/api/posts`, { method: 'PUT', body: 'x' });
    await authFetch(`${api.origin}/api/posts`);
    expect(keyed(api).map((r) => r.idempotencyKey)).toEqual([null, null]);
  });

  it('never replays a non-idempotent request without a key (idempotency: false)', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch), idempotency: false });
    await authFetch.ready;
    const res = await authFetch(`${api.origin}/api/posts`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(401);
    expect(keyed(api)).toHaveLength(0); // the 401 came from the wrapper: the API never ran it
    // It still refreshed, so the next request finds a fresh token.
    await sleep(0);
    expect(api.state.refreshCalls).toBe(2);
  });

  it('custom methods, header name and key generator', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { idempotency: { methods: ['post', 'delete'], header: 'X-Request-Id', key: () => 'k-1' } });
    await authFetch.ready;
    let seen = '';
    await setup(api, {
      idempotency: { methods: ['delete'], header: 'X-Request-Id', key: () => 'k-2' },
      fetch: async (input, init) => {
        seen = new Headers(init?.headers).get('x-request-id') ?? '';
        return api.fetch(input, init);
      },
    })(`${api.origin}/api/posts/1`, { method: 'DELETE' });
    expect(seen).toBe('k-2');
  });

  it.each([
    [() => undefined, /`idempotency.key` must return a non-empty string, got undefined/],
    [() => '', /`idempotency.key`.*got ""/],
    [() => 42, /`idempotency.key`.*got 42/],
  ])('a key generator that returns no string (%s) rejects the request with a TypeError; nothing is sent', async (key, message) => {
    const api = fakeApi();
    const authFetch = setup(api, { idempotency: { key: key as () => string } });
    await authFetch.ready;
    const error = await authFetch(`${api.origin}/api/posts`, { method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(message);
    expect(keyed(api)).toHaveLength(0);
  });

  it('does not replay a one-shot stream body: the 401 is returned as is', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch) });
    await authFetch.ready;
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('stream'));
        c.close();
      },
    });
    const res = await authFetch(`${api.origin}/api/posts`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
  });

  it('replays a Request object with its body, cloned before the first send', async () => {
    const api = fakeApi();
    const authFetch = setup(api, { fetch: failAuthorized(api.fetch) });
    await authFetch.ready;
    const request = new Request(`${api.origin}/api/posts`, { method: 'POST', body: 'from-a-request', headers: { 'x-a': '1' } });
    const res = await authFetch(request);
    expect(res.status).toBe(200);
    expect(keyed(api)[0]).toMatchObject({ body: 'from-a-request', method: 'POST' });
    expect(keyed(api)[0]?.idempotencyKey).toBeTruthy();
  });

  it('keeps the caller’s own Authorization header and never refreshes for it', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    const res = await authFetch(`${api.origin}/api/me`, { headers: { Authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    expect(api.state.requests.at(-1)?.authorization).toBe('Basic abc');
    expect(api.state.refreshCalls).toBe(1);
  });

  it('the caller’s abort ends a wait for a refresh at once, with the caller’s reason', async () => {
    const api = fakeApi({ ttl: 60, refreshDelayMs: 200 });
    const authFetch = setup(api);
    await authFetch.ready;
    api.clock.now += 61_000; // expired: the request waits for a refresh
    const controller = new AbortController();
    const pending = authFetch(`${api.origin}/api/me`, { signal: controller.signal }).catch((e: unknown) => e);
    await sleep(10);
    controller.abort(new Error('user gave up'));
    let refreshDone = false;
    authFetch.on((e) => e.type === 'refresh:success' && (refreshDone = true));
    expect(((await pending) as Error).message).toBe('user gave up');
    expect(refreshDone).toBe(false);
  });

  it('the caller’s abort signal still aborts', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    const controller = new AbortController();
    controller.abort(new Error('user abort'));
    await expect(authFetch(`${api.origin}/api/me`, { signal: controller.signal })).rejects.toThrow('user abort');
  });
});

describe('origins', () => {
  it('attaches the token only to trusted origins, whatever form the request takes', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    await authFetch.ready;
    const foreign = 'https://evil.test/collect';
    await authFetch(foreign);
    await authFetch(new URL(foreign));
    await authFetch(new Request(foreign, { method: 'POST', body: 'x' }));
    await authFetch('https://app.test.evil.test/x');
    await authFetch('http://app.test/x'); // same host, other scheme: another origin
    const foreignSends = api.state.requests.filter((r) => !r.url.startsWith(`${api.origin}/`));
    expect(foreignSends).toHaveLength(5);
    expect(foreignSends.every((r) => r.authorization === null && r.idempotencyKey === null)).toBe(true);
  });

  it('defaults to the page origin and the refresh URL origin', async () => {
    const api = fakeApi({ origin: location.origin });
    const authFetch = setup(api, { trustedOrigins: undefined as never, refresh: '/auth/refresh' });
    await authFetch.ready;
    await authFetch('/api/me');
    expect(api.state.requests.at(-1)?.authorization).toMatch(/^Bearer /);
  });
});
