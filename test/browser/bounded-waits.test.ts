/**
 * Bounded waits in Chromium (real Web Locks): a tab whose refresh call hangs while it holds the
 * lock does not hold the other tabs' requests past refreshTimeoutMs + 6 × peerTimeoutMs, and the
 * next refresh works; a lone tab's start-up does not wait peerTimeoutMs for peers it does not have.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openTab } from '../../harness/browser';
import { expectClean, holdRefreshes, pastIssueSecond, useBrowserSuite } from '../helpers/browser-suite';

const { server, context, loggedInTabs } = useBrowserSuite();

/** A batch's results, or 'still waiting' after `ms` (so that a wait that is not bounded fails instead of hanging). */
const resultsWithin = (page: Page, batch: number, ms: number) =>
  page.evaluate(([b, limit]) => Promise.race([window.demo.waitBatch(b!), new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), limit))]), [batch, ms]);

describe('bounded waits in Chromium', () => {
  it('a lone tab’s ready comes after its refresh round trip, not after peerTimeoutMs', async () => {
    const PEER_TIMEOUT = 2_000;
    const s = await server();
    const tab = await openTab(await context(), `${s.url}/?peerTimeoutMs=${PEER_TIMEOUT}`);
    const timing = await tab.page.evaluate(() => {
      const at = (path: string) => performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === path) as PerformanceResourceTiming;
      // The instance is created once both modules are loaded; ready settles as the first state change is recorded.
      const created = Math.max(at('/js/client.js').responseEnd, at('/lib/index.js').responseEnd);
      const ready = window.demo.stateChanges[0]!.t - performance.timeOrigin;
      return { beyondRefresh: ready - created - at('/auth/refresh').duration, status: window.demo.status() };
    });
    expect(timing.status).toBe('anonymous'); // no cookie yet: the refresh was refused
    expect(timing.beyondRefresh).toBeLessThan(PEER_TIMEOUT / 2);
    expectClean([tab]);
  });

  it('a new instance created right after dispose() (StrictMode remount, HMR) does not count the old one’s presence lock', async () => {
    const PEER_TIMEOUT = 2_000;
    const s = await server();
    const tab = await openTab(await context(), `${s.url}/?peerTimeoutMs=${PEER_TIMEOUT}`);
    expect(await tab.page.evaluate(() => window.demo.login())).toMatchObject({ ok: true });
    // A string, not a function: the test runner would rewrite a function's dynamic import.
    const timing = await tab.page.evaluate<{ ms: number; status: string }>(`(async () => {
      const { createAuthFetch } = await import('/lib/index.js');
      const started = performance.now();
      window.demo.authFetch.dispose();
      const again = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout', peerTimeoutMs: ${PEER_TIMEOUT} });
      const state = await again.ready;
      const ms = performance.now() - started;
      again.dispose();
      return { ms, status: state.status };
    })()`);
    expect(timing.status).toBe('authenticated'); // through its own refresh: the old instance is gone
    expect(timing.ms).toBeLessThan(PEER_TIMEOUT / 2);
  });

  it('a tab whose refresh hangs holding the lock: the others get a RefreshError or its token within the bound, then the next refresh works', async () => {
    const REFRESH_TIMEOUT = 1_500;
    const PEER_TIMEOUT = 100;
    const BOUND = REFRESH_TIMEOUT + 6 * PEER_TIMEOUT;
    const s = await server();
    const ctx = await context();
    const tabs = await loggedInTabs(`${s.url}/?refreshTimeoutMs=${REFRESH_TIMEOUT}&peerTimeoutMs=${PEER_TIMEOUT}`, 3, ctx);
    await pastIssueSecond(tabs[0]!.page);
    for (const { page } of tabs) expect(await page.evaluate(() => window.demo.expireNow())).toBe(true);
    await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.reset())));
    const held = await holdRefreshes(ctx); // the call hangs until released: auth-fetch gives up first
    const [holder, ...others] = tabs;
    const first = await holder!.page.evaluate(() => window.demo.start(1, '/api/me'));
    await held.reached(1);

    const started = Date.now();
    const batches = await Promise.all(others.map(({ page }) => page.evaluate(() => window.demo.start(3, '/api/me'))));
    const results = await Promise.all(others.map(({ page }, i) => resultsWithin(page, batches[i]!, BOUND + 5_000)));
    const waited = Date.now() - started;
    expect(results).not.toContain('still waiting');
    for (const r of results.flat()) expect(typeof r === 'object' && (r.errorName === 'RefreshError' || r.status === 200), JSON.stringify(r)).toBe(true);
    expect(waited).toBeLessThan(BOUND + 1_500);
    expect(await resultsWithin(holder!.page, first, 5_000)).toMatchObject([{ errorName: 'RefreshError' }]);

    held.release();
    const token = await others[0]!.page.evaluate(() => window.demo.authFetch.refresh());
    expect(token).toMatch(/^ey/);
    const after = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.demo.me())));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    expectClean(tabs);
  });
});
