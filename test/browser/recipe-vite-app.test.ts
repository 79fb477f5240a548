/**
 * A user's first hour, in Chromium: the Vite `vanilla-ts` app made from the documentation alone
 * (README's quick start and vite.config.ts, docs/recipes/vanilla.md's page; see
 * test/helpers/vite-app.ts) served by Vite's dev server, whose proxy sends `/auth` and `/api` to
 * the reference server, which allows the dev server's origin as README says. Signs in through the
 * form, calls the API, shares the session with a second tab, signs out in both.
 */
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { served, watchErrors } from '../../harness/browser';
import { REFRESH, useBrowserSuite } from '../helpers/browser-suite';
import { writeViteApp, type ViteApp } from '../helpers/vite-app';

const { server, context } = useBrowserSuite();
let app: ViteApp | undefined;
let vite: ViteDevServer | undefined;
afterAll(async () => {
  await vite?.close();
  app?.remove();
});

/** A port free now, for the dev server: the reference server must know its origin before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

const visible = (page: Page, selector: string) => page.locator(selector).waitFor({ state: 'visible', timeout: 15_000 });

/** Clicks a button of the page and returns the JSON answer it shows. */
async function answer(page: Page, button: string): Promise<unknown> {
  await page.locator('#answer').evaluate((pre) => (pre.textContent = ''));
  await page.locator(button).click();
  await page.waitForFunction(() => document.querySelector('#answer')?.textContent !== '', undefined, { timeout: 15_000 });
  return JSON.parse((await page.locator('#answer').textContent()) ?? '');
}

describe("the documentation's Vite vanilla-ts app against the reference server", () => {
  it('signs in through the form, calls /api/me and posts through the proxy, shares the session with a second tab, signs out in both', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const devOrigin = `http://localhost:${port}`;
    // README: `ALLOWED_ORIGINS=http://localhost:5173 npm run playground`, here with the dev server's port.
    const api = await server({ allowedOrigins: [devOrigin] });
    app = writeViteApp(api.url);
    vite = await createServer({ root: app.dir, configFile: join(app.dir, 'vite.config.ts'), logLevel: 'error', server: { port, strictPort: true } });
    await vite.listen();

    // The proxy forwards the browser's Origin unchanged: an origin the server does not know is refused.
    const login = (origin: string) =>
      fetch(`${devOrigin}/auth/login`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      });
    const foreign = await login('http://localhost:1');
    expect([foreign.status, ((await foreign.json()) as { error?: string }).error]).toEqual([403, 'origin_not_allowed']);

    const ctx = await context();
    const first = watchErrors(await ctx.newPage());
    await first.page.goto(`${devOrigin}/`);
    await visible(first.page, '#login-form');
    await first.page.locator('input[name="username"]').fill('alice');
    await first.page.locator('input[name="password"]').fill('nope');
    await first.page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => first.page.locator('#login-error').textContent()).toBe('401: invalid_credentials');
    await first.page.locator('input[name="password"]').fill('wonderland');
    await first.page.getByRole('button', { name: 'Log in' }).click();
    await visible(first.page, '#signed-in');
    expect(await first.page.locator('#login-form').isHidden()).toBe(true);
    expect(await first.page.locator('#user-name').textContent()).toBe('alice');

    expect(await answer(first.page, '#load-me')).toMatchObject({ id: 'alice' });
    const postSent = first.page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/api/posts'));
    expect(await answer(first.page, '#new-post')).toMatchObject({ title: 'Hello from every tab' });
    expect((await postSent).headers()['content-type']).toBe('application/json');
    expect(served(api.stats, 'POST /api/posts')).toBe(1);

    // A second tab is signed in from the first, without a refresh call of its own.
    const refreshes = served(api.stats, REFRESH);
    const second = watchErrors(await ctx.newPage());
    await second.page.goto(`${devOrigin}/`);
    await visible(second.page, '#signed-in');
    expect(served(api.stats, REFRESH)).toBe(refreshes);

    await second.page.locator('#logout').click();
    await visible(first.page, '#login-form');
    await visible(second.page, '#login-form');
    expect(await first.page.locator('#answer').textContent()).toBe('');
    expect([...first.errors, ...second.errors]).toEqual([]);
  });
});
