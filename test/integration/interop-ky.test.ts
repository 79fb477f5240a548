/**
 * ky over authFetch, real ky against real loopback servers: as is (`ky.create({ fetch })`) and with
 * `withAuth` from `auth-fetch-tabs/ky`. ky's own rules (retry, HTTPError, json bodies) must still hold.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ky, { HTTPError, type KyInstance } from 'ky';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionEndedError, createAuthFetch, type AuthFetch } from '../../src/index.js';
import { withAuth } from '../../src/ky.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { makeJwt } from '../../harness/jwt.js';
import { sleep } from '../helpers/wait.js';

/** A server that answers the next statuses in `script` (then 200), recording each request's headers. */
async function startScripted() {
  const state = { script: [] as number[], received: [] as Array<{ method: string; authorization?: string; key?: string; body: string }> };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      state.received.push({ method: req.method ?? '', body, ...(req.headers.authorization && { authorization: req.headers.authorization }), ...(key && { key }) });
      res.writeHead(state.script.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, state, close };
}

let api: ApiServer;
let scripted: Awaited<ReturnType<typeof startScripted>>;
const made: AuthFetch[] = [];
// ky's default backoff is 0.3 s, 0.6 s…; the rules under test are which requests retry, not when.
const fast = { delay: () => 0 };

beforeAll(async () => {
  [api, scripted] = await Promise.all([startApiServer(), startScripted()]);
});
afterAll(async () => {
  await Promise.all([api.close(), scripted.close()]);
});
afterEach(() => {
  made.splice(0).forEach((f) => f.dispose());
  Object.assign(api, { refuseAll: false, mode: 'ok', ttl: 300, refreshDelayMs: 0, refreshCalls: 0, received: [] });
  api.posts.clear();
  Object.assign(scripted.state, { script: [], received: [] });
});

async function client(extra: Record<string, unknown> = {}) {
  const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url, scripted.url], channel: false, ...extra });
  made.push(authFetch);
  await authFetch.ready;
  api.refreshCalls = 0;
  return authFetch;
}

/** A client whose token the scripted server accepts (it does not check tokens at all). */
const scriptedClient = () => client({ refresh: async () => ({ accessToken: makeJwt({ exp: 4_000_000_000 }) }) });

const revokeCurrent = () => api.revoked.add(api.lastToken);

const variants: Array<[string, (authFetch: AuthFetch, options?: Parameters<typeof ky.create>[0]) => KyInstance]> = [
  ['ky.create({ fetch: authFetch })', (authFetch, options) => ky.create({ ...options, fetch: authFetch })],
  ['ky.create(withAuth(authFetch))', (authFetch, options) => ky.create(withAuth(authFetch, options))],
];

