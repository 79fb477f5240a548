/**
 * End-to-end: the playground page in Debian's headless Chromium against the reference server,
 * started in-process. Every case counts what reached the server (`stats`) rather than timing it.
 * The multi-tab races (held refreshes, same-second tokens) are in tabs-races.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, openTab, served, snapshot, startForeignServer, waitForStatus, type ForeignServer } from '../../harness/browser';
import { REFRESH, expectClean, pastIssueSecond, tokenOf, useBrowserSuite } from '../helpers/browser-suite';

/**
 * Each run writes its screenshot to the (git-ignored) artifacts; the README's copy in docs/ is only
 * written when missing or with UPDATE_SCREENSHOT=1, so a test run does not dirty the tree.
 */
const SCREENSHOT = join(ROOT, 'test/browser/artifacts/playground.png');
const README_SCREENSHOT = join(ROOT, 'docs/playground.png');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const { server, context, loggedInTabs } = useBrowserSuite();

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

  it('five tabs whose token expired, 20 requests each, with Web Locks: one refresh in all, every request succeeds', async () => {
    const s = await server({ accessTtl: 3 });
    const tabs = await loggedInTabs(s.url, 5);
    expect(await tabs[0]!.page.evaluate(() => typeof navigator.locks)).toBe('object');
    const refreshesBefore = served(s.stats, REFRESH);
    await untilExpired(tabs);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(20))));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));

    expectOneRefreshAllOk(s.stats, refreshesBefore, snaps);
    expect(
      snaps.reduce((n, snap) => n + snap.counts.refreshOwn, 0),
      'exactly one tab should report refresh:success with source "network"',
    ).toBe(1);
    expectClean(tabs);
  });

  it('five tabs whose token expired, 20 requests each, without Web Locks: each tab may refresh on its own, the grace window gives them one successor, no reuse alarm, every request succeeds', async () => {
    const s = await server({ accessTtl: 3 });
    const ctx = await context();
    await ctx.addInitScript("Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });");
    const tabs = await loggedInTabs(s.url, 5, ctx);
    expect(await tabs[0]!.page.evaluate(() => typeof navigator.locks)).toBe('undefined');
    const refreshesBefore = served(s.stats, REFRESH);
    await untilExpired(tabs);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(20))));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));

    const refreshes = served(s.stats, REFRESH) - refreshesBefore;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(5); // at most one per tab
    expect(s.stats.refreshReused).toBe(0);
    for (const snap of snaps) {
      expect(snap.counts).toMatchObject({ requests: 20, ok: 20, status401: 0, rejected: 0 });
      expect(snap.status).toBe('authenticated');
    }
    // Every tab ends on a token the server takes.
    for (const { page } of tabs) expect((await page.evaluate(() => window.demo.me())).status).toBe(200);
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
    const broken = await Promise.all(tabs.map(({ page }) => tokenOf(page)));
    expect(new Set(broken).size).toBe(1);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));

    const bursts = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(20))));
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));

    expectOneRefreshAllOk(s.stats, refreshesBefore, snaps);
    expect(bursts.map((b) => b.outcomes)).toEqual(Array(5).fill('20 × 200'));
    // The 401s really happened and were replayed (at least the first tab's requests met the broken token).
    expect(snaps.reduce((n, snap) => n + snap.counts.replays, 0)).toBeGreaterThan(0);
    const fresh = await Promise.all(tabs.map(({ page }) => tokenOf(page)));
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
    expect(await tokenOf(second.page)).toBe(await tokenOf(first!.page));
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

  it('enables the buttons that need a session only while there is one', async () => {
    const s = await server();
    const ctx = await context();
    const tab = await openTab(ctx, s.url);
    const needSession = ['btn-me', 'btn-post', 'btn-burst', 'btn-expire', 'btn-logout'];
    const disabled = () =>
      tab.page.evaluate((ids) => ids.filter((id) => (document.getElementById(id) as HTMLButtonElement).disabled), needSession);
    expect(await disabled()).toEqual(needSession);
    expect(await tab.page.locator('#btn-tab').isDisabled()).toBe(false);

    await tab.page.getByRole('button', { name: 'Log in' }).click();
    await waitForStatus(tab.page, 'authenticated');
    expect(await disabled()).toEqual([]);

    await tab.page.getByRole('button', { name: 'Log out' }).click();
    await waitForStatus(tab.page, 'anonymous');
    expect(await disabled()).toEqual(needSession);
    expectClean([tab]);
  });

  it('"Expire in all tabs" does that: every tab then holds the invalidated token', async () => {
    const s = await server();
    const [first, second] = await loggedInTabs(s.url, 2);
    const before = await tokenOf(second!.page);
    await first!.page.getByRole('button', { name: 'Expire in all tabs' }).click();
    await second!.page.waitForFunction((old) => window.demo.state().accessToken !== old, before, { timeout: 5_000 });
    const [a, b] = [await tokenOf(first!.page), await tokenOf(second!.page)];
    expect(a).toBe(b);
    expect(a?.split('.')[2]).toMatch(/^EXPIRED0/);
    // And the server refuses it from either tab, so the next call refreshes and replays.
    expect((await second!.page.evaluate(() => window.demo.me())).status).toBe(200);
    expect((await snapshot(second!.page)).counts.replays).toBe(1);
    expectClean([first!, second!]);
  });

  it('counts and logs a token taken from another tab only in the tab that took it', async () => {
    const s = await server();
    const tabs = await loggedInTabs(s.url, 2);
    await pastIssueSecond(tabs[0]!.page);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));
    const refreshesBefore = served(s.stats, REFRESH);
    // A tab that took the first tab's token at start-up logged that already: count what is new.
    const sharedLines = async (i: number) => ((await tabs[i]!.page.locator('#log').textContent()) ?? '').split('shared its token').length - 1;
    const sharedBefore = [await sharedLines(0), await sharedLines(1)];

    // Both tabs force a refresh at once: one calls the server, the other takes its token.
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.authFetch.refresh())));
    expect(served(s.stats, REFRESH) - refreshesBefore).toBe(1);
    const snaps = await Promise.all(tabs.map(({ page }) => snapshot(page)));
    const taker = snaps.findIndex((snap) => snap.counts.refreshPeer === 1);
    const refresher = 1 - taker;
    expect(taker).toBeGreaterThanOrEqual(0);
    expect(snaps[refresher]!.counts).toMatchObject({ refreshOwn: 1, refreshPeer: 0 });

    const shown = (i: number) => tabs[i]!.page.locator('#refresh-peer').textContent();
    const logged = (i: number) => tabs[i]!.page.locator('#log').textContent();
    expect(await shown(taker)).toBe('1');
    expect(await shown(refresher)).toBe('0');
    expect(await logged(taker)).toContain('another tab shared its token');
    expect(await sharedLines(taker)).toBe(sharedBefore[taker]! + 1);
    // The refresher heard token messages (the other tab's answers) but took no token from it.
    expect(snaps[refresher]!.counts.tabMessages).toBeGreaterThan(0);
    expect(await sharedLines(refresher)).toBe(sharedBefore[refresher]);
    expectClean(tabs);
  });

  it("words the other tabs' doings: Expire is one replaced token, a signed-out tab hearing a session end logs nothing", async () => {
    const s = await server();
    const ctx = await context();
    const logText = (tab: { page: import('playwright-core').Page }) => tab.page.locator('#log').innerText();
    const heard = (tab: { page: import('playwright-core').Page }, kind: string) =>
      tab.page.evaluate((k) => window.demo.events.filter((e) => e.type === 'tab:message' && e.kind === k).length, kind);

    // A signed-out tab, then a second one whose start-up refresh is refused: it tells the first that the session ended.
    const first = await openTab(ctx, s.url);
    const second = await openTab(ctx, s.url);
    await expect.poll(() => heard(first, 'end')).toBeGreaterThan(0);
    expect(await logText(first)).not.toMatch(/signed out|ended the session/);

    await first.page.evaluate(() => window.demo.login());
    await waitForStatus(second.page, 'authenticated');
    expect(await logText(second)).toContain('another tab signed in: this tab joins its session');
    await first.page.evaluate(() => window.demo.expireNow());
    await expect.poll(() => logText(second)).toContain('another tab replaced the access token of this session');
    const log = await logText(second);
    expect(log).not.toContain('channel message');
    expect(log.match(/another tab (signed in|replaced)/g)).toHaveLength(2);
    expectClean([first, second]);
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

/** Five tabs' bursts of 20: exactly one refresh reached the server, no token reuse, every request 200. */
/** Waits until every tab's token has really expired on its clock (nothing refreshes an idle tab's token behind its back here), then resets their counters. */
async function untilExpired(tabs: Awaited<ReturnType<typeof openTab>>[]): Promise<void> {
  for (const { page } of tabs) {
    await page.waitForFunction(() => Date.now() > (window.demo.state().expiresAt ?? Infinity), undefined, { timeout: 15_000, polling: 200 });
  }
  await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));
}

function expectOneRefreshAllOk(
  stats: Parameters<typeof served>[0] & { refreshReused: number; refreshTokensPresentedTwice: number },
  refreshesBefore: number,
  snaps: Array<Awaited<ReturnType<typeof snapshot>>>,
): void {
  expect(served(stats, REFRESH) - refreshesBefore).toBe(1);
  expect(stats.refreshReused).toBe(0);
  expect(stats.refreshTokensPresentedTwice).toBe(0);
  for (const snap of snaps) {
    expect(snap.counts).toMatchObject({ requests: 20, ok: 20, status401: 0, rejected: 0 });
    expect(snap.status).toBe('authenticated');
  }
}
