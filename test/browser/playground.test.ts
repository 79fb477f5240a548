/**
 * End-to-end: the playground page in Debian's headless Chromium against the reference server,
 * started in-process. Every case counts what reached the server (`stats`) rather than timing it.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../playground/server';
import {
  ROOT,
  ensureLibraryBuilt,
  launchChromium,
  openTab,
  served,
  snapshot,
  startForeignServer,
  waitForStatus,
  type ForeignServer,
  type Tab,
} from '../helpers/browser';

type Server = Awaited<ReturnType<typeof start>>;

const REFRESH = 'POST /auth/refresh';
/**
 * Each run writes its screenshot to the (git-ignored) artifacts; the README's copy in docs/ is only
 * written when missing or with UPDATE_SCREENSHOT=1, so a test run does not dirty the tree.
 */
const SCREENSHOT = join(ROOT, 'test/browser/artifacts/playground.png');
const README_SCREENSHOT = join(ROOT, 'docs/playground.png');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let browser: Browser;
const contexts: BrowserContext[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  ensureLibraryBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function server(options: Parameters<typeof start>[0] = {}): Promise<Server> {
  const s = await start({ port: 0, ...options });
  servers.push(s);
  return s;
}

/**
 * BROWSER_LIB=path/to/bundle.js serves that ESM bundle as /lib/index.js instead of dist/, e.g. to
 * check that a test catches a bug in an older build of the library.
 */
const LIB_OVERRIDE = process.env.BROWSER_LIB;

async function context(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport });
  contexts.push(c);
  if (LIB_OVERRIDE) await c.route('**/lib/index.js', (route) => route.fulfill({ path: LIB_OVERRIDE, contentType: 'text/javascript' }));
  return c;
}

/** The pages must not have thrown or logged errors (a 401 the page expects is not logged as one). */
function expectClean(tabs: Tab[]): void {
  expect(tabs.flatMap((t) => t.errors)).toEqual([]);
}

async function loggedInTabs(url: string, n: number, ctx?: BrowserContext): Promise<Tab[]> {
  const c = ctx ?? (await context());
  const first = await openTab(c, url);
  expect(await first.page.evaluate(() => window.demo.login())).toMatchObject({ ok: true, status: 200 });
  await waitForStatus(first.page, 'authenticated');
  const tabs = [first];
  for (let i = 1; i < n; i++) tabs.push(await openTab(c, url));
  for (const tab of tabs) await waitForStatus(tab.page, 'authenticated');
  return tabs;
}

/**
 * Waits until the wall clock is past the second the current token was issued in. JWT `exp` has a
 * one-second resolution, so a token refreshed within that second carries the same `exp` as the one
 * it replaces; auth-fetch must order such tokens otherwise, which has its own test. The cases about
 * something else wait it out, so that each tests one thing.
 */
async function pastIssueSecond(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const jwt = window.demo.state().accessToken;
      if (!jwt) return true;
      const claims = JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: number };
      return claims.iat === undefined || Date.now() >= (claims.iat + 1) * 1000 + 50;
    },
    undefined,
    { timeout: 5_000, polling: 100 },
  );
}

/**
 * Holds every `/auth/refresh` call of the context in the browser until `release()`, so that a test
 * can act while a refresh is in flight and every tab waits for it (a gate, not a delay).
 */
async function holdRefreshes(ctx: BrowserContext): Promise<{ calls: () => number; pages: Page[]; release: () => void }> {
  const pages: Page[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await ctx.route('**/auth/refresh', async (route) => {
    pages.push(route.request().frame().page());
    await gate;
    await route.continue().catch(() => undefined); // its tab may be closed by now
  });
  return { calls: () => pages.length, pages, release };
}

/** Waits until every tab has started a refresh (and so waits for the one in flight). */
async function everyTabRefreshing(tabs: Tab[]): Promise<void> {
  for (const { page } of tabs) await page.waitForFunction(() => window.demo.counts.refreshStarts > 0, undefined, { timeout: 15_000 });
}

/**
 * Three logged-in tabs whose tokens the server refuses ("Expire now"), each with `perTab` requests
 * out, all waiting for one refresh call that is held until `held.release()`. `before` runs once the
 * tabs are ready and before the requests go (e.g. to drop the refresh cookie).
 */
async function tabsWaitingForHeldRefresh(s: Server, perTab: number, before?: (ctx: BrowserContext) => Promise<void>) {
  const ctx = await context();
  const tabs = await loggedInTabs(s.url, 3, ctx);
  await pastIssueSecond(tabs[0]!.page);
  await before?.(ctx);
  for (const { page } of tabs) expect(await page.evaluate(() => window.demo.expireNow())).toBe(true);
  await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));
  const held = await holdRefreshes(ctx);
  const batches = await Promise.all(tabs.map(({ page }) => page.evaluate((n) => window.demo.start(n, '/api/me'), perTab)));
  await everyTabRefreshing(tabs);
  expect(held.calls()).toBe(1);
  const results = (tab: Tab) => tab.page.evaluate((b) => window.demo.waitBatch(b), batches[tabs.indexOf(tab)]!);
  return { ctx, tabs, held, results };
}