describe.each(variants)('%s', (_, make) => {
  it('GET across an expired token: one refresh, then the json', async () => {
    api.ttl = 1;
    const authFetch = await client({ leewayMs: 0 });
    api.ttl = 300;
    await sleep(1100); // let the 1 s token expire for real
    const $ = make(authFetch, { prefixUrl: api.url });
    const results = await Promise.all([1, 2, 3].map(() => $.get('api/me').json()));
    expect(results).toEqual(Array(3).fill(expect.objectContaining({ ok: true })));
    expect(api.refreshCalls).toBe(1);
  });

  it('json POST across a revoked token: replayed with the same Idempotency-Key and body, one effect', async () => {
    const authFetch = await client();
    const $ = make(authFetch, { prefixUrl: api.url });
    revokeCurrent();
    expect(await $.post('api/posts', { json: { title: 'via ky', n: 1 } }).json()).toEqual({ created: true });
    const [first, replay] = api.received;
    expect(api.received).toHaveLength(2);
    expect(replay?.key).toBeTruthy();
    expect(replay?.key).toBe(first?.key);
    expect(replay?.body).toBe('{"title":"via ky","n":1}');
    expect(first?.body).toBe(replay?.body);
    expect(replay?.contentType).toBe('application/json');
    expect(replay?.authorization).not.toBe(first?.authorization);
    expect([...api.posts.values()]).toEqual(['{"title":"via ky","n":1}']);
    expect(api.refreshCalls).toBe(1);
  });

  it('a 500 on GET is still retried by ky (limit 2), each attempt with the token', async () => {
    const $ = make(await scriptedClient(), { prefixUrl: scripted.url, retry: { limit: 2, ...fast } });
    scripted.state.script = [500, 500];
    expect(await $.get('x').json()).toEqual({ ok: true });
    expect(scripted.state.received.map((r) => r.authorization)).toEqual(Array(3).fill(expect.stringMatching(/^Bearer /)));
  });

  it('a 503 on POST is not retried (ky retries no POST by default): an HTTPError after one request', async () => {
    const $ = make(await scriptedClient(), { prefixUrl: scripted.url, retry: { limit: 2, ...fast } });
    scripted.state.script = [503];
    const error = await $.post('x', { json: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).response.status).toBe(503);
    expect(scripted.state.received).toHaveLength(1);
  });

  it('a final 401 is a ky HTTPError, after one refresh and one replay', async () => {
    const $ = make(await client(), { prefixUrl: api.url, retry: { limit: 2, ...fast } });
    api.refuseAll = true;
    const error = await $.get('api/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).response.status).toBe(401);
    expect(api.received).toHaveLength(2);
    expect(api.refreshCalls).toBe(1);
  });

  it('throwHttpErrors: false hands the final 401 back as a response', async () => {
    const $ = make(await client(), { prefixUrl: api.url, throwHttpErrors: false });
    api.refuseAll = true;
    expect((await $.get('api/me')).status).toBe(401);
  });
});

describe('withAuth adds what plain ky.create({ fetch }) lacks', () => {
  const retry401 = { limit: 2, statusCodes: [401, 500], ...fast };

  it('plain ky with 401 in retry.statusCodes: every ky retry refreshes again (3 refreshes, 6 requests)', async () => {
    const $ = ky.create({ prefixUrl: api.url, fetch: await client(), retry: retry401 });
    api.refuseAll = true;
    await expect($.get('api/me')).rejects.toBeInstanceOf(HTTPError);
    expect(api.refreshCalls).toBe(3);
    expect(api.received).toHaveLength(6);
  });

  it('withAuth never lets ky retry a 401, even with 401 in retry.statusCodes: one refresh, one replay, then the HTTPError', async () => {
    const $ = ky.create(withAuth(await client(), { prefixUrl: api.url, retry: retry401 }));
    api.refuseAll = true;
    await expect($.get('api/me')).rejects.toBeInstanceOf(HTTPError);
    expect(api.refreshCalls).toBe(1);
    expect(api.received).toHaveLength(2);
  });

  it('…also when 401 comes back through a later .extend() or a shouldRetry that says yes', async () => {
    const base = ky.create(withAuth(await client(), { prefixUrl: api.url }));
    api.refuseAll = true;
    await expect(base.extend({ retry: retry401 }).get('api/me')).rejects.toBeInstanceOf(HTTPError);
    await expect(base.extend({ retry: { limit: 2, ...fast, shouldRetry: () => true } }).get('api/me')).rejects.toBeInstanceOf(HTTPError);
    expect(api.refreshCalls).toBe(2);
    expect(api.received).toHaveLength(4);
  });

  it('logout while a ky GET waits for the refresh: plain ky retries it without a token (a 401 HTTPError), withAuth rejects with SessionEndedError', async () => {
    const outcome = async (make: (authFetch: AuthFetch) => KyInstance) => {
      api.refreshDelayMs = 0;
      const authFetch = await client();
      const $ = make(authFetch);
      revokeCurrent();
      api.refreshDelayMs = 1000;
      api.received = [];
      const request = $.get('api/me').catch((e: unknown) => e);
      while (api.refreshCalls === 0) await sleep(5); // waiting on the refresh
      await authFetch.logout();
      const error = await request;
      return { error, sent: api.received.map((r) => (r.authorization ? 'token' : 'none')) };
    };
    const plain = await outcome((authFetch) => ky.create({ prefixUrl: api.url, fetch: authFetch, retry: { limit: 2, ...fast } }));
    expect((plain.error as HTTPError).response.status).toBe(401);
    expect(plain.sent).toEqual(['token', 'none']);
    api.refreshCalls = 0;
    const wrapped = await outcome((authFetch) => ky.create(withAuth(authFetch, { prefixUrl: api.url, retry: { limit: 2, ...fast } })));
    expect(wrapped.error).toBeInstanceOf(SessionEndedError);
    expect(wrapped.sent).toEqual(['token']);
  });

  it('existing.extend(withAuth(authFetch)) turns an existing instance into an authenticated one', async () => {
    const existing = ky.create({ prefixUrl: api.url, headers: { 'x-app': '1' } });
    const $ = existing.extend(withAuth(await client()));
    revokeCurrent();
    expect(await $.post('api/posts', { json: { title: 'extended' } }).json()).toEqual({ created: true });
    expect(api.received).toHaveLength(2);
    expect(api.received[1]?.key).toBe(api.received[0]?.key);
  });

  it('POST retried by ky (retry.methods has post): withAuth keeps one Idempotency-Key, plain ky gets a new one per attempt', async () => {
    const authFetch = await scriptedClient();
    const retryPost = { limit: 1, methods: ['post' as const], statusCodes: [503], ...fast };
    scripted.state.script = [503];
    await ky.create(withAuth(authFetch, { prefixUrl: scripted.url, retry: retryPost })).post('x', { json: { a: 1 } });
    const [first, retried] = scripted.state.received.splice(0);
    expect(retried?.key).toBeTruthy();
    expect(retried?.key).toBe(first?.key);
    expect(retried?.body).toBe('{"a":1}');

    scripted.state.script = [503];
    await ky.create({ prefixUrl: scripted.url, fetch: authFetch, retry: retryPost }).post('x', { json: { a: 1 } });
    const [plainFirst, plainRetried] = scripted.state.received;
    expect(plainRetried?.key).not.toBe(plainFirst?.key);
  });

  it('your shouldRetry and a numeric retry limit still decide everything else', async () => {
    const authFetch = await scriptedClient();
    const stopAtSecond = ({ retryCount }: { retryCount: number }) => (retryCount < 2 ? undefined : false);
    scripted.state.script = [500, 500, 500];
    await expect(ky.create(withAuth(authFetch, { prefixUrl: scripted.url, retry: { limit: 5, ...fast, shouldRetry: stopAtSecond } })).get('x')).rejects.toBeInstanceOf(HTTPError);
    expect(scripted.state.received).toHaveLength(2);

    scripted.state.received = [];
    scripted.state.script = [500, 500, 500];
    await expect(ky.create(withAuth(authFetch, { prefixUrl: scripted.url, retry: 1 })).get('x')).rejects.toBeInstanceOf(HTTPError);
    expect(scripted.state.received).toHaveLength(2);
  });

  it('keeps a key the caller set, and sets none with idempotency: false', async () => {
    const authFetch = await scriptedClient();
    await ky.create(withAuth(authFetch, { prefixUrl: scripted.url })).post('x', { headers: { 'idempotency-key': 'mine' } });
    await ky.create(withAuth(authFetch, { prefixUrl: scripted.url, idempotency: false })).post('x');
    expect(scripted.state.received[0]?.key).toBe('mine');
    // With idempotency: false here, auth-fetch's own per-call key still applies (its option is separate).
    expect(scripted.state.received[1]?.key).toBeTruthy();
  });

  it("keeps the caller's hooks and leaves other requests alone: a foreign origin gets neither token nor key from ky", async () => {
    const foreign = await startScripted();
    try {
      const seen: string[] = [];
      const $ = ky.create(withAuth(await client(), { hooks: { beforeRequest: [(request) => void seen.push(request.method)] } }));
      await $.get(`${api.url}/api/me`);
      await $.put(`${foreign.url}/x`, { json: {} });
      expect(seen).toEqual(['GET', 'PUT']);
      expect(foreign.state.received[0]?.authorization).toBeUndefined();
      expect(foreign.state.received[0]?.key).toBeUndefined();
    } finally {
      await foreign.close();
    }
  });

  it('rejects a non-function authFetch with a TypeError naming it', () => {
    // @ts-expect-error -- the point: a wrong argument is caught at run time too
    expect(() => withAuth(undefined)).toThrow(/`authFetch` must be the function createAuthFetch returned, got undefined/);
  });
});
