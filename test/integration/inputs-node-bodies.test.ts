import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';

let api: ApiServer;
const made: AuthFetch[] = [];
beforeAll(async () => {
  api = await startApiServer();
});
afterAll(() => api.close());
afterEach(() => made.splice(0).forEach((f) => f.dispose()));

// Node's fetch also sends bodies that can be read only once and are not a web ReadableStream.
describe.each([
  ['an async generator', () => (async function* () { yield new TextEncoder().encode('important document'); })()],
  ['a stream.Readable', () => Readable.from([Buffer.from('important document')])],
])('a PUT whose body is %s', (_, body) => {
  it('is sent once: the 401 is returned as is, never replayed with an empty or used body', async () => {
    const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false });
    made.push(authFetch);
    await authFetch.ready;
    api.received = [];
    api.revoked.add(api.lastToken);
    const res = await authFetch(`${api.url}/api/doc`, { method: 'PUT', body: body() as unknown as BodyInit, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
    expect(api.received.map((r) => r.body)).toEqual(['important document']);
  });
});

describe.each([
  ['a Blob', () => new Blob(['doc'])],
  ['URLSearchParams', () => new URLSearchParams({ a: 'doc' })],
  ['a Uint8Array', () => new TextEncoder().encode('doc')],
])('a PUT whose body is %s', (_, body) => {
  it('is still replayed after a 401, with the same bytes', async () => {
    const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false });
    made.push(authFetch);
    await authFetch.ready;
    api.received = [];
    api.revoked.add(api.lastToken);
    const res = await authFetch(`${api.url}/api/doc`, { method: 'PUT', body: body() });
    expect(res.status).toBe(200);
    expect(api.received).toHaveLength(2);
    expect(api.received[1]!.body).toBe(api.received[0]!.body);
  });
});
