/**
 * `sessionHint`: a readable cookie the server sets beside the refresh cookie. Without it at start-up
 * there is no session to find, so `ready` settles anonymous without a request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { scriptedRefresh, status, type Answer } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';

const clear = (name: string) => {
  document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
};
afterEach(() => {
  for (const name of ['auth_hint', 'auth_hint2']) clear(name);
  sessionStorage.clear();
});

/** A page's instance with the hint configured, its calls recorded; its first refresh calls get `answers`. */
function withHint(...answers: Answer[]) {
  const api = fakeApi();
  const script = scriptedRefresh(api);
  script.answer(...answers);
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

/**
 * A service on another port of the host can delete the hint cookie (cookies ignore ports). A tab
 * that held a session remembers it in sessionStorage (which that service cannot touch, and which
 * survives a reload) and tries one refresh before settling anonymous.
 */
describe('session hint deleted by another port of the host', () => {
  /** This tab signed in (a hinted start-up), then lost its hint cookie; the page reloads. */
  async function signedInThenHintDeleted() {
    document.cookie = 'auth_hint=1';
    const first = withHint();
    expect((await first.authFetch.ready).status).toBe('authenticated');
    clear('auth_hint');
    return first;
  }

  it('a tab that held a session tries one refresh after a reload, and is signed in', async () => {
    const first = await signedInThenHintDeleted();
    first.authFetch.dispose(); // the reload
    const reloaded = withHint();
    expect((await reloaded.authFetch.ready).status).toBe('authenticated');
    expect(reloaded.script.refreshCalls()).toBe(1);
  });

  it('a session started here (setTokens, as after a login) counts too, not only a start-up refresh', async () => {
    const first = withHint();
    expect(await first.authFetch.ready).toEqual({ status: 'anonymous' });
    first.authFetch.setTokens({ accessToken: 'opaque-token', expiresIn: 300 });
    first.authFetch.dispose();
    const reloaded = withHint();
    expect((await reloaded.authFetch.ready).status).toBe('authenticated');
    expect(reloaded.script.refreshCalls()).toBe(1);
  });

  it('after a logout, nothing is tried: anonymous with no request', async () => {
    const first = await signedInThenHintDeleted();
    await first.authFetch.logout();
    first.authFetch.dispose();
    const reloaded = withHint();
    expect(await reloaded.authFetch.ready).toEqual({ status: 'anonymous' });
    expect(reloaded.script.calls).toEqual([]);
  });

  it('a refused refresh forgets the mark: the reload after it sends nothing', async () => {
    const first = await signedInThenHintDeleted();
    first.authFetch.dispose();
    const refused = withHint(status(401, { error: 'invalid_refresh_token' }));
    expect((await refused.authFetch.ready).status).toBe('anonymous');
    expect(refused.script.refreshCalls()).toBe(1);
    refused.authFetch.dispose();
    const again = withHint();
    expect(await again.authFetch.ready).toEqual({ status: 'anonymous' });
    expect(again.script.calls).toEqual([]);
  });

  it('without the sessionHint option, nothing is written to sessionStorage', async () => {
    const api = fakeApi();
    const authFetch = setup(api);
    expect((await authFetch.ready).status).toBe('authenticated');
    expect(sessionStorage.length).toBe(0);
  });

  it('storage that throws (a sandboxed page) keeps no mark: anonymous with no request, as before', async () => {
    // As in a sandboxed frame: reading `sessionStorage` itself throws.
    const denied = vi.spyOn(globalThis, 'sessionStorage', 'get').mockImplementation(() => {
      throw new DOMException('Access is denied', 'SecurityError');
    });
    try {
      await signedInThenHintDeleted();
      const reloaded = withHint();
      expect(await reloaded.authFetch.ready).toEqual({ status: 'anonymous' });
      expect(reloaded.script.calls).toEqual([]);
    } finally {
      denied.mockRestore();
    }
  });
});
