import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, openTab, waitReady, waitForStatus } from '../../harness/browser';
import { buildIfStale } from '../../scripts/build';
import { httpsRequest, makeCertificate, type TestCertificate } from '../helpers/tls';
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
let certificate: TestCertificate;

beforeAll(async () => {
  buildIfStale(); // the HTTPS case runs the built library in the playground page
  certificate = makeCertificate();
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
  certificate?.remove();
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

/** An HTTPS server on a free port that answers every request with `setCookies`; closed by the caller. */
async function plantingServer(cookies: string[]): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createTlsServer({ cert: certificate.cert, key: certificate.key }, (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('set-cookie', cookies);
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>evil</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://evil.example.test:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('over HTTPS: the __Host- refresh cookie (Chromium)', () => {
  it('the library signs in, survives a reload, and a sibling cannot plant a cookie the server reads', async () => {
    const port = await freePort();
    const origin = `https://app.example.test:${port}`;
    const server = await start({ host: '127.0.0.1', port, allowedOrigins: [origin], tls: { cert: certificate.cert, key: certificate.key } });
    // The attacker's own refresh token, planted by a sibling's best tries: a __Host- cookie with a
    // Domain (browsers refuse it) and a __Secure- one for the parent domain on the refresh path
    // (browsers take it and send it first; the server no longer reads that name).
    const login = await httpsRequest(`${server.url}/auth/login`, certificate.cert, { method: 'POST', body: JSON.stringify(BOB) });
    const planted = /^__Host-refresh_token=([^;]+)/.exec(login.setCookies[0] ?? '')?.[1] ?? '';
    expect(planted).toMatch(/^[\w-]{43}$/);
    const evilSite = await plantingServer([
      `__Host-refresh_token=${planted}; Domain=example.test; Path=/; Secure; SameSite=Lax`,
      `__Secure-refresh_token=${planted}; Domain=example.test; Path=/auth/refresh; Secure; SameSite=Lax`,
    ]);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const tab = await openTab(context, `${origin}/`);
      expect(await tab.page.evaluate(() => window.demo.login())).toMatchObject({ ok: true, status: 200 });
      const hostCookie = (await context.cookies()).find((cookie) => cookie.name === '__Host-refresh_token');
      expect(hostCookie).toMatchObject({ domain: 'app.example.test', path: '/', secure: true, httpOnly: true });

      await tab.page.goto(`${evilSite.origin}/`);
      const names = (await context.cookies()).map((cookie) => `${cookie.name}@${cookie.domain}${cookie.path}`).sort();
      expect(names).toContain('__Secure-refresh_token@.example.test/auth/refresh');
      expect(names.filter((name) => name.startsWith('__Host-'))).toEqual(['__Host-refresh_token@app.example.test/']);

      // A reload: the library's start-up refresh runs on the __Host- cookie alone, as alice.
      await tab.page.goto(`${origin}/`);
      await waitReady(tab.page);
      await waitForStatus(tab.page, 'authenticated');
      const me = await tab.page.evaluate(() => window.demo.me());
      expect(me).toMatchObject({ status: 200 });
      expect(JSON.stringify(me)).toContain('alice');
      expect(server.stats.securityEvents).toEqual([]);
      expect(tab.errors).toEqual([]);
    } finally {
      await context.close();
      await evilSite.close();
      await server.close();
    }
  });
});
