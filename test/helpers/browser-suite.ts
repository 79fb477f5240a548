/**
 * What every browser test file shares: one Chromium per file, a fresh context per test, reference
 * servers started in-process on free ports, logged-in tabs of the playground, and the gates the
 * multi-tab cases use instead of delays. Call `useBrowserSuite()` at the top of a test file.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { start } from '../../playground/server';
import { buildIfStale } from '../../scripts/build';
import { launchChromium, openTab, waitForStatus, type Tab } from '../../harness/browser';

export type Server = Awaited<ReturnType<typeof start>>;

export const REFRESH = 'POST /auth/refresh';

/**
 * BROWSER_LIB=path/to/bundle.js serves that ESM bundle as /lib/index.js instead of dist/, e.g. to
 * check that a test catches a bug in an older build of the library.
 */
const LIB_OVERRIDE = process.env.BROWSER_LIB;

export interface BrowserSuite {
  /** A reference server on a free port, closed after the file. */
  server(options?: Parameters<typeof start>[0]): Promise<Server>;
  /** A fresh browser context (its own cookies, storage and tabs), closed after the test. */
  context(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  /** `n` tabs of one context, logged in through the first one, all `authenticated`. */
  loggedInTabs(url: string, n: number, ctx?: BrowserContext): Promise<Tab[]>;
}

export function useBrowserSuite(): BrowserSuite {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    // The page loads dist/; after an edit of src/ a direct `vitest run --project browser` would test a stale build.
    buildIfStale();
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

  async function context(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
    const c = await browser.newContext({ viewport });
    contexts.push(c);
    if (LIB_OVERRIDE) {
      await c.route('**/lib/index.js', (route) => route.fulfill({ path: LIB_OVERRIDE, contentType: 'text/javascript' }));
    }
    return c;
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

  return { server, context, loggedInTabs };
}

/** The pages must not have thrown or logged errors (a 401 the page expects is not logged as one). */
export function expectClean(tabs: Tab[]): void {
  expect(tabs.flatMap((t) => t.errors)).toEqual([]);
}

export const tokenOf = (page: Page): Promise<string | undefined> => page.evaluate(() => window.demo.state().accessToken);

/** The `iat` and `exp` claims of the tab's current access token. */
export const claimsOf = (page: Page): Promise<{ iat: number; exp: number }> =>
  page.evaluate(() => JSON.parse(atob(window.demo.state().accessToken!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { iat: number; exp: number });

/**
 * Waits until the wall clock is past the second the current token was issued in. JWT `exp` has a
 * one-second resolution, so a token refreshed within that second carries the same `exp` as the one
 * it replaces; auth-fetch must order such tokens otherwise, which has its own tests. The cases about
 * something else wait it out, so that each tests one thing.
 */
export async function pastIssueSecond(page: Page): Promise<void> {
  const { iat } = await claimsOf(page);
  await page.waitForFunction((at) => Date.now() >= at, (iat + 1) * 1000 + 50, { timeout: 5_000, polling: 100 });
}

/** Waits for the start of a wall-clock second, so that what follows likely fits in that second. */
export async function startOfSecond(page: Page): Promise<void> {
  await page.waitForFunction(() => Date.now() % 1000 < 50, undefined, { polling: 5 });
}

/**
 * Holds every `/auth/refresh` call of the context in the browser until `release()`, so that a test
 * can act while a refresh is in flight and every tab waits for it (a gate, not a delay).
 */
export async function holdRefreshes(
  ctx: BrowserContext,
): Promise<{ calls: () => number; reached: (n: number) => Promise<void>; pages: Page[]; release: () => void }> {
  const pages: Page[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await ctx.route('**/auth/refresh', async (route) => {
    pages.push(route.request().frame().page());
    await gate;
    await route.continue().catch(() => undefined); // its tab may be closed by now
  });
  /**
   * A tab emits refresh:start before its call leaves: inside the lock it first asks the other tabs
   * (up to peerTimeoutMs). So wait for the calls themselves, not only for the events.
   */
  const reached = async (n: number) => {
    for (const deadline = Date.now() + 15_000; pages.length < n && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  };
  return { calls: () => pages.length, reached, pages, release };
}

/** Waits until every tab has started a refresh (and so waits for the one in flight). */
export async function everyTabRefreshing(tabs: Tab[]): Promise<void> {
  for (const { page } of tabs) {
    await page.waitForFunction(() => window.demo.counts.refreshStarts > 0, undefined, { timeout: 15_000 });
  }
}
