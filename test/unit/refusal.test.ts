/**
 * Why a session ended or could not be found: the server's status and error code of a refused
 * refresh reach the app (session:end, the anonymous state), and a failed refresh's RefreshError
 * carries the code from `WWW-Authenticate` (RFC 6750 §3) or the JSON body.
 */
import { describe, expect, it } from 'vitest';
import { isRefreshError, type AuthEvent, type RefreshError } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { expiredSession, scriptedRefresh, status } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';

const BEARER = (code: string) => ({ 'www-authenticate': `Bearer error="${code}"` });

describe('refusal details', () => {
  it('a refused refresh ends the session with session:end { refused: status and code }', async () => {
    const { script, authFetch, me } = await expiredSession();
    const ends: AuthEvent[] = [];
    authFetch.on((e) => {
      if (e.type === 'session:end') ends.push(e);
    });
    script.answer(status(401, { error: 'invalid_grant' }));
    await me().catch(() => undefined); // a SessionEndedError: it waited for the refresh that ended the session
    expect(ends).toEqual([{ type: 'session:end', reason: 'rejected', refused: { status: 401, code: 'invalid_grant' } }]);
    expect(authFetch.getState()).toEqual({ status: 'anonymous', refused: { status: 401, code: 'invalid_grant' } });
  });

  it.each([
    ['the JSON body', status(400, { error: 'invalid_grant' }), { status: 400, code: 'invalid_grant' }],
    ['WWW-Authenticate, before the body', status(401, { error: 'other' }, BEARER('invalid_token')), { status: 401, code: 'invalid_token' }],
    ['no code at all', () => new Response(null, { status: 403 }), { status: 403, code: undefined }],
  ])('at start-up, `ready` settles anonymous with the refusal (code from %s)', async (_, answer, refused) => {
    const api = fakeApi();
    const script = scriptedRefresh(api);
    script.answer(answer);
    const authFetch = setup(api, { fetch: script.fetch });
    expect(await authFetch.ready).toEqual({ status: 'anonymous', refused });
  });

  it('a 503 with WWW-Authenticate: Bearer error="temporarily_unavailable" is a RefreshError with that code', async () => {
    const { api, script, authFetch } = await expiredSession();
    script.answer(...Array.from({ length: 4 }, () => status(503, {}, BEARER('temporarily_unavailable'))));
    const error = (await authFetch.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect([error.status, error.code]).toEqual([503, 'temporarily_unavailable']);
    expect(api.state.refreshCalls).toBe(1); // the start-up's: the 503s never reached the fake API
  });
});
