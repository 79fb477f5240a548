import { afterEach } from 'vitest';
import { createAuthFetch, type AuthFetch, type AuthFetchOptions } from '../../src/index.js';
import type { fakeApi } from './fake-api.js';

const made: AuthFetch[] = [];
afterEach(() => made.splice(0).forEach((f) => f.dispose()));

/** An authFetch over a fake API, disposed after the test. */
export function setup(api: ReturnType<typeof fakeApi>, extra: Partial<AuthFetchOptions> = {}): AuthFetch {
  const authFetch = createAuthFetch({
    refresh: `${api.origin}/auth/refresh`,
    logout: `${api.origin}/auth/logout`,
    trustedOrigins: [api.origin],
    fetch: api.fetch,
    now: () => api.clock.now,
    channel: false,
    ...extra,
  });
  made.push(authFetch);
  return authFetch;
}

/** Wraps a fetch so that the next `count` requests carrying a bearer token get a 401 (e.g. a revoked token). */
export function failAuthorized(inner: typeof fetch, count = 1): typeof fetch {
  let left = count;
  return async (input, init) => {
    const auth = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('authorization');
    if (auth && left > 0) {
      left--;
      return Response.json({ error: 'invalid_token' }, { status: 401 });
    }
    return inner(input, init);
  };
}

export const stateToken = (authFetch: AuthFetch): string | undefined => {
  const state = authFetch.getState();
  return state.status === 'authenticated' ? state.accessToken : undefined;
};
