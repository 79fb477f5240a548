/**
 * The Vue 3 and Svelte 5 example apps (playground/apps/), built once per run with Vite against the
 * built package and served by the playground server under /vue/ and /svelte/, driven in Chromium
 * through their own forms and buttons as a person would. Refreshes are counted on the server.
 * (Their type checks, vue-tsc and svelte-check, run in scripts/test.sh after the library build.)
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { decodeJwt } from 'jose';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, appDir } from '../../playground/apps/builds';
import { served } from '../../harness/browser';
import { REFRESH, expectClean, useBrowserSuite } from '../helpers/browser-suite';
import { answer, byTestId, consoleOf, logIn, openApp, openSecondTab, overflowsViewport, statusIs } from '../helpers/app-pages';

const { server, context } = useBrowserSuite();

beforeAll(async () => {
  // After the suite's own beforeAll, which builds the library the apps resolve through `exports`.
  for (const name of APP_NAMES) await build({ configFile: join(appDir(name), 'vite.config.ts') });
});

/** Waits until the access token the tab shows is past its `exp` on the tab's clock. */
async function expired(page: Page): Promise<void> {
  await page.waitForFunction(
    () => Date.now() > Number(document.querySelector<HTMLElement>('[data-testid="expires"]')?.dataset.expiresAt ?? Infinity),
    undefined,
    { timeout: 15_000, polling: 100 },
  );
}

/** The `Authorization` header of the page's next call to `/api/me`. */
async function nextAuthorization(page: Page): Promise<string | undefined> {
  const request = await page.waitForRequest((r) => new URL(r.url()).pathname === '/api/me');
  return (await request.allHeaders()).authorization;
}

/** Clicks "Steal the token" and returns what the app shows about the server's two replays. */
async function steal(page: Page): Promise<string> {
  await byTestId(page, 'steal').click();
  await byTestId(page, 'stolen').waitFor({ timeout: 15_000 });
  return (await byTestId(page, 'stolen').textContent()) ?? '';
}

/** The page the app shows an anonymous visitor: Vue's router guard sends it to /vue/login; Svelte has one page. */
const LOGIN_PATH = { vue: '/vue/login?next=/', svelte: '/svelte/' } as const;

