/**
 * In Chromium, with real Web Locks and BroadcastChannels: README's React hook under StrictMode
 * (real React 19, development build) leaves one channel and no subscription or lock behind, and
 * the HMR recipe's `dispose()` during a refresh leaves no channel and, once that call returns, no
 * held or pending lock (test/browser/pages/react-session.ts is the page).
 */
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { served } from '../../harness/browser';
import { REFRESH, holdRefreshes, useBrowserSuite, type Server } from '../helpers/browser-suite';
import { readmeRecipes } from '../helpers/readme-recipes';
import type { ReactSessionPage } from './pages/react-session';

declare global {
  interface Window {
    page: ReactSessionPage;
  }
}

const { server, context } = useBrowserSuite();
let script = '';

beforeAll(async () => {
  // After the suite's own beforeAll, which builds the library the page resolves through `exports`.
  const output = (await build({
    configFile: false,
    logLevel: 'warn',
    mode: 'development',
    plugins: [readmeRecipes()],
    define: { 'process.env.NODE_ENV': '"development"' },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      rollupOptions: { input: fileURLToPath(new URL('./pages/react-session.ts', import.meta.url)), output: { codeSplitting: false } },
    },
  })) as Rollup.RollupOutput;
  script = output.output.find((chunk) => chunk.type === 'chunk')!.code;
});

/** The page, served from the reference server's origin (so /auth/* and its cookie work), signed in. */
async function signedInPage(s: Server, ctx: BrowserContext): Promise<Page> {
  await ctx.route(`${s.url}/react-session/`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<div id="root"></div><script type="module" src="page.js"></script>' }),
  );
  await ctx.route(`${s.url}/react-session/page.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: script }));
  const page = await ctx.newPage();
  await page.goto(`${s.url}/react-session/`);
  await page.waitForFunction(() => window.page !== undefined);
  expect(await page.evaluate(() => window.page.ready())).toBe('anonymous');
  await page.evaluate(() => window.page.signIn('alice', 'wonderland'));
  expect(await page.evaluate(() => window.page.status())).toBe('authenticated');
  return page;
}

const noLocks = (page: Page) =>
  // No refresh lock held or waited for; the one live instance keeps its presence lock.
  expect.poll(() => page.evaluate(() => window.page.locks()), { timeout: 5_000, interval: 50 }).toEqual({ held: 0, presence: 1, pending: 0 });

describe('React StrictMode and HMR in Chromium', () => {
  it("README's useSession hook under StrictMode: one channel, one subscription while mounted; none, and no refresh lock, after unmount", async () => {
    const s = await server();
    const page = await signedInPage(s, await context());

    await page.evaluate(() => window.page.mount());
    expect(await page.evaluate(() => window.page.text())).toBe('authenticated');
    const mounted = await page.evaluate(() => window.page.counts());
    expect(mounted.subscriptions).toBeGreaterThanOrEqual(2); // StrictMode subscribed, dropped it, subscribed again
    expect(mounted).toMatchObject({ subscribed: 1, open: 1, opened: 1 });

    const refreshes = served(s.stats, REFRESH);
    expect(await page.evaluate(() => window.page.refresh())).toBe('ok'); // under the Web Lock
    expect(served(s.stats, REFRESH)).toBe(refreshes + 1);
    expect(await page.evaluate(() => window.page.text())).toBe('authenticated');

    await page.evaluate(() => window.page.unmount());
    expect(await page.evaluate(() => window.page.counts())).toMatchObject({ subscribed: 0, open: 1, opened: 1 });
    await noLocks(page);
  });

  it('a hot update disposing the instance during a refresh: its channel closes at once, its lock is released, the next instance signs in', async () => {
    const s = await server();
    const ctx = await context();
    const page = await signedInPage(s, ctx);
    const held = await holdRefreshes(ctx);
    await page.evaluate(() => window.page.startRefresh());
    await held.reached(1);
    expect(await page.evaluate(() => window.page.locks())).toEqual({ held: 1, presence: 1, pending: 0 }); // the refresh holds the lock

    await page.evaluate(() => window.page.hotReplace());
    expect(await page.evaluate(() => window.page.pendingRefresh)).toBe('SessionEndedError');
    expect(await page.evaluate(() => window.page.counts())).toMatchObject({ open: 1, opened: 2 }); // only the new one's
    held.release();
    // The new instance's start-up: no other tab answers, so one refresh through the cookie.
    expect(await page.evaluate(() => window.page.ready())).toBe('authenticated');
    await noLocks(page);
    expect(s.stats.refreshReused).toBe(0);
  });
});
