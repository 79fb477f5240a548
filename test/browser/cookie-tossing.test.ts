import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../harness/browser';
import { freePort } from '../../harness/redis';
import { start } from '../../playground/server';

/**
 * Cookie tossing (issue 18, item 1), in Chromium with real sibling host names: every
 * `*.example.test` resolves to loopback, the app is served at app.example.test, and a page at
 * evil.example.test plants its own `refresh_token; Domain=example.test; Path=/auth/refresh`, which
 * the browser sends first, beside the victim's. The server must not sign the victim in as the
 * attacker (nor rotate either token); it refuses and clears the planted cookie.
 */

const BOB = { username: 'bob', password: 'builder' };
const ALICE = { username: 'alice', password: 'wonderland' };

let browser: Browser;
let app: Awaited<ReturnType<typeof start>>;
let appOrigin: string;
let evil: HttpServer;
let evilOrigin: string;
let attackerToken = '';

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
  });
  const port = await freePort();
  appOrigin = `http://app.example.test:${port}`;
  app = await start({ host: '127.0.0.1', port, allowedOrigins: [appOrigin] });

  // The attacker logs in as himself, keeps his refresh token, and serves a page that plants it.
  const login = await fetch(`${app.url}/auth/login`, { method: 'POST', body: JSON.stringify(BOB) });
  attackerToken = /refresh_token=([^;]+)/.exec(login.headers.getSetCookie()[0] ?? '')?.[1] ?? '';
  evil = createServer((_req, res) => {
    res.setHeader('set-cookie', `refresh_token=${attackerToken}; Domain=example.test; Path=/auth/refresh; SameSite=Lax`);
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>evil</title>');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilOrigin = `http://evil.example.test:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  evil?.closeAllConnections();
  await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
});

/** A request from the app's page, with its cookies, as the library would send it. */
function fromApp(page: Page, path: string, init: { method?: string; body?: string; token?: string } = {}) {
  return page.evaluate(
    async ({ path, init }) => {
      const headers: Record<string, string> = init.token ? { authorization: `Bearer ${init.token}` } : {};
      const res = await fetch(path, { method: init.method ?? 'GET', body: init.body ?? null, headers, credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as { accessToken?: string; error?: string; name?: string } };
    },
    { path, init },
  );
}

const refreshCookies = async (context: BrowserContext) =>
  (await context.cookies()).filter((cookie) => cookie.name === 'refresh_token').map((c) => `${c.domain}${c.path}`).sort();

describe('cookie tossing from a sibling subdomain (Chromium)', () => {
  it('a planted refresh cookie does not sign the victim in as the attacker: refused, nothing rotated, cleared', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${appOrigin}/nothing-here`);
      expect((await fromApp(page, '/auth/login', { method: 'POST', body: JSON.stringify(ALICE) })).status).toBe(200);

      await page.goto(`${evilOrigin}/`);
      expect(await refreshCookies(context)).toEqual(['.example.test/auth/refresh', 'app.example.test/auth']);

      await page.goto(`${appOrigin}/nothing-here`);
      const refresh = await fromApp(page, '/auth/refresh', { method: 'POST' });
      if (refresh.status === 200) {
        // What the attack achieved before the fix: the victim's page now holds the attacker's session.
        const me = await fromApp(page, '/api/me', { token: refresh.body.accessToken ?? '' });
        expect.fail(`the refresh answered 200 and signed the page in as ${me.body.name}`);
      }
      expect([refresh.status, refresh.body.error]).toEqual([401, 'ambiguous_refresh_token']);
      expect(app.stats.refreshRotations).toBe(0);
      // Both cookies are gone: the planted one (Domain=example.test, its path) and the victim's.
      expect(await refreshCookies(context)).toEqual([]);

      // Signing in again works, and is not disturbed any more.
      expect((await fromApp(page, '/auth/login', { method: 'POST', body: JSON.stringify(ALICE) })).status).toBe(200);
      const again = await fromApp(page, '/auth/refresh', { method: 'POST' });
      expect(again.status).toBe(200);
      expect((await fromApp(page, '/api/me', { token: again.body.accessToken ?? '' })).body.name).toBe('alice');
      // The attacker's own token was not rotated by any of this.
      const attacker = await fetch(`${app.url}/auth/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${attackerToken}` } });
      expect(attacker.status).toBe(200);
    } finally {
      await context.close();
    }
  });
});