describe.each(APP_NAMES)('the %s app in Chromium', (name) => {
  it('logs in, calls the API, shares the session with a second tab, refreshes once for both, logs out in both', async () => {
    const s = await server({ accessTtl: 5 });
    const ctx = await context();
    const first = await openApp(ctx, `${s.url}/${name}/`);
    await statusIs(first.page, 'anonymous');
    expect(first.page.url()).toBe(`${s.url}${LOGIN_PATH[name]}`);

    // The login form as a person fills it: a wrong password first, then bob (not the prefilled alice).
    await logIn(first.page, 'bob', 'wonderland');
    await expect(byTestId(first.page, 'error').textContent()).resolves.toMatch(/^LoginError: Login refused: 401 \(\w+\)/);
    await statusIs(first.page, 'anonymous');
    await logIn(first.page, 'bob', 'builder');
    await statusIs(first.page, 'authenticated');
    await first.page.waitForURL(`${s.url}/${name}/`); // Vue: back from the login page to `next`
    expect(await byTestId(first.page, 'user').textContent()).toBe('bob'); // the token's `sub`, from the state's claims
    expect(served(s.stats, 'POST /auth/login')).toBe(2);
    const startupRefreshes = served(s.stats, REFRESH); // the page's start-up before the login (none: no hint cookie yet)

    // "Open another tab": authenticated from the first tab over BroadcastChannel, without a refresh call.
    const second = await openSecondTab(ctx, first.page);
    await statusIs(second.page, 'authenticated');
    expect(served(s.stats, REFRESH)).toBe(startupRefreshes);

    expect(await answer(second.page, 'me')).toMatch(/^200 [\s\S]*"bob"/);
    await byTestId(second.page, 'title').fill(`from ${name}`);
    expect(await answer(second.page, 'post')).toMatch(new RegExp(`^201 [\\s\\S]*"from ${name}"`));
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

  it('an anonymous visit sends no refresh and logs nothing to the console, not even a 401 (sessionHint)', async () => {
    const s = await server();
    const page = await (await context()).newPage();
    const messages = consoleOf(page);
    await page.goto(`${s.url}/${name}/`);
    await statusIs(page, 'anonymous');
    expect(served(s.stats, REFRESH)).toBe(0);
    expect(messages.filter((m) => m.startsWith('error') || m.startsWith('pageerror'))).toEqual([]);
  });

  it('signed in, its hint cookie deleted (as a service on another port of the host can): a reload still signs in, with one refresh; after a logout, none', async () => {
    const s = await server();
    const tab = await openApp(await context(), `${s.url}/${name}/`);
    await logIn(tab.page, 'alice', 'wonderland');
    await statusIs(tab.page, 'authenticated');
    const deleteHint = () => tab.page.evaluate(() => (document.cookie = 'auth_hint=; Max-Age=0; Path=/'));
    await deleteHint();
    const before = served(s.stats, REFRESH);
    await tab.page.reload();
    await statusIs(tab.page, 'authenticated');
    expect(served(s.stats, REFRESH)).toBe(before + 1);

    await byTestId(tab.page, 'logout').click();
    await statusIs(tab.page, 'anonymous');
    await deleteHint(); // the server cleared it already; nothing changes
    const afterLogout = served(s.stats, REFRESH);
    await tab.page.reload();
    await statusIs(tab.page, 'anonymous');
    expect(served(s.stats, REFRESH)).toBe(afterLogout);
  });

  it('Expire costs one refresh; a long answer wraps inside the viewport; logout clears the last answer', async () => {
    const s = await server();
    const tab = await openApp(await context({ width: 420, height: 800 }), `${s.url}/${name}/`);
    await logIn(tab.page, 'alice', 'wonderland');
    await statusIs(tab.page, 'authenticated');

    // A 200-character title without a space: one long line of JSON in the answer.
    await byTestId(tab.page, 'title').fill('x'.repeat(200));
    expect(await answer(tab.page, 'post')).toMatch(/^201 /);
    expect(await overflowsViewport(tab.page)).toBe(false);

    const refreshes = served(s.stats, REFRESH);
    await byTestId(tab.page, 'expire').click();
    expect(await answer(tab.page, 'me')).toMatch(/^200 [\s\S]*"alice"/);
    expect(served(s.stats, REFRESH)).toBe(refreshes + 1);

    await byTestId(tab.page, 'logout').click();
    await statusIs(tab.page, 'anonymous');
    await expect(byTestId(tab.page, 'result').textContent()).resolves.toBe('Nothing yet.');
    expectClean([tab]);
  });

  it('with ?dpop=1 (DPOP=required): a DPoP token bound to the key shown, in both tabs; a stolen copy is refused as Bearer and without the key', async () => {
    const s = await server({ dpop: 'required' });
    const ctx = await context();
    const first = await openApp(ctx, `${s.url}/${name}/?dpop=1`);
    await statusIs(first.page, 'anonymous');
    await expect(byTestId(first.page, 'token-type').textContent()).resolves.toBe('—');
    // Vue's guard sent it to the login page: that URL keeps `?dpop=1`, for a reload there to sign too.
    expect(new URL(first.page.url()).searchParams.get('dpop')).toBe('1');
    await logIn(first.page, 'alice', 'wonderland'); // refused without a proof: the instance signs
    await statusIs(first.page, 'authenticated');
    // Vue: the login page kept `?dpop=1`, and went back to the page asked for with it.
    await first.page.waitForURL(`${s.url}/${name}/?dpop=1`);
    await expect(byTestId(first.page, 'token-type').textContent()).resolves.toBe('DPoP');
    const thumbprint = byTestId(first.page, 'thumbprint');
    await first.page.waitForFunction(() => /^[\w-]{43}$/.test(document.querySelector('[data-testid="thumbprint"]')?.textContent ?? ''));

    const sent = nextAuthorization(first.page);
    expect(await answer(first.page, 'me')).toMatch(/^200 [\s\S]*"alice"/);
    const [scheme, token] = (await sent)!.split(' ');
    expect(scheme).toBe('DPoP');
    // The thumbprint shown is that of the key the server bound the token to.
    expect(decodeJwt(token!)).toMatchObject({ cnf: { jkt: await thumbprint.textContent() }, token_type: 'DPoP' });

    // The server replays the token as a thief would: worth nothing without this browser's key.
    const stolen = await steal(first.page);
    expect(stolen).toContain('as Bearer: 401 invalid_token');
    expect(stolen).toContain('as DPoP, without the key: 401 invalid_dpop_proof');
    expect(served(s.stats, 'GET /api/me')).toBeGreaterThanOrEqual(3);

    // "Open another tab" opens it with DPoP too: the same key, so the shared token works there.
    const second = await openSecondTab(ctx, first.page);
    await statusIs(second.page, 'authenticated');
    await expect(byTestId(second.page, 'token-type').textContent()).resolves.toBe('DPoP');
    expect(await answer(second.page, 'me')).toMatch(/^200 [\s\S]*"alice"/);
    await expect(byTestId(second.page, 'thumbprint').textContent()).resolves.toBe(await thumbprint.textContent());
    // For a person to look at (git-ignored): the token type, the key and the two refusals.
    await first.page.screenshot({ path: fileURLToPath(new URL(`artifacts/${name}-dpop.png`, import.meta.url)), fullPage: true });
    expectClean([first, second]);
  });

  it('without ?dpop=1: a Bearer token, no key, and a stolen copy works from the server', async () => {
    const s = await server();
    const tab = await openApp(await context(), `${s.url}/${name}/`);
    await logIn(tab.page, 'alice', 'wonderland');
    await statusIs(tab.page, 'authenticated');
    await expect(byTestId(tab.page, 'token-type').textContent()).resolves.toBe('Bearer');
    await expect(byTestId(tab.page, 'thumbprint').count()).resolves.toBe(0);
    expect(await steal(tab.page)).toContain('as Bearer: 200');
    expectClean([tab]);
  });
});
