/**
 * `authFetch.login(url, init)`: POSTs with the configured `credentials`, starts the session with the
 * answer's token and resolves to the parsed body; every failure is a `LoginError` that says why
 * without quoting the answer (it may hold a token).
 */
import { describe, expect, it } from 'vitest';
import { isLoginError, LoginError, type AuthFetchOptions } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { jwtFor } from '../../harness/jwt.js';
import { setup } from '../helpers/setup.js';
import { urlOf } from '../helpers/url-of.js';

const SECRET = 's3cr3t-token';

/** An instance (no session at start) whose `/auth/login` answers with `answer`; its login calls are recorded. */
async function withLogin(answer: () => Response | Promise<Response>, extra: Partial<AuthFetchOptions> = {}) {
  const api = fakeApi({ refresh: 'reject' });
  const logins: RequestInit[] = [];
  const authFetch = setup(api, {
    fetch: (input, init) => {
      if (!urlOf(input).endsWith('/auth/login')) return api.fetch(input, init);
      logins.push(init ?? {});
      return Promise.resolve(answer());
    },
    ...extra,
  });
  await authFetch.ready;
  const login = () => authFetch.login(`${api.origin}/auth/login`, { body: JSON.stringify({ user: 'alice', password: 'pw' }) });
  return { api, authFetch, logins, login };
}

describe('login()', () => {
  it('resolves to the parsed body; the session starts with the token’s claims, and requests carry it', async () => {
    const accessToken = jwtFor(Date.now(), 300, { sub: 'alice' });
    const { api, authFetch, login } = await withLogin(() => Response.json({ accessToken, user: { name: 'Alice' } }));
    expect(await login()).toEqual({ accessToken, user: { name: 'Alice' } });
    expect(authFetch.getState()).toMatchObject({ status: 'authenticated', accessToken, claims: { sub: 'alice' } });
    expect((await authFetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.state.requests.at(-1)?.authorization).toBe(`Bearer ${accessToken}`);
  });

  it.each<[RequestCredentials | undefined, RequestCredentials]>([
    [undefined, 'include'],
    ['same-origin', 'same-origin'],
  ])('the POST carries the configured credentials (%s → %s) and a JSON content type', async (credentials, expected) => {
    const { logins, login } = await withLogin(() => Response.json({ accessToken: 'opaque', expiresIn: 300 }), credentials ? { credentials } : {});
    await login();
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ method: 'POST', credentials: expected });
    expect(new Headers(logins[0]!.headers).get('content-type')).toBe('application/json');
  });

  it('refused: a LoginError with the status and the server’s code', async () => {
    const { authFetch, login } = await withLogin(() => Response.json({ error: 'invalid_credentials' }, { status: 401 }));
    const error = (await login().catch((e: unknown) => e)) as LoginError;
    expect(error).toBeInstanceOf(LoginError);
    expect(isLoginError(error)).toBe(true);
    expect([error.status, error.code]).toEqual([401, 'invalid_credentials']);
    expect(error.message).toMatch(/^Login refused: 401 \(invalid_credentials\)/);
    expect(authFetch.getState().status).toBe('anonymous');
  });

  it('unreachable: a LoginError whose cause is the network error', async () => {
    const network = new TypeError('fetch failed');
    const { login } = await withLogin(() => Promise.reject(network));
    const error = (await login().catch((e: unknown) => e)) as LoginError;
    expect(isLoginError(error)).toBe(true);
    expect(error.cause).toBe(network);
    expect(error.status).toBeUndefined();
  });

  it.each([
    ['no accessToken', { access_token: SECRET }],
    ['a token that is no bearer token', { accessToken: `${SECRET} x` }],
    ['a bad expiresIn', { accessToken: SECRET, expiresIn: -1 }],
    ['not JSON', SECRET],
  ])('an answer with %s: a LoginError that never quotes the answer', async (_, body) => {
    const { authFetch, login } = await withLogin(() => (typeof body === 'string' ? new Response(body) : Response.json(body)));
    const error = (await login().catch((e: unknown) => e)) as LoginError;
    expect(isLoginError(error)).toBe(true);
    expect(error.status).toBe(200);
    expect(`${error.message} ${String(error.cause)}`).not.toContain(SECRET);
    expect(authFetch.getState().status).toBe('anonymous');
  });
});
