/**
 * Token freshness is judged on the server's clock: a trusted API answer's `Date` header tells how far
 * this device's clock is off, and a token that looked fresh by the local clock is then refreshed
 * before use. A `Date` that agrees with the local clock changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { createAuthFetch } from '../../src/index.js';
import { makeJwt } from '../../harness/jwt.js';

const API = 'https://api.test';
const HOUR = 3_600_000;
/** Server seconds from now, by the real clock (the server's in these tests). */
const serverIn = (s: number) => Math.floor(Date.now() / 1000) + s;

/** An instance whose clock is `offsetMs` off the server's, over an API that stamps every answer with the server's `Date`. */
function deviceWithClockOff(offsetMs: number) {
  const sent: Array<{ url: string; authorization: string | null }> = [];
  const refreshes: Response[] = [new Response(null, { status: 401 })]; // start-up: no session yet
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    sent.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    const date = { date: new Date().toUTCString() };
    if (url.endsWith('/auth/refresh')) return refreshes.shift() ?? Response.json({ accessToken: makeJwt({ exp: serverIn(600) }) }, { headers: date });
    return new Response('ok', { headers: date });
  };
  const authFetch = createAuthFetch({ refresh: `${API}/auth/refresh`, trustedOrigins: [API], channel: false, fetch, leewayMs: 60_000, now: () => Date.now() + offsetMs });
  const refreshCount = () => sent.filter((s) => s.url.endsWith('/auth/refresh')).length;
  return { authFetch, sent, refreshCount };
}

describe('clock skew learnt from Date headers', () => {
  it('a device 1 h behind: the token looks fresh until an API answer’s Date shows it is inside the leeway', async () => {
    const { authFetch, sent, refreshCount } = deviceWithClockOff(-HOUR);
    await authFetch.ready;
    // No `iat`: nothing in the token itself tells the server's time.
    const token = makeJwt({ sub: 'alice', exp: serverIn(30) });
    authFetch.setTokens({ accessToken: token });
    // Before any server time, the state shows the expiry as if the clocks agreed.
    expect(authFetch.getState()).toMatchObject({ expiresAt: serverIn(30) * 1000 });
    await authFetch(`${API}/one`);
    expect(refreshCount()).toBe(1); // start-up's only
    expect(sent.at(-1)!.authorization).toBe(`Bearer ${token}`);
    // Once the skew is known, the state's expiresAt (the device's clock) moves with it, same token.
    const shown = authFetch.getState() as { accessToken: string; expiresAt: number };
    expect(shown.accessToken).toBe(token);
    expect(Math.abs(shown.expiresAt - (serverIn(30) * 1000 - HOUR))).toBeLessThanOrEqual(2_000);
    await authFetch(`${API}/two`);
    expect(refreshCount()).toBe(2);
    expect(sent.at(-1)!.authorization).not.toBe(`Bearer ${token}`);
    // The app is shown the new token's expiry on the device's clock: an hour earlier, to the second.
    const { expiresAt } = authFetch.getState() as { expiresAt: number };
    expect(Math.abs(expiresAt - (serverIn(600) * 1000 - HOUR))).toBeLessThanOrEqual(2_000);
    authFetch.dispose();
  });

  it('a Date that agrees with the local clock changes nothing: no refresh', async () => {
    const { authFetch, refreshCount } = deviceWithClockOff(0);
    await authFetch.ready;
    const exp = serverIn(120);
    authFetch.setTokens({ accessToken: makeJwt({ sub: 'alice', exp }) });
    for (const path of ['/one', '/two', '/three']) await authFetch(`${API}${path}`);
    expect(refreshCount()).toBe(1);
    // Not "corrected" by the Date's one-second rounding either: the expiry shown is the token's own.
    expect(authFetch.getState()).toMatchObject({ expiresAt: exp * 1000 });
    authFetch.dispose();
  });

  it('a Date learnt while anonymous moves the clock and the request still answers', async () => {
    const { authFetch, sent } = deviceWithClockOff(-HOUR);
    expect((await authFetch.ready).status).toBe('anonymous');
    // No token to show the new expiry of: the state stays as it is.
    const response = await authFetch(`${API}/public`);
    expect(await response.text()).toBe('ok');
    expect(sent.at(-1)!.authorization).toBeNull();
    expect(authFetch.getState()).toEqual({ status: 'anonymous', refused: { status: 401, code: undefined } });
    authFetch.dispose();
  });

  it('an untrusted origin’s Date teaches nothing', async () => {
    const { authFetch, refreshCount } = deviceWithClockOff(-HOUR);
    await authFetch.ready;
    authFetch.setTokens({ accessToken: makeJwt({ sub: 'alice', exp: serverIn(30) }) });
    await authFetch('https://elsewhere.test/one');
    await authFetch(`${API}/two`);
    expect(refreshCount()).toBe(1);
    authFetch.dispose();
  });
});
