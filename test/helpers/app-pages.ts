/**
 * Driving the example apps (playground/apps/) in Chromium through their own forms and buttons, by
 * the `data-testid`s every app shares: status, user, login, me, post, title, result, error,
 * expire, logout, new-tab, and for DPoP token-type, thumbprint, steal, stolen.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { watchErrors, type Tab } from '../../harness/browser';

export const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

export async function statusIs(page: Page, status: 'anonymous' | 'authenticated' | 'unknown'): Promise<void> {
  await byTestId(page, 'status').and(page.locator(`[data-status="${status}"]`)).waitFor({ timeout: 15_000 });
}

/** Clicks a button of the app and waits for the answer it shows. */
export async function answer(page: Page, button: 'me' | 'post'): Promise<string> {
  const before = await byTestId(page, 'result').textContent();
  await byTestId(page, button).click();
  await page.waitForFunction((old) => document.querySelector('[data-testid="result"]')?.textContent !== old, before, { timeout: 15_000 });
  return (await byTestId(page, 'result').textContent()) ?? '';
}

/** Fills the login form as a person would and submits it. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

export async function openApp(ctx: BrowserContext, url: string): Promise<Tab> {
  const tab = watchErrors(await ctx.newPage());
  await tab.page.goto(url);
  return tab;
}

/** Clicks "Open another tab" and returns the tab it opened. */
export async function openSecondTab(ctx: BrowserContext, first: Page): Promise<Tab> {
  const [page] = await Promise.all([ctx.waitForEvent('page'), byTestId(first, 'new-tab').click()]);
  return watchErrors(page);
}

/**
 * Every console message of the page, failed loads included (Chromium logs each 4xx answer as an
 * error: the red 401 in the console that `sessionHint` avoids), as "type: text".
 */
export function consoleOf(page: Page): string[] {
  const messages: string[] = [];
  page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
  return messages;
}

/** Whether the page is wider than its viewport (something pushed a card past the window's edge). */
export const overflowsViewport = (page: Page): Promise<boolean> =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
