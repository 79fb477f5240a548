/**
 * Relative URLs are resolved as fetch resolves them: against the document's base URL, which a
 * `<base href>` (legitimate or injected as plain HTML) changes. A relative request that a `<base>`
 * sends to another origin must not carry the token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../../src/index.js';
import { jwtFor } from '../../harness/jwt.js';
import { urlOf } from '../helpers/url-of.js';

afterEach(() => {
  document.head.innerHTML = '';
});

/** An instance of the page's origin (the default trusted origins) whose fetch records what it is asked. */
async function pageInstance() {
  const asked: Array<{ input: string; authorization: string | null }> = [];
  const authFetch = createAuthFetch({
    refresh: `${location.origin}/auth/refresh`,
    channel: false,
    fetch: async (input, init) => {
      asked.push({ input: urlOf(input), authorization: new Headers(init?.headers).get('authorization') });
      return urlOf(input).endsWith('/auth/refresh') ? Response.json({ accessToken: jwtFor(Date.now(), 300) }) : new Response('ok');
    },
  });
  expect((await authFetch.ready).status).toBe('authenticated');
  return { authFetch, asked };
}

describe('<base href>', () => {
  it('a relative request the base sends to another origin goes out without Authorization', async () => {
    const { authFetch, asked } = await pageInstance();
    document.head.innerHTML = '<base href="https://other.example/">';
    expect(document.baseURI).toBe('https://other.example/');
    await authFetch('api/me');
    expect(asked.at(-1)).toEqual({ input: 'api/me', authorization: null });
    authFetch.dispose();
  });

  it('without a base, the same relative request is the page’s own and carries the token', async () => {
    const { authFetch, asked } = await pageInstance();
    await authFetch('api/me');
    expect(asked.at(-1)?.authorization).toMatch(/^Bearer /);
    authFetch.dispose();
  });
});
