/**
 * A refresh answer holds the access token: when it cannot be used, the RefreshError says why without
 * it, in its message, its cause, its inspection or the refresh:error event (error reports end up in logs).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isRefreshError, type AuthEvent, type RefreshError } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { scriptedRefresh, type Answer } from '../helpers/refresh-answers.js';
import { setup } from '../helpers/setup.js';

const SECRET = 's3cr3t';

describe('an unreadable refresh answer', () => {
  it.each<[string, Answer]>([
    ['the token as plain text', () => new Response(SECRET)],
    ['JSON with the token unquoted', () => new Response(`{"accessToken": ${SECRET}}`)],
    ['a token with a space', () => Response.json({ accessToken: `${SECRET} x`, expiresIn: 300 })],
    ['a bad expiresIn', () => Response.json({ accessToken: SECRET, expiresIn: 'never' })],
    ['the token under another name', () => Response.json({ access_token: SECRET })],
  ])('(%s): the RefreshError and its event hold no token', async (_, answer) => {
    const api = fakeApi();
    const script = scriptedRefresh(api);
    const authFetch = setup(api, { fetch: script.fetch });
    await authFetch.ready;
    const events: AuthEvent[] = [];
    authFetch.on((e) => events.push(e));
    script.answer(answer);
    const error = (await authFetch.refresh().catch((e: unknown) => e)) as RefreshError;
    expect(isRefreshError(error)).toBe(true);
    expect(error.cause).toBeUndefined();
    const failed = events.find((e) => e.type === 'refresh:error');
    expect(failed).toBeDefined();
    for (const text of [String(error), error.message, JSON.stringify(failed), inspect(error, { depth: 5 }), inspect(failed, { depth: 5 })]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
