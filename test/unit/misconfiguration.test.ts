/**
 * A refusal that looks like set-up, not like the end of a session, is said once in a page's
 * console, naming the likely cause (README, Troubleshooting).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { jwtFor } from '../../harness/jwt.js';

const API = 'https://api.test';
const made: AuthFetch[] = [];
afterEach(() => {
  made.splice(0).forEach((f) => f.dispose());
  vi.restoreAllMocks();
});

function make(fetch: typeof globalThis.fetch) {
  const authFetch = createAuthFetch({ refresh: `${API}/auth/refresh`, trustedOrigins: [API], channel: false, fetch, refreshTimeoutMs: 64 });
  made.push(authFetch);
  return authFetch;
}
const warnings = () => vi.spyOn(console, 'warn').mockImplementation(() => {});

describe('misconfiguration report', () => {
  it('a 403 from the refresh endpoint names the Origin, once', async () => {
    const warn = warnings();
    const authFetch = make(async () => Response.json({ error: 'origin_not_allowed' }, { status: 403 }));
    const state = await authFetch.ready;
    expect(state).toEqual({ status: 'anonymous', refused: { status: 403, code: 'origin_not_allowed' } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/403 origin_not_allowed.*Origin, http:\/\/localhost:3000/);
    await authFetch.refresh().catch(() => {});
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a cross-origin refresh that gets no answer at all suggests CORS', async () => {
    const warn = warnings();
    const authFetch = make(async () => {
      throw new TypeError('Failed to fetch');
    });
    expect((await authFetch.ready).status).toBe('unknown');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/CORS/);
  });

  it('the first refresh after a login refused suggests the cookie was not stored', async () => {
    const warn = warnings();
    let refreshes = 0;
    const authFetch = make(async () => (refreshes++ === 0 ? new Response(null, { status: 401 }) : Response.json({ error: 'invalid_grant' }, { status: 401 })));
    await authFetch.ready; // no session at start-up: not a misconfiguration
    expect(warn).not.toHaveBeenCalled();
    authFetch.setTokens({ accessToken: jwtFor(Date.now(), 300) });
    await authFetch.refresh().catch(() => {});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/cookie was not stored or not sent.*credentials: 'include'/);
  });

  it('a plain refusal at start-up (no session) and a 5xx say nothing', async () => {
    const warn = warnings();
    const refused = make(async () => new Response(null, { status: 401 }));
    await refused.ready;
    const failing = make(async () => new Response(null, { status: 503 }));
    await failing.ready;
    expect(warn).not.toHaveBeenCalled();
  });
});
