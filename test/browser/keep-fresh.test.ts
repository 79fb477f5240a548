/**
 * `keepFresh` in Chromium, several tabs of one app: while some tab is visible the token is
 * refreshed on a timer as it enters its leeway window, one refresh for all (the others adopt it);
 * while every tab is hidden, none refreshes. Visibility is set by the test (headless pages are
 * always visible): the page's `document.visibilityState` and a `visibilitychange` event.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { served } from '../../harness/browser';
import { expectClean, REFRESH, tokenOf, useBrowserSuite } from '../helpers/browser-suite';
import { sleep, until } from '../helpers/wait';

const { server, context, loggedInTabs } = useBrowserSuite();
/** 4 s tokens, refreshed 2 s before they expire. */
const ACCESS_TTL = 4;
const QUERY = '/?keepFresh=1&leewayMs=2000';

async function controllableVisibility(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(`
    let hidden = false;
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible'), configurable: true });
    Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden, configurable: true });
    window.setHiddenForTest = (value) => { hidden = value; document.dispatchEvent(new Event('visibilitychange')); };
  `);
}
const setHidden = (page: Page, hidden: boolean) => page.evaluate((h) => (window as unknown as { setHiddenForTest(h: boolean): void }).setHiddenForTest(h), hidden);

describe('keepFresh across tabs', () => {
  it('one visible tab keeps the session fresh for all: one refresh per token, the hidden tab adopts it, no request needed', async () => {
    const s = await server({ accessTtl: ACCESS_TTL });
    const ctx = await context();
    await controllableVisibility(ctx);
    const [visible, hidden] = await loggedInTabs(`${s.url}${QUERY}`, 2, ctx);
    await setHidden(hidden!.page, true);
    const before = served(s.stats, REFRESH);
    const first = await tokenOf(visible!.page);
    await until(() => served(s.stats, REFRESH) > before, 'a refresh on the timer', 6_000);
    await sleep(500);
    expect(served(s.stats, REFRESH)).toBe(before + 1);
    const fresh = await tokenOf(visible!.page);
    expect(fresh).not.toBe(first);
    expect(await tokenOf(hidden!.page)).toBe(fresh);
    expectClean([visible!, hidden!]);
  });

  it('two visible tabs: still one refresh per token', async () => {
    const s = await server({ accessTtl: ACCESS_TTL });
    const ctx = await context();
    await controllableVisibility(ctx);
    const tabs = await loggedInTabs(`${s.url}${QUERY}`, 2, ctx);
    const before = served(s.stats, REFRESH);
    await until(() => served(s.stats, REFRESH) > before, 'a refresh on the timer', 6_000);
    await sleep(500);
    expect(served(s.stats, REFRESH)).toBe(before + 1);
    expect(await tokenOf(tabs[1]!.page)).toBe(await tokenOf(tabs[0]!.page));
    expectClean(tabs);
  });

  it('every tab hidden: no refresh; the first tab to come back refreshes at once', async () => {
    const s = await server({ accessTtl: ACCESS_TTL });
    const ctx = await context();
    await controllableVisibility(ctx);
    const tabs = await loggedInTabs(`${s.url}${QUERY}`, 2, ctx);
    for (const { page } of tabs) await setHidden(page, true);
    const before = served(s.stats, REFRESH);
    await sleep(ACCESS_TTL * 1_000 + 500); // past the leeway window and the expiry
    expect(served(s.stats, REFRESH)).toBe(before);
    await setHidden(tabs[0]!.page, false);
    await until(() => served(s.stats, REFRESH) > before, 'the refresh on return', 3_000);
    expect(served(s.stats, REFRESH)).toBe(before + 1);
    expectClean(tabs);
  });
});
