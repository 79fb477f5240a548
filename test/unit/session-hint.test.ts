/**
 * `sessionHint`: a readable cookie the server sets beside the refresh cookie. Without it at start-up
 * there is no session to find, so `ready` settles anonymous without a request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { scriptedRefresh } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';

const clear = (name: string) => {
  document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
};
afterEach(() => {
  for (const name of ['auth_hint', 'auth_hint2']) clear(name);
});

/** A page's instance with the hint configured, its calls recorded. */
function withHint() {
  const api = fakeApi();
  const script = scriptedRefresh(api);
  const authFetch = setup(api, { fetch: script.fetch, sessionHint: 'auth_hint' });
  return { authFetch, script };
}

describe('session hint cookie', () => {
  it.each([
    ['no cookie at all', ''],
    ['the hint cookie empty', 'auth_hint='],
    ['only a cookie whose name starts alike', 'auth_hint2=1'],
  ])('%s: ready settles anonymous with no request', async (_, cookie) => {
    if (cookie) document.cookie = cookie;
    const { authFetch, script } = withHint();
    expect(await authFetch.ready).toEqual({ status: 'anonymous' });
    expect(script.calls).toEqual([]);
  });

  it('a page that may not read its cookies (sandboxed) has no hint: start-up looks for a session as usual', async () => {
    const denied = vi.spyOn(document, 'cookie', 'get').mockImplementation(() => {
      throw new DOMException('Access is denied for this document.', 'SecurityError');
    });
    try {
      const { authFetch, script } = withHint();
      expect((await authFetch.ready).status).toBe('authenticated');
      expect(script.calls.length).toBe(1);
    } finally {
      denied.mockRestore();
    }
  });

  it('with the hint cookie set, the start-up refresh goes out', async () => {
    document.cookie = 'auth_hint=1';
    const { authFetch, script } = withHint();
    expect((await authFetch.ready).status).toBe('authenticated');
    expect(script.refreshCalls()).toBe(1);
  });

  it('a login after a hinted anonymous start works as usual', async () => {
    const { authFetch, script } = withHint();
    await authFetch.ready;
    authFetch.setTokens({ accessToken: 'opaque-token', expiresIn: 300 });
    expect(authFetch.getState().status).toBe('authenticated');
    expect(script.calls).toEqual([]);
  });

  it.each(['bad name', 'a;b', '', 42])('`sessionHint: %o` is a TypeError naming the option', (value) => {
    expect(() => createAuthFetch({ refresh: '/auth/refresh', sessionHint: value as string })).toThrow(
      new TypeError(`\`sessionHint\` must be a cookie name like "auth_hint", got ${JSON.stringify(value)}`),
    );
  });
});
