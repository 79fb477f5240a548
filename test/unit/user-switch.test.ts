/**
 * A login as another user (JWT `sub`) starts a new era without aborting the requests under way:
 * nothing of the old user's era may act in the new one. Each test pins one era check.
 */
import { describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { makeJwt } from '../../harness/jwt.js';
import { json, manualFetch } from '../helpers/manual-fetch.js';
import { sleep } from '../helpers/wait.js';

const API = 'https://api.test';
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;
const tokenOf = (sub: string, expiresInS = 600) => makeJwt({ sub, exp: inSeconds(expiresInS) });

/** An instance whose start-up refresh answered with alice's token. */
async function aliceSignedIn(): Promise<{ api: ReturnType<typeof manualFetch>; authFetch: AuthFetch; alice: string }> {
  const api = manualFetch();
  const authFetch = createAuthFetch({ refresh: `${API}/auth/refresh`, trustedOrigins: [API], channel: false, fetch: api.fetch });
  const alice = tokenOf('alice');
  (await api.next('/auth/refresh')).answer(json({ accessToken: alice }));
  expect((await authFetch.ready).status).toBe('authenticated');
  return { api, authFetch, alice };
}

describe('a switch to another user while requests are under way', () => {
  it('a 401 whose refresh answers after the switch is returned as is, never replayed with the new user’s token', async () => {
    const { api, authFetch, alice } = await aliceSignedIn();
    const request = authFetch(`${API}/me`);
    const sent = await api.next('/me');
    expect(sent.authorization).toBe(`Bearer ${alice}`);
    sent.answer(new Response(null, { status: 401 }));
    const refresh = await api.next('/auth/refresh');
    authFetch.setTokens({ accessToken: tokenOf('bob') });
    refresh.answer(json({ accessToken: tokenOf('alice', 900) }));
    await sleep(20);
    expect(api.unanswered(), 'a replay').toEqual([]);
    expect((await request).status).toBe(401);
    authFetch.dispose();
  });

  it('a 401 that arrives after the switch starts no refresh (its token belongs to the old era)', async () => {
    const { api, authFetch } = await aliceSignedIn();
    const events: string[] = [];
    authFetch.on((e) => events.push(e.type));
    const request = authFetch(`${API}/me`);
    const sent = await api.next('/me');
    // Bob's token expires before alice's: it is no "newer token" that could answer alice's 401.
    authFetch.setTokens({ accessToken: tokenOf('bob', 300) });
    sent.answer(new Response(null, { status: 401 }));
    await sleep(20);
    expect(api.unanswered(), 'a refresh').toEqual([]);
    expect(events).not.toContain('refresh:start');
    expect((await request).status).toBe(401);
    authFetch.dispose();
  });

  it('a refresh running at the switch is not joined by the new user’s requests: they get their own', async () => {
    const { api, authFetch } = await aliceSignedIn();
    const old = authFetch.refresh().catch((e: unknown) => e);
    const aliceRefresh = await api.next('/auth/refresh');
    // Bob's token is inside the leeway (60 s): his first request refreshes first.
    authFetch.setTokens({ accessToken: tokenOf('bob', 30) });
    const request = authFetch(`${API}/me`);
    const bobRefresh = await api.next('/auth/refresh');
    aliceRefresh.answer(json({ accessToken: tokenOf('alice', 900) }));
    await old;
    const bob = tokenOf('bob', 600);
    bobRefresh.answer(json({ accessToken: bob }));
    const sent = await api.next('/me');
    expect(sent.authorization).toBe(`Bearer ${bob}`);
    sent.answer(new Response('me'));
    expect((await request).status).toBe(200);
    authFetch.dispose();
  });
});
