/**
 * The production build's behaviour (`__DEV__` false: what the `production` export condition ships):
 * no developer-only text, but the same errors, classes and guards as the development build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isLoginError,
  isLogoutError,
  isRefreshError,
  isSessionEndedError,
  LoginError,
  RefreshError,
  SessionEndedError,
  type AuthFetchOptions,
} from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { setup } from '../helpers/setup.js';
import { json, manualFetch } from '../helpers/manual-fetch.js';

describe('production build', () => {
  it('a bad option is still a TypeError that names it, without the explanation', () => {
    const api = fakeApi();
    expect(() => setup(api, { leewayMs: -5 })).toThrow(new TypeError('invalid option `leewayMs`'));
    expect(() => setup(api, { idempotency: { header: 'bad header' } })).toThrow(new TypeError('invalid option `idempotency.header`'));
    expect(() => setup(api, { leeway: 1 } as Partial<AuthFetchOptions>)).toThrow(new TypeError('unknown option `leeway`'));
  });

  it('a failed refresh is a RefreshError with its status', async () => {
    const api = fakeApi({ refresh: 'fail', ttl: 300 });
    const authFetch = setup(api, { refreshTimeoutMs: 64 });
    expect((await authFetch.ready).status).toBe('unknown');
    const error = await authFetch.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(isRefreshError(error) && error.status).toBe(503);
  });

  it('a refused refresh token: anonymous with the refusal; a refused login is a LoginError with status and code', async () => {
    const api = fakeApi({ refresh: 'reject' });
    const authFetch = setup(api);
    expect(await authFetch.ready).toEqual({ status: 'anonymous', refused: { status: 401, code: 'invalid_refresh_token' } });
    const script = manualFetch();
    const other = setup(api, { fetch: script.fetch });
    const login = other.login(`${api.origin}/auth/login`, { body: '{}' }).catch((e: unknown) => e);
    (await script.next('/auth/refresh')).answer(new Response(null, { status: 401 }));
    (await script.next('/auth/login')).answer(json({ error: 'invalid_credentials' }, 401));
    const error = await login;
    expect(error).toBeInstanceOf(LoginError);
    expect(isLoginError(error) && [error.status, error.code]).toEqual([401, 'invalid_credentials']);
  });

  it('logout ends pending requests with SessionEndedError, and a server that cannot be told is a LogoutError', async () => {
    const api = fakeApi();
    // /api/slow answers only when its request is aborted (as fetch does); the logout endpoint fails.
    const fetch: typeof globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith('/auth/logout')) return Promise.resolve(new Response(null, { status: 500 }));
      if (!url.endsWith('/api/slow')) return api.fetch(input, init);
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    };
    const authFetch = setup(api, { fetch });
    await authFetch.ready;
    const pending = authFetch(`${api.origin}/api/slow`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    const failed = await authFetch.logout().catch((e: unknown) => e);
    const ended = await pending;
    expect(ended).toBeInstanceOf(SessionEndedError);
    expect(isSessionEndedError(ended) && ended.reason).toBe('logout');
    expect(isLogoutError(failed) && failed.status).toBe(500);
  });

  it('the built production entry carries none of the development build’s explanations', () => {
    const entry = 'dist/index.production.js';
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
    const code = readFileSync(entry, 'utf8');
    for (const text of ['must be', 'See README', 'Refresh failed:', 'takes a function', 'Troubleshooting', 'console.warn']) {
      expect(code, text).not.toContain(text);
    }
    expect(readFileSync('dist/index.js', 'utf8')).toContain('must be');
  });
});
