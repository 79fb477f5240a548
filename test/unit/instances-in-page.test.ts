/**
 * Two instances in one page (`document` exists, so each opens its default channel): instances of
 * one app (same refresh URL and trusted origins) share their session; instances of two apps never
 * share a token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';

const made: AuthFetch[] = [];
afterEach(() => made.splice(0).forEach((f) => f.dispose()));

const api = fakeApi();
/** An instance with the default channel; `refreshPath` other than /auth/refresh is refused (the fake API answers it 401). */
function instance(refreshPath = '/auth/refresh'): AuthFetch {
  const authFetch = createAuthFetch({ refresh: `${api.origin}${refreshPath}`, trustedOrigins: [api.origin], fetch: api.fetch, peerTimeoutMs: 50 });
  made.push(authFetch);
  return authFetch;
}

describe('two instances in one page, default channels', () => {
  it('with the same config they share the session: the second takes the first one’s token, no refresh', async () => {
    const first = instance();
    await first.ready;
    const calls = api.state.refreshCalls;
    const second = instance();
    expect(await second.ready).toMatchObject({ status: 'authenticated', accessToken: api.state.lastIssued });
    expect(api.state.refreshCalls).toBe(calls);
  });

  it('with different refresh URLs they never share a token', async () => {
    const first = instance();
    await first.ready;
    const other = instance('/other-app/refresh');
    expect((await other.ready).status).toBe('anonymous');
    expect(first.getState().status).toBe('authenticated');
  });
});
