import { describe, expectTypeOf, it } from 'vitest';
import { createAuthFetch, type AuthFetch, type AuthFetchOptions, type SessionState } from '../../src/index.js';

describe('types', () => {
  it('authFetch is a fetch', () => {
    expectTypeOf<AuthFetch>().toExtend<typeof fetch>();
    expectTypeOf<AuthFetch>().parameters.toEqualTypeOf<[input: RequestInfo | URL, init?: RequestInit]>();
    expectTypeOf<ReturnType<AuthFetch>>().toEqualTypeOf<Promise<Response>>();
  });

  it('state narrows on status', () => {
    expectTypeOf<Extract<SessionState, { status: 'authenticated' }>['accessToken']>().toEqualTypeOf<string>();
  });

  it('options reject wrong types', () => {
    const offline = async () => new Response();
    const ok: AuthFetchOptions = { refresh: '/auth/refresh', fetch: offline, channel: false };
    // @ts-expect-error `refresh` is required
    const noRefresh: AuthFetchOptions = { leewayMs: 5 };
    // @ts-expect-error leewayMs is milliseconds, not a string like '60s'
    const badLeeway: AuthFetchOptions = { refresh: '/r', leewayMs: '60s' };
    // @ts-expect-error a refresh function must resolve to { accessToken } or null
    const badRefresh: AuthFetchOptions = { refresh: async () => 'token' };
    // @ts-expect-error idempotency is an object or false, never true
    const badIdempotency: AuthFetchOptions = { refresh: '/r', idempotency: true };
    expectTypeOf(ok).toEqualTypeOf<AuthFetchOptions>();
    void [noRefresh, badLeeway, badRefresh, badIdempotency];
    createAuthFetch(ok).dispose();
  });
});
