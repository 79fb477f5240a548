/**
 * Multi-tab races in Chromium, made deterministic with gates rather than delays: a refresh held in
 * the browser while tabs log out, close or wait, and tokens refreshed within the second they were
 * issued in (same JWT `exp`). Counts what reached the server, never milliseconds.
 */
import type { BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openTab, served, snapshot, waitForStatus, type Tab } from '../../harness/browser';
import {
  REFRESH,
  claimsOf,
  everyTabRefreshing,
  expectClean,
  holdRefreshes,
  pastIssueSecond,
  startOfSecond,
  useBrowserSuite,
  type Server,
} from '../helpers/browser-suite';
import { sleep } from '../helpers/wait.js';

const { server, context, loggedInTabs } = useBrowserSuite();

/**
 * Three logged-in tabs whose tokens the server refuses ("Expire in all tabs"), each with `perTab` requests
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
  await held.reached(1);
  await sleep(200); // room for a second call, if single-flight were broken
  expect(held.calls()).toBe(1);
  const results = (tab: Tab) => tab.page.evaluate((b) => window.demo.waitBatch(b), batches[tabs.indexOf(tab)]!);
  return { ctx, tabs, held, results };
}

describe('multi-tab races in Chromium', () => {
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

    await startOfSecond(tab.page);
    const batch = await tab.page.evaluate(async () => {
      await window.demo.login();
      window.demo.expireNow();
      return window.demo.start(20, '/api/me');
    });
    const before = await claimsOf(tab.page);
    await tab.page.waitForFunction(() => window.demo.counts.refreshOwn + window.demo.counts.refreshPeer > 0, undefined, { timeout: 15_000 });
    releaseLate();
    const results = await tab.page.evaluate((b) => window.demo.waitBatch(b), batch);
    const after = await claimsOf(tab.page);

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
    await startOfSecond(tabs[0]!.page);
    await tabs[0]!.page.evaluate(() => window.demo.login());
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'authenticated')));
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.expireNow())));
    const before = await claimsOf(tabs[0]!.page);
    const bursts = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.burst(10))));
    const after = await claimsOf(tabs[0]!.page);

    expect(bursts.map((b) => b.outcomes)).toEqual(Array(5).fill('10 × 200'));
    expect(served(s.stats, REFRESH) - refreshesBefore, `refreshes (same exp: ${after.exp === before.exp})`).toBe(1);
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
    await pastIssueSecond(tabs[0]!.page); // the new login comes in a later second than the old one
    await tabs[0]!.page.evaluate(() => window.demo.logout());
    await Promise.all(tabs.map(({ page }) => waitForStatus(page, 'anonymous', 10_000)));
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

});
