/**
 * What is checked is what is sent: `authFetch(url)` reads its input once, as `fetch` does. A `URL`
 * (or a Request-like object) changed after the call, while the request waits for start-up or a
 * refresh, must not carry the token anywhere else.
 */
import { describe, expect, it } from 'vitest';
import { fakeApi } from '../helpers/fake-api.js';
import { setup } from '../helpers/setup.js';

/** A fake API whose refresh answers after `ms`, recording where every request went and with which Authorization. */
function slowStart(ms: number) {
  const api = fakeApi({ refreshDelayMs: ms });
  const sent: Array<{ url: string; authorization: string | null }> = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, authorization: request.headers.get('authorization') });
    return api.fetch(input, init);
  };
  return { api, sent, fetch };
}

describe('the request input is read once', () => {
  it('a URL object changed after the call: the request goes where it was checked, and no other origin sees the token', async () => {
    const { api, sent, fetch } = slowStart(30);
    const authFetch = setup(api, { fetch });
    const url = new URL(`${api.origin}/api/me`);
    const pending = authFetch(url);
    url.href = 'https://evil.test/steal'; // a loop reusing one URL object, say
    expect((await pending).status).toBe(200);
    const me = sent.filter((s) => !s.url.endsWith('/auth/refresh'));
    expect(me).toEqual([{ url: `${api.origin}/api/me`, authorization: expect.stringMatching(/^Bearer /) }]);
    expect(sent.some((s) => s.url.startsWith('https://evil.test'))).toBe(false);
  });

  it('a Request-like object whose URL reads differently at send time is not sent anywhere: a TypeError', async () => {
    const { api, sent, fetch } = slowStart(30);
    const authFetch = setup(api, { fetch });
    let url = `${api.origin}/api/me`;
    const real = new Request(url);
    const shifty = { get url() { return url; }, method: 'GET', headers: real.headers, clone: () => real.clone(), signal: real.signal };
    const pending = authFetch(shifty as unknown as Request).catch((e: unknown) => e);
    url = 'https://evil.test/steal';
    expect(await pending).toBeInstanceOf(TypeError);
    expect(sent.filter((s) => !s.url.endsWith('/auth/refresh'))).toEqual([]);
  });
});
