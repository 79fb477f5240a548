/**
 * The proof-of-possession seam (the `dpop` option): every send the core makes with a token, and every
 * login, refresh and logout call, gets headers built for that very send; the hook sees each answer
 * and may ask for one resend (a server nonce) that is neither a refresh nor the replay after a 401.
 */
import { describe, expect, it } from 'vitest';
import type { ProofTarget, RequestProof } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { setup } from '../helpers/setup.js';
import { jwtFor } from '../../harness/jwt.js';

/** A hook that numbers its proofs and asks for a resend whenever the answer carries `x-nonce-please`. */
function recordingProof() {
  const made: Array<ProofTarget & { proof: string }> = [];
  const answered: Array<{ status: number; url: string }> = [];
  const bound: string[] = [];
  let resets = 0;
  const proof: RequestProof = {
    bind: (app) => void bound.push(app),
    headers(target) {
      const value = `proof-${made.length + 1}`;
      made.push({ ...target, proof: value });
      return Promise.resolve({ dpop: value });
    },
    answered(response, target) {
      answered.push({ status: response.status, url: target.url });
      return Promise.resolve(response.headers.has('x-nonce-please'));
    },
    reset() {
      resets++;
      return Promise.resolve();
    },
  };
  return { proof, made, answered, bound, resets: () => resets };
}

/** Wraps the fake API: answers `x-nonce-please` to the first `count` sends of `path`, and records each send's headers. */
function nonceBouncing(api: ReturnType<typeof fakeApi>, path: string, count: number, status = 401) {
  let left = count;
  const sends: Array<{ url: string; dpop: string | null; authorization: string | null; key: string | null; body: string }> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = await request.clone().text();
    sends.push({ url: request.url, dpop: request.headers.get('dpop'), authorization: request.headers.get('authorization'), key: request.headers.get('idempotency-key'), body });
    if (new URL(request.url).pathname === path && left > 0) {
      left--;
      return Response.json({ error: 'use_dpop_nonce' }, { status, headers: { 'x-nonce-please': '1' } });
    }
    return api.fetch(input, init);
  };
  return { fetch, sends };
}

describe('the proof seam', () => {
  it('a fresh proof for every send: refresh (no token), request (with the token)', async () => {
    const api = fakeApi();
    const rec = recordingProof();
    const authFetch = setup(api, { dpop: rec.proof });
    await authFetch.ready;
    await authFetch(`${api.origin}/api/me?x=1`);
    expect(rec.made.map((m) => [m.method, m.url, m.accessToken])).toEqual([
      ['POST', `${api.origin}/auth/refresh`, undefined],
      ['GET', `${api.origin}/api/me?x=1`, api.state.lastIssued],
    ]);
    expect(rec.bound).toHaveLength(1);
  });

  it('a nonce answer is resent once with a new proof, the same key and body; not a refresh, and the second is returned as is', async () => {
    const api = fakeApi();
    const rec = recordingProof();
    const bounce = nonceBouncing(api, '/api/posts', 2);
    const authFetch = setup(api, { dpop: rec.proof, fetch: bounce.fetch });
    await authFetch.ready;
    const refreshes = api.state.refreshCalls;
    const response = await authFetch(`${api.origin}/api/posts`, { method: 'POST', body: '{"title":"x"}', headers: { 'content-type': 'application/json' } });
    // Two bounces: the first is resent, the second (the resend's) is the answer.
    expect(response.status).toBe(401);
    const posts = bounce.sends.filter((s) => s.url.endsWith('/api/posts'));
    expect(posts).toHaveLength(2);
    expect(posts[0]!.key).toBeTruthy();
    expect(posts[1]!.key).toBe(posts[0]!.key);
    expect(posts.map((p) => p.body)).toEqual(['{"title":"x"}', '{"title":"x"}']);
    expect(posts[0]!.dpop).not.toBe(posts[1]!.dpop);
    expect(api.state.refreshCalls).toBe(refreshes);
  });

  it('one nonce answer: the resend is the answer (200), one key, no refresh, no replay event', async () => {
    const api = fakeApi();
    const bounce = nonceBouncing(api, '/api/posts', 1);
    const authFetch = setup(api, { dpop: recordingProof().proof, fetch: bounce.fetch });
    await authFetch.ready;
    const events: string[] = [];
    authFetch.on((event) => events.push(event.type));
    const response = await authFetch(`${api.origin}/api/posts`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(200);
    const posts = bounce.sends.filter((s) => s.url.endsWith('/api/posts'));
    expect(new Set(posts.map((p) => p.key)).size).toBe(1);
    expect(posts).toHaveLength(2);
    expect(events).toEqual([]);
  });

  it('a DPoP token goes as `Authorization: DPoP`, and the state says which', async () => {
    const api = fakeApi();
    const rec = recordingProof();
    const bounce = nonceBouncing(api, '/none', 0);
    const authFetch = setup(api, { dpop: rec.proof, fetch: bounce.fetch });
    authFetch.setTokens({ accessToken: jwtFor(api.clock.now, 300), tokenType: 'DPoP' });
    expect(authFetch.getState()).toMatchObject({ status: 'authenticated', tokenType: 'DPoP' });
    await authFetch(`${api.origin}/api/me`);
    expect(bounce.sends.at(-1)!.authorization).toMatch(/^DPoP ey/);
  });

  it('login and refresh calls are resent once for a nonce (400 use_dpop_nonce)', async () => {
    const api = fakeApi();
    const rec = recordingProof();
    const bounce = nonceBouncing(api, '/auth/refresh', 1, 400);
    const authFetch = setup(api, { dpop: rec.proof, fetch: bounce.fetch });
    const state = await authFetch.ready;
    expect(state.status).toBe('authenticated');
    expect(bounce.sends.filter((s) => s.url.endsWith('/auth/refresh'))).toHaveLength(2);
  });

  it('logout() sends a proof with the token, then resets the key', async () => {
    const api = fakeApi();
    const rec = recordingProof();
    const authFetch = setup(api, { dpop: rec.proof });
    await authFetch.ready;
    const token = api.state.lastIssued;
    await authFetch.logout();
    expect(rec.made.at(-1)).toMatchObject({ method: 'POST', url: `${api.origin}/auth/logout`, accessToken: token });
    expect(rec.resets()).toBe(1);
  });

  it('refuses a `dpop` option that is no proof hook', () => {
    const api = fakeApi();
    // @ts-expect-error a proof hook needs headers() and answered()
    expect(() => setup(api, { dpop: {} })).toThrow(/`dpop`/);
  });
});
