/** logout(): anonymous at once, then one POST that carries the token only to a trusted origin (so the server can deny it). */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { jwtFor } from '../../harness/jwt.js';
import { urlOf } from '../helpers/url-of.js';

const made: AuthFetch[] = [];
afterEach(() => made.splice(0).forEach((f) => f.dispose()));

function make(logout: string, trustedOrigins = ['https://api.test']) {
  const calls: Array<{ url: string; authorization: string | null }> = [];
  const authFetch = createAuthFetch({
    refresh: 'https://api.test/auth/refresh',
    logout,
    trustedOrigins,
    channel: false,
    fetch: async (input, init) => {
      calls.push({ url: urlOf(input), authorization: new Headers(init?.headers).get('authorization') });
      return urlOf(input).endsWith('/auth/refresh') ? new Response(null, { status: 401 }) : new Response(null, { status: 204 });
    },
  });
  made.push(authFetch);
  return { authFetch, calls };
}

describe('logout', () => {
  it('sends the access token it ends to a trusted logout URL', async () => {
    const { authFetch, calls } = make('https://api.test/auth/logout');
    await authFetch.ready;
    const token = jwtFor(Date.now(), 300);
    authFetch.setTokens({ accessToken: token });
    const done = authFetch.logout();
    expect(authFetch.getState().status).toBe('anonymous'); // at once, before the server answers
    await done;
    expect(calls.at(-1)).toEqual({ url: 'https://api.test/auth/logout', authorization: `Bearer ${token}` });
  });

  it('never sends it to a logout URL on an origin that is not trusted', async () => {
    const { authFetch, calls } = make('https://sso.example/logout');
    await authFetch.ready;
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300) });
    await authFetch.logout();
    expect(calls.at(-1)).toEqual({ url: 'https://sso.example/logout', authorization: null });
  });

  it('without a session it still tells the server, without a token', async () => {
    const { authFetch, calls } = make('https://api.test/auth/logout');
    await authFetch.ready;
    await authFetch.logout();
    expect(calls.at(-1)).toEqual({ url: 'https://api.test/auth/logout', authorization: null });
  });
});