const token = (page: Page): Promise<string | undefined> => page.evaluate(() => window.demo.state().accessToken);

describe('playground in Chromium', () => {
  it('stays logged in across a reload through the HttpOnly refresh cookie', async () => {
    const s = await server();
    const ctx = await context();
    const tab = await openTab(ctx, s.url);
    expect(await tab.page.evaluate(() => window.demo.status())).toBe('anonymous');

    expect(await tab.page.evaluate(() => window.demo.login())).toMatchObject({ ok: true });
    const me = await tab.page.evaluate(() => window.demo.me());
    expect(me.status).toBe(200);
    expect(JSON.stringify(me.body)).toContain('alice');

    // All cookies of the context: the refresh cookie has Path=/auth, so `cookies(s.url)` would not list it.
    const httpOnly = (await ctx.cookies()).filter((c) => c.httpOnly);
    expect(httpOnly.length).toBeGreaterThan(0);
    const visible = await tab.page.evaluate(() => document.cookie);
    for (const cookie of httpOnly) expect(visible).not.toContain(cookie.name);
    expect(httpOnly.every((c) => c.path.startsWith('/auth'))).toBe(true);

    const refreshesBefore = served(s.stats, REFRESH);
    await tab.page.reload();
    await tab.page.waitForFunction(() => window.demo?.isReady === true);
    expect(await tab.page.evaluate(() => window.demo.status())).toBe('authenticated');
    // No other tab to ask: exactly one refresh, through the cookie.
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore + 1);
    const again = await tab.page.evaluate(() => window.demo.me());
    expect(again.status).toBe(200);
    expect(s.stats.refreshReused).toBe(0);
    expectClean([tab]);
  });

  it.each([
    ['with Web Locks', false],
    ['without Web Locks (the claim protocol on the channel)', true],
  ])('five tabs whose token expired, 20 requests each, %s: one refresh in all, every request succeeds', async (_, noLocks) => {
    const s = await server({ accessTtl: 3 });
    const ctx = await context();
    if (noLocks) await ctx.addInitScript("Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });");
    const tabs = await loggedInTabs(s.url, 5, ctx);
    expect(await tabs[0]!.page.evaluate(() => typeof navigator.locks)).toBe(noLocks ? 'undefined' : 'object');
    const refreshesBefore = served(s.stats, REFRESH);
    // Really expired on the tabs' clock (nothing refreshes an idle tab's token behind its back here).
    for (const { page } of tabs) {
      await page.waitForFunction(() => Date.now() > (window.demo.state().expiresAt ?? Infinity), undefined, { timeout: 15_000, polling: 200 });
    }
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));

    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(20))));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));

    expect(served(s.stats, REFRESH) - refreshesBefore).toBe(1);
    expect(s.stats.refreshReused).toBe(0);
    expect(s.stats.refreshTokensPresentedTwice).toBe(0);
    for (const snap of snaps) {
      expect(snap.counts).toMatchObject({ requests: 20, ok: 20, status401: 0, rejected: 0 });
      expect(snap.status).toBe('authenticated');
    }
    expect(
      snaps.reduce((n, snap) => n + snap.counts.refreshOwn, 0),
      'exactly one tab should report refresh:success with source "network"',
    ).toBe(1);
    expectClean(tabs);
  });

  it('five tabs whose token the server refuses, 20 requests each: one refresh in all, every request replayed', async () => {
    const s = await server();
    const tabs = await loggedInTabs(s.url, 5);
    const refreshesBefore = served(s.stats, REFRESH);
    await pastIssueSecond(tabs[0]!.page);

    // Every tab holds a token the server rejects (exp unchanged, signature broken): the requests go
    // out, come back 401, and the tabs must agree on a single refresh.
    for (const { page } of tabs) expect(await page.evaluate(() => window.demo.expireNow())).toBe(true);
    const broken = await Promise.all(tabs.map(({ page }) => token(page)));
    expect(new Set(broken).size).toBe(1);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));

    const bursts = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(20))));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));

    expect(served(s.stats, REFRESH) - refreshesBefore).toBe(1);
    expect(s.stats.refreshReused).toBe(0);
    expect(s.stats.refreshTokensPresentedTwice).toBe(0);
    for (const snap of snaps) {
      expect(snap.counts).toMatchObject({ requests: 20, ok: 20, status401: 0, rejected: 0 });
      expect(snap.status).toBe('authenticated');
    }
    expect(bursts.map((b) => b.outcomes)).toEqual(Array(5).fill('20 × 200'));
    // The 401s really happened and were replayed (at least the first tab's requests met the broken token).
    expect(snaps.reduce((n, snap) => n + snap.counts.replays, 0)).toBeGreaterThan(0);
    const fresh = await Promise.all(tabs.map(({ page }) => token(page)));
    expect(new Set(fresh).size).toBe(1);
    expect(fresh[0]).not.toBe(broken[0]);

    // The README's screenshot: the tab that made the refresh, after the burst.
    const refresher = snaps.findIndex((snap) => snap.counts.refreshOwn === 1);
    const png = await tabs[Math.max(0, refresher)]!.page.screenshot({ fullPage: false });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    writeFileSync(SCREENSHOT, png);
    if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(README_SCREENSHOT)) {
      mkdirSync(dirname(README_SCREENSHOT), { recursive: true });
      writeFileSync(README_SCREENSHOT, png);
    }
    expectClean(tabs);
    expect(
      snaps.reduce((n, snap) => n + snap.counts.refreshOwn, 0),
      'exactly one tab should report refresh:success with source "network"',
    ).toBe(1);
  });

  it('one refresh for 20 concurrent 401s even when the new token is issued in the same second as the old', async () => {
    // JWT exp has one-second resolution: a token refreshed within the second its predecessor was
    // issued carries the same exp. The tab must still treat the token it just fetched as newer than
    // the one its late 401s were sent with, instead of refreshing again for them.
    const s = await server();
    const ctx = await context();
    const tab = await openTab(ctx, s.url);
    const refreshesBefore = served(s.stats, REFRESH); // the start-up attempt without a cookie
    // The first 401 goes through at once; the other 19 are held until the refresh it caused is done.
    let first = true;
    let releaseLate!: () => void;
    const late = new Promise<void>((resolve) => (releaseLate = resolve));
    await ctx.route('**/api/me', async (route) => {
      if (!(route.request().headers().authorization ?? '').includes('.EXPIRED0')) return route.continue();
      const response = await route.fetch();
      if (first) first = false;
      else await late;
      await route.fulfill({ response });
    });
    const claims = (page: Page) =>
      page.evaluate(() => JSON.parse(atob(window.demo.state().accessToken!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number });

    await tab.page.waitForFunction(() => Date.now() % 1000 < 50, undefined, { polling: 5 });
    const batch = await tab.page.evaluate(async () => {
      await window.demo.login();
      window.demo.expireNow();
      return window.demo.start(20, '/api/me');
    });
    const before = await claims(tab.page);
    await tab.page.waitForFunction(() => window.demo.counts.refreshOwn + window.demo.counts.refreshPeer > 0, undefined, { timeout: 15_000 });
    releaseLate();
    const results = await tab.page.evaluate((b) => window.demo.waitBatch(b), batch);
    const after = await claims(tab.page);

    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const snap = await snapshot(tab.page);
    expect(snap.counts).toMatchObject({ ok: 20, status401: 0, replays: 20 });
    // When the sequence did not fit in one second (slow machine) this checks the usual case instead.
    const sameSecond = after.exp === before.exp;
    expect(served(s.stats, REFRESH) - refreshesBefore, `refreshes for one burst of 401s (same exp: ${sameSecond})`).toBe(1);
    expectClean([tab]);
  });

  it('five tabs, all within the second of the login: one refresh for their 401s', async () => {
    // The cross-tab side of same-second tokens: the other tabs must take the refreshed token from
    // the tab that fetched it although its exp equals the one they hold.
    const s = await server();
    const ctx = await context();
    const tabs: Tab[] = [];
    for (let i = 0; i < 5; i++) tabs.push(await openTab(ctx, s.url));
    const refreshesBefore = served(s.stats, REFRESH); // their start-up attempts without a cookie
    await tabs[0]!.page.waitForFunction(() => Date.now() % 1000 < 50, undefined, { polling: 5 });
    await tabs[0]!.page.evaluate(() => window.demo.login());
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'authenticated')));
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.expireNow())));
    const exp = (page: Page) =>
      page.evaluate(() => (JSON.parse(atob(window.demo.state().accessToken!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number }).exp);
    const before = await exp(tabs[0]!.page);
    const bursts = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(10))));
    const after = await exp(tabs[0]!.page);

    expect(bursts.map((b) => b.outcomes)).toEqual(Array(5).fill('10 × 200'));
    expect(served(s.stats, REFRESH) - refreshesBefore, `refreshes (same exp: ${after === before})`).toBe(1);
    expect(s.stats.refreshReused).toBe(0);
    expectClean(tabs);
  });

  it('writes a non-empty PNG screenshot of the page after the five-tab burst', () => {
    for (const path of [SCREENSHOT, README_SCREENSHOT]) {
      const bytes = readFileSync(path);
      expect(bytes.length).toBeGreaterThan(10_000);
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }
    // Written by this run, not left over from an earlier one.
    expect(statSync(SCREENSHOT).mtimeMs).toBeGreaterThan(Date.now() - 5 * 60_000);
  });

  it('logout in one tab ends the session in every tab; in-flight requests reject with SessionEndedError', async () => {
    const s = await server({ postDelayMs: 5000 });
    const tabs = await loggedInTabs(s.url, 5);
    const refreshesBefore = served(s.stats, REFRESH);

    // One slow POST per tab, held by the server past the logout. Chromium allows 6 connections per
    // host across the context: 5 slow requests leave one for the logout call.
    const batches = await Promise.all(
      tabs.map(({ page }) =>
        page.evaluate(() =>
          window.demo.start(1, '/api/posts', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ title: 'slow' }),
          }),
        ),
      ),
    );
    await expect.poll(() => served(s.stats, 'POST /api/posts'), { timeout: 15_000, interval: 50 }).toBe(5);

    expect(await tabs[1]!.page.evaluate(() => window.demo.logout())).toEqual({ ok: true });
    // Within a second is the target; the generous timeout only keeps a loaded machine from flaking.
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'anonymous', 10_000)));

    const results = await Promise.all(tabs.map(({ page }, i) => page.evaluate((b) => window.demo.waitBatch(b), batches[i]!)));
    expect(results.flat().map((r) => r.errorName)).toEqual(Array(5).fill('SessionEndedError'));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));
    for (const snap of snaps) {
      expect(snap.errorNames).toEqual({ SessionEndedError: 1 });
      expect(snap.counts.status401).toBe(0);
      expect(snap.counts.becameAnonymous).toBe(1);
      expect(snap.status).toBe('anonymous');
    }
    // Not an error storm: one logout call, no refresh attempts after it.
    expect(served(s.stats, 'POST /auth/logout')).toBe(1);
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore);

    // Still anonymous after a reload: the refresh cookie was revoked.
    await tabs[2]!.page.reload();
    await tabs[2]!.page.waitForFunction(() => window.demo?.isReady === true);
    expect(await tabs[2]!.page.evaluate(() => window.demo.status())).toBe('anonymous');
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore + 1); // its start-up attempt, refused
    expect(s.stats.refreshReused).toBe(0);
    expectClean(tabs);
  });

  it('logout while the other tabs wait for a refresh: no refresh call starts after the logout', async () => {
    const s = await server();
    const rotationsBefore = s.stats.refreshRotations;
    // The first refresh call is held, so that every tab is waiting for it when the user logs out.
    const { ctx, tabs, held, results: resultsOf } = await tabsWaitingForHeldRefresh(s, 3);
    await tabs[2]!.page.evaluate(() => window.demo.logout());
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'anonymous', 10_000)));
    held.release();
    const results = await Promise.all(tabs.map(resultsOf));
    expect(results.flat().map((r) => r.errorName)).toEqual(Array(9).fill('SessionEndedError'));
    await tabs[0]!.page.evaluate(() => navigator.locks.request('auth-fetch:refresh', () => undefined));
    // Whatever was sent, the logout holds: no rotation after it, and a reload stays anonymous.
    const calls = held.calls();
    expect(s.stats.refreshRotations).toBe(rotationsBefore);
    expect(await ctx.cookies()).toEqual([]);
    await tabs[0]!.page.reload();
    await tabs[0]!.page.waitForFunction(() => window.demo?.isReady === true);
    expect(await tabs[0]!.page.evaluate(() => window.demo.status())).toBe('anonymous');
    expect(calls, 'refresh calls made by the browser, the first one held across the logout').toBe(1);
    expectClean(tabs);
  });

  it('a tab closed in the middle of its refresh does not leave the others waiting', async () => {
    const s = await server();
    const { tabs, held, results: resultsOf } = await tabsWaitingForHeldRefresh(s, 3);

    const closing = held.pages[0]!;
    // Its Web Lock is released. Its refresh call may still reach the server (Playwright lets a held
    // request of a closed page go, as a browser may finish one in flight): either way, no harm.
    await closing.close();
    held.release();
    const rest = tabs.filter((t) => t.page !== closing);
    expect(rest).toHaveLength(2);
    const results = await Promise.all(rest.map(resultsOf));
    expect(results.flat().map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(held.calls()).toBe(2); // the closed tab's, then one for the other two
    expect(s.stats.refreshRotations).toBeLessThanOrEqual(2);
    expect(s.stats.refreshReused).toBe(0);
    for (const { page } of rest) expect(await page.evaluate(() => window.demo.status())).toBe('authenticated');
    expectClean(rest);
  });

  it('logging in again after a logout brings every tab back, without a refresh', async () => {
    const s = await server();
    const tabs = await loggedInTabs(s.url, 3);
    await tabs[0]!.page.evaluate(() => window.demo.logout());
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'anonymous', 10_000)));
    await pastIssueSecond(tabs[0]!.page); // a new login within the same second could not be told from the old one
    const refreshesBefore = served(s.stats, REFRESH);

    expect(await tabs[2]!.page.evaluate(() => window.demo.login('alice', 'wonderland'))).toMatchObject({ ok: true });
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'authenticated', 10_000)));
    const results = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.me())));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore);
    expectClean(tabs);
  });

  it('a refused refresh token ends the session in every tab, with one refresh attempt', async () => {
    const s = await server();
    let refreshesBefore = 0;
    // The refresh call is held until every tab's 401s wait for it, then the server refuses it
    // (otherwise who is still waiting depends on scheduling).
    const { tabs, held, results: resultsOf } = await tabsWaitingForHeldRefresh(s, 5, async (ctx) => {
      refreshesBefore = served(s.stats, REFRESH);
      await ctx.clearCookies(); // the refresh cookie is gone, as after a logout on another device
    });
    held.release();
    const results = await Promise.all(tabs.map(resultsOf));
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'anonymous', 10_000)));
    // Let every refresh still queued on auth-fetch's Web Lock run: a lock request of ours, made now,
    // is granted after them (FIFO per origin).
    await tabs[0]!.page.evaluate(() => navigator.locks.request('auth-fetch:refresh', () => undefined));
    expect(
      served(s.stats, REFRESH) - refreshesBefore,
      'refresh calls: a tab whose session ended while it waited for the refresh lock must not call /auth/refresh',
    ).toBe(1);
    for (const { page } of tabs) {
      const snap = await snapshot(page);
      expect(snap.status).toBe('anonymous');
      expect(snap.counts.becameAnonymous).toBe(1);
    }
    // Each request either got its 401 back (the session is over: nothing to replay with) or was
    // ended by the session's end; nothing else, and no tab kept trying.
    for (const r of results.flat()) expect(r.status === 401 || r.errorName === 'SessionEndedError').toBe(true);
    expect(s.stats.refreshReused).toBe(0);
    expectClean(tabs);
  });

  it('a POST that meets a 401 is replayed with the same Idempotency-Key and creates one post', async () => {
    const s = await server();
    const ctx = await context();
    const [tab] = await loggedInTabs(s.url, 1, ctx);
    const page = tab!.page;
    const refreshesBefore = served(s.stats, REFRESH); // the start-up attempt without a cookie
    await pastIssueSecond(page);
    const keys: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/posts') {
        keys.push(request.headers()['idempotency-key']);
      }
    });

    // Key chosen by auth-fetch itself.
    expect(await page.evaluate(() => window.demo.expireNow())).toBe(true);
    const first = await page.evaluate(() => window.demo.createPost({ title: 'one', key: null }));
    expect(first.status).toBe(201);
    expect(served(s.stats, 'POST /api/posts')).toBe(2);
    expect(s.stats.postsCreated).toBe(1);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);

    // Key chosen by the page: kept as is through the replay.
    expect(await page.evaluate(() => window.demo.expireNow())).toBe(true);
    const second = await page.evaluate(() => window.demo.createPost({ title: 'two', key: 'page-chosen-key-0001' }));
    expect(second.status).toBe(201);
    expect(second.idempotencyKey).toBe('page-chosen-key-0001');
    expect(keys.slice(2)).toEqual(['page-chosen-key-0001', 'page-chosen-key-0001']);
    expect(s.stats.postsCreated).toBe(2);

    const snap = await snapshot(page);
    expect(snap.counts.replays).toBe(2);
    expect(snap.counts.status401).toBe(0);
    expect(served(s.stats, REFRESH) - refreshesBefore).toBe(2);
    expectClean([tab!]);
  });

  it('a new tab takes the session from a tab that holds a valid token, without a refresh', async () => {
    const s = await server();
    const ctx = await context();
    const [first] = await loggedInTabs(s.url, 1, ctx);
    const refreshesBefore = served(s.stats, REFRESH);

    const second = await openTab(ctx, s.url);
    expect(await second.page.evaluate(() => window.demo.status())).toBe('authenticated');
    expect(await token(second.page)).toBe(await token(first!.page));
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore);
    expect((await second.page.evaluate(() => window.demo.me())).status).toBe(200);
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore);
    expectClean([first!, second]);
  });

  it('"Open another tab" opens a tab that is authenticated at once, without a refresh', async () => {
    const s = await server();
    const ctx = await context();
    const [first] = await loggedInTabs(s.url, 1, ctx);
    const refreshesBefore = served(s.stats, REFRESH);
    const [opened] = await Promise.all([ctx.waitForEvent('page'), first!.page.getByRole('button', { name: 'Open another tab' }).click()]);
    await opened.waitForFunction(() => window.demo?.isReady === true, undefined, { timeout: 20_000 });
    expect(await opened.evaluate(() => window.demo.status())).toBe('authenticated');
    expect(await opened.locator('#status').textContent()).toMatch(/^authenticated/);
    expect(served(s.stats, REFRESH)).toBe(refreshesBefore);
  });

  it('never sends the bearer token to another origin', async () => {
    const foreign: ForeignServer = await startForeignServer();
    try {
      const s = await server();
      const [tab] = await loggedInTabs(s.url, 1);
      const result = await tab!.page.evaluate((url) => window.demo.request(`${url}/echo`), foreign.url);
      expect(result.status).toBe(200);
      expect(foreign.stats.requests).toBe(1);
      expect(foreign.stats.authorizationHeaders).toBe(0);
      expect(foreign.stats.preflights).toBe(0);
      expectClean([tab!]);
    } finally {
      await foreign.close();
    }
  });

  it('is usable at a narrow width', async () => {
    const s = await server();
    const ctx = await context({ width: 390, height: 844 });
    const tab = await openTab(ctx, s.url);
    const overflow = await tab.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await tab.page.getByRole('button', { name: 'Log in' }).click();
    await waitForStatus(tab.page, 'authenticated');
    await tab.page.getByRole('button', { name: /api\/me/ }).click();
    await tab.page.waitForFunction(() => window.demo.counts.settled === 1);
    expect((await snapshot(tab.page)).counts.ok).toBe(1);
    expectClean([tab]);
  });
});
