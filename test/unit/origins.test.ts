import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../src/options.js';
import { createOrigins } from '../../src/origins.js';

const origins = (options: Record<string, unknown>) =>
  createOrigins(normalizeOptions({ channel: false, ...options } as unknown as Parameters<typeof normalizeOptions>[0]));

describe('which requests get the token', () => {
  const api = origins({ refresh: 'https://api.test/auth/refresh', logout: 'https://api.test/auth/logout', trustedOrigins: ['https://api.test'] });

  it.each([
    'https://api.test/posts',
    'https://API.test/posts', // hosts are case-insensitive
    'https://api.test:443/posts', // the default port is the same origin
    'https://api.test/auth/refresh/../../posts', // resolves to /posts
    'https://api.test/auth/refresh-history', // only the exact refresh path is ours
  ])('%s: trusted', (url) => {
    expect(api.authenticated(url)?.origin).toBe('https://api.test');
  });

  it.each([
    'https://api.test.evil.test/posts',
    'https://api.test@evil.test/posts', // userinfo: the host is evil.test
    'http://api.test/posts', // another scheme is another origin
    'https://api.test:8443/posts',
    'https://evil.test/?next=https://api.test/',
    '//evil.test/posts', // protocol-relative, resolved against the page
    'not a url',
  ])('%s: not trusted', (url) => {
    expect(api.authenticated(url)).toBeUndefined();
  });

  it('leaves our own refresh and logout calls alone, whatever their query string', () => {
    expect(api.authenticated('https://api.test/auth/refresh')).toBeUndefined();
    expect(api.authenticated('https://api.test/auth/refresh?x=1')).toBeUndefined();
    expect(api.authenticated('https://api.test/auth/logout#now')).toBeUndefined();
  });

  it('trusts the refresh URL\'s origin and the page\'s by default', () => {
    const byDefault = origins({ refresh: 'https://auth.test/refresh' });
    expect(byDefault.authenticated('https://auth.test/me')).toBeDefined();
    expect(byDefault.authenticated(new URL('/api/me', location.href).href)?.origin).toBe(location.origin);
    expect(byDefault.authenticated('https://api.test/me')).toBeUndefined();
  });
});
