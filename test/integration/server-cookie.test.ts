import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clearedRefreshCookie, readRefreshCookie, refreshCookie } from '../../playground/auth/refresh-cookie';

/**
 * The cookie attributes over HTTPS, checked on the functions directly: the test server speaks
 * plain HTTP, and only a TLS socket counts as HTTPS (X-Forwarded-Proto is not trusted).
 */

const TOKEN = 'A'.repeat(43);
const request = (encrypted: boolean, headers: Record<string, string> = {}): IncomingMessage =>
  ({ socket: encrypted ? { encrypted: true } : {}, headers }) as unknown as IncomingMessage;

describe('refresh cookie', () => {
  it('over HTTPS: Secure and the __Secure- prefix, keeping Path=/auth', () => {
    const now = Date.now();
    expect(refreshCookie(request(true), TOKEN, now + 60_000, now)).toBe(
      `__Secure-refresh_token=${TOKEN}; Path=/auth; Max-Age=60; HttpOnly; SameSite=Strict; Secure`,
    );
    expect(clearedRefreshCookie(request(true))).toMatch(/^__Secure-refresh_token=; Path=\/auth; Max-Age=0; .*Secure$/);
  });

  it('over plain HTTP: no Secure, no prefix, and a forwarded-proto header changes nothing', () => {
    const now = Date.now();
    const cookie = refreshCookie(request(false, { 'x-forwarded-proto': 'https' }), TOKEN, now + 1000, now);
    expect(cookie).toBe(`refresh_token=${TOKEN}; Path=/auth; Max-Age=1; HttpOnly; SameSite=Strict`);
  });

  it('reads only the cookie name that matches the scheme, and only well-formed tokens', () => {
    expect(readRefreshCookie(request(true, { cookie: `__Secure-refresh_token=${TOKEN}` }))).toBe(TOKEN);
    // Over HTTPS a plain-named cookie (which a plain-HTTP page could have planted) is ignored.
    expect(readRefreshCookie(request(true, { cookie: `refresh_token=${TOKEN}` }))).toBeUndefined();
    expect(readRefreshCookie(request(false, { cookie: `a=b; refresh_token=${TOKEN}` }))).toBe(TOKEN);
    expect(readRefreshCookie(request(false, { cookie: 'refresh_token=../../etc' }))).toBeUndefined();
    expect(readRefreshCookie(request(false, { cookie: `refresh_token=${TOKEN}x` }))).toBeUndefined();
  });
});
