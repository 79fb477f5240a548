/**
 * An in-process stand-in for an API and its refresh endpoint, as an injected `fetch` (the pattern of
 * ky's test/fetch.ts): for the pure logic tests. Integration tests use a real node:http server.
 */
import { jwtFor, readExp } from '../../harness/jwt.js';

export interface FakeApiOptions {
  origin?: string;
  ttl?: number;
  clock?: { now: number };
  /** What the refresh endpoint does: 'ok' (default), 'reject' (401), 'fail' (503), 'network' (throws). */
  refresh?: 'ok' | 'reject' | 'fail' | 'network';
  refreshDelayMs?: number;
}

export function fakeApi(options: FakeApiOptions = {}) {
  const origin = options.origin ?? 'https://app.test';
  const clock = options.clock ?? { now: Date.now() };
  const ttl = options.ttl ?? 300;
  const state = {
    refresh: options.refresh ?? 'ok',
    refreshCalls: 0,
    requests: [] as Array<{ url: string; method: string; authorization: string | null; idempotencyKey: string | null; body: string }>,
    lastIssued: '',
    /** Tokens the server refuses although their exp is fine (revoked). */
    revoked: new Set<string>(),
  };
  const issue = () => (state.lastIssued = jwtFor(clock.now, ttl));
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (init?.signal?.aborted) throw init.signal.reason;
    if (url.pathname === '/auth/refresh') {
      state.refreshCalls++;
      if (options.refreshDelayMs) await new Promise((r) => setTimeout(r, options.refreshDelayMs));
      if (state.refresh === 'network') throw new TypeError('fetch failed');
      if (state.refresh === 'reject') return Response.json({ error: 'invalid_refresh_token' }, { status: 401 });
      if (state.refresh === 'fail') return Response.json({ error: 'unavailable' }, { status: 503 });
      return Response.json({ accessToken: issue(), expiresIn: ttl });
    }
    if (url.pathname === '/auth/logout') return new Response(null, { status: 204 });
    const authorization = request.headers.get('authorization');
    const body = request.body ? await request.text() : '';
    state.requests.push({
      url: request.url,
      method: request.method,
      authorization,
      idempotencyKey: request.headers.get('idempotency-key'),
      body,
    });
    if (url.origin !== origin) return Response.json({ foreign: true });
    const token = authorization?.replace(/^Bearer /, '');
    const exp = token ? readExp(token) : undefined;
    if (!token || exp === undefined || exp * 1000 <= clock.now || state.revoked.has(token)) {
      return Response.json({ error: 'token_expired' }, { status: 401 });
    }
    return Response.json({ ok: true, body });
  };
  return { fetch, state, clock, origin, issue };
}
