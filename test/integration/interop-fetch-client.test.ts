/**
 * A client that only expects "a fetch" (the shape of openapi-fetch, graphql-request and SDK
 * generators): it builds a `Request` itself, calls the fetch it was given unbound, and reads JSON.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';

/** What such clients do: `new Request(...)` with a plain-object header bag, then `fetch(request)`. */
function createClient({ baseUrl, fetch }: { baseUrl: string; fetch: typeof globalThis.fetch }) {
  const call = fetch; // unbound on purpose: generated clients store it and call it detached
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> => {
    const request = new Request(`${baseUrl}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const response = await call(request);
    return { status: response.status, data: (await response.json()) as T };
  };
}

let api: ApiServer;
let authFetch: AuthFetch;

beforeAll(async () => {
  api = await startApiServer();
});
afterAll(() => api.close());
afterEach(() => {
  authFetch.dispose();
  Object.assign(api, { refreshCalls: 0, received: [] });
  api.posts.clear();
});

async function client() {
  authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false });
  await authFetch.ready;
  api.refreshCalls = 0;
  return createClient({ baseUrl: api.url, fetch: authFetch });
}

it('is accepted where `typeof fetch` is expected, and GETs across a revoked token', async () => {
  const $ = await client();
  api.revoked.add(api.lastToken);
  expect(await $('GET', '/api/me')).toMatchObject({ status: 200, data: { ok: true } });
  expect(api.refreshCalls).toBe(1);
});

it('replays a POST built as a Request: same body (from the Request), same Idempotency-Key, one effect', async () => {
  const $ = await client();
  api.revoked.add(api.lastToken);
  expect(await $('POST', '/api/posts', { title: 'from a Request' })).toEqual({ status: 201, data: { created: true } });
  const [first, replay] = api.received;
  expect(api.received).toHaveLength(2);
  expect(replay?.key).toBeTruthy();
  expect(replay?.key).toBe(first?.key);
  expect(first?.body).toBe('{"title":"from a Request"}');
  expect(replay?.body).toBe(first?.body);
  expect(api.posts.size).toBe(1);
});
