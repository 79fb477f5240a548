/**
 * The Vue 3 and Svelte 5 example apps (playground/apps/), built once per run with Vite against the
 * built package and served by the playground server under /vue/ and /svelte/, driven in Chromium
 * through their own forms and buttons as a person would. Refreshes are counted on the server.
 * (Their type checks, vue-tsc and svelte-check, run in scripts/test.sh after the library build.)
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, appDir } from '../../playground/apps/builds';
import { served, watchErrors, type Tab } from '../../harness/browser';
import { REFRESH, expectClean, useBrowserSuite } from '../helpers/browser-suite';

const { server, context } = useBrowserSuite();

beforeAll(async () => {
  // After the suite's own beforeAll, which builds the library the apps resolve through `exports`.
  for (const name of APP_NAMES) await build({ configFile: join(appDir(name), 'vite.config.ts') });
});

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function statusIs(page: Page, status: 'anonymous' | 'authenticated'): Promise<void> {
  await byTestId(page, 'status').and(page.locator(`[data-status="${status}"]`)).waitFor({ timeout: 15_000 });
}

/** Clicks a button of the app and waits for the answer it shows. */
async function answer(page: Page, button: 'me' | 'post'): Promise<string> {
  const before = await byTestId(page, 'result').textContent();
  await byTestId(page, button).click();
  await page.waitForFunction(
    (old) => document.querySelector('[data-testid="result"]')?.textContent !== old,
    before,
    { timeout: 15_000 },
  );
  return (await byTestId(page, 'result').textContent()) ?? '';
}

/** Waits until the access token the tab shows is past its `exp` on the tab's clock. */
async function expired(page: Page): Promise<void> {
  await page.waitForFunction(
    () => Date.now() > Number(document.querySelector<HTMLElement>('[data-testid="expires"]')?.dataset.expiresAt ?? Infinity),
    undefined,
    { timeout: 15_000, polling: 100 },
  );
}

async function openApp(ctx: BrowserContext, url: string): Promise<Tab> {
  const tab = watchErrors(await ctx.newPage());
  await tab.page.goto(url);
  return tab;
}

describe.each(APP_NAMES)('the %s app in Chromium', (name) => {
  it('logs in, calls the API, shares the session with a second tab, refreshes once for both, logs out in both', async () => {
    const s = await server({ accessTtl: 5 });
    const ctx = await context();
    const first = await openApp(ctx, `${s.url}/${name}/`);
    await statusIs(first.page, 'anonymous');

    // The login form as a person fills it: a wrong password first, then bob (not the prefilled alice).
    await first.page.locator('input[name="username"]').fill('bob');
    await first.page.locator('input[name="password"]').fill('wonderland');
    await first.page.getByRole('button', { name: 'Log in' }).click();
    await expect(byTestId(first.page, 'error').textContent()).resolves.toMatch(/^LoginError: Login refused: 401 \(\w+\)/);
    await statusIs(first.page, 'anonymous');
    await first.page.locator('input[name="password"]').fill('builder');
    await first.page.getByRole('button', { name: 'Log in' }).click();
    await statusIs(first.page, 'authenticated');
    expect(await byTestId(first.page, 'user').textContent()).toBe('bob'); // the token's `sub`, from the state's claims
    expect(served(s.stats, 'POST /auth/login')).toBe(2);
    const startupRefreshes = served(s.stats, REFRESH); // the page's start-up before the login (no cookie yet)

    // "Open another tab": authenticated from the first tab over BroadcastChannel, without a refresh call.
    const [secondPage] = await Promise.all([ctx.waitForEvent('page'), byTestId(first.page, 'new-tab').click()]);
    const second = watchErrors(secondPage);
    await statusIs(second.page, 'authenticated');
    expect(served(s.stats, REFRESH)).toBe(startupRefreshes);

    expect(await answer(second.page, 'me')).toMatch(/^200 .*"bob"/);
    await byTestId(second.page, 'title').fill(`from ${name}`);
    expect(await answer(second.page, 'post')).toMatch(new RegExp(`^201 .*"from ${name}"`));
    expect(served(s.stats, 'POST /api/posts')).toBe(1);

    // Both tabs' token expires; both call the API at once: one refresh for the two of them.
    await expired(first.page);
    await expired(second.page);
    const [a, b] = await Promise.all([answer(first.page, 'me'), answer(second.page, 'me')]);
    expect([a, b]).toEqual([expect.stringMatching(/^200 /), expect.stringMatching(/^200 /)]);
    expect(served(s.stats, REFRESH)).toBe(startupRefreshes + 1);
    expect(s.stats.refreshReused).toBe(0);

    // Logout in the first tab reaches the second; a reload after it stays anonymous.
    await byTestId(first.page, 'logout').click();
    await statusIs(first.page, 'anonymous');
    await statusIs(second.page, 'anonymous');
    expect(served(s.stats, 'POST /auth/logout')).toBe(1);
    await second.page.reload();
    await statusIs(second.page, 'anonymous');
    await expect(second.page.locator('input[name="username"]').isVisible()).resolves.toBe(true);
    expectClean([first, second]);
  });
});
