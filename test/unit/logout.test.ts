/**
 * logout() ends the session here at once, then tells the server; a logout endpoint that never
 * answers is cut off at refreshTimeoutMs with a LogoutError (the refresh cookie may still be valid).
 */
import { describe, expect, it } from 'vitest';
import { isLogoutError, type LogoutError } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { hang } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';
import { sleep, timed } from '../helpers/wait.js';
import { urlOf } from '../helpers/url-of.js';

const TIMEOUT = 300;

describe('logout()', () => {
  it('an endpoint that never answers: anonymous at once, a LogoutError after refreshTimeoutMs', async () => {
    const api = fakeApi();
    const authFetch = setup(api, {
      refreshTimeoutMs: TIMEOUT,
      fetch: async (input, init) => (urlOf(input).endsWith('/auth/logout') ? hang(init?.signal ?? undefined) : api.fetch(input, init)),
    });
    expect((await authFetch.ready).status).toBe('authenticated');
    const loggingOut = authFetch.logout();
    expect(authFetch.getState().status).toBe('anonymous');
    const { ms, value } = await timed(Promise.race([loggingOut, sleep(TIMEOUT + 2_000).then(() => 'still waiting')]));
    expect(isLogoutError(value)).toBe(true);
    expect((value as LogoutError).message).toBe(`Logout could not reach ${api.origin}/auth/logout`);
    expect((value as LogoutError).cause).toMatchObject({ name: 'TimeoutError' });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 20);
    expect(ms).toBeLessThan(TIMEOUT + 300);
  });

  it('an endpoint that answers 500: a LogoutError with the status, the session ended anyway', async () => {
    const api = fakeApi();
    const authFetch = setup(api, {
      fetch: async (input, init) => (urlOf(input).endsWith('/auth/logout') ? new Response(null, { status: 500 }) : api.fetch(input, init)),
    });
    await authFetch.ready;
    const error = (await authFetch.logout().catch((e: unknown) => e)) as LogoutError;
    expect([isLogoutError(error), error.status]).toEqual([true, 500]);
    expect(authFetch.getState().status).toBe('anonymous');
  });
});
