/**
 * The server-rendered example apps, SvelteKit 2 (adapter-node) and Nuxt 4, built once per run
 * against the built package and mounted by the playground server under /sveltekit/ and /nuxt/
 * (playground/apps/ssr.ts), driven in Chromium as a person would. Beyond what the Vue and Svelte
 * apps are tested for: the server's HTML never holds a token, the guard sends an anonymous visitor
 * to the login page and back, and hydration reports no mismatch.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, served } from '../../harness/browser';
import { SSR_APP_NAMES, type SsrAppName } from '../../playground/apps/ssr';
import { REFRESH, expectClean, useBrowserSuite } from '../helpers/browser-suite';
import { answer, byTestId, consoleOf, logIn, openApp, openSecondTab, statusIs } from '../helpers/app-pages';

const { server, context } = useBrowserSuite();
const APPS = join(ROOT, 'playground/apps');
const BIN = join(ROOT, 'node_modules/.bin');

/** Each app's build, as `npm run build:apps` runs it, and the folder its server code lands in. */
const BUILDS: Record<SsrAppName, { build: () => void; serverDir: string }> = {
  sveltekit: {
    // SvelteKit reads its config from the working directory.
    build: () => execFileSync(join(BIN, 'vite'), ['build'], { cwd: join(APPS, 'sveltekit'), stdio: 'pipe' }),
    serverDir: join(APPS, 'sveltekit/build/server'),
  },
  nuxt: {
    build: () => execFileSync(join(BIN, 'nuxi'), ['build', join(APPS, 'nuxt')], { stdio: 'pipe', env: { ...process.env, NUXT_TELEMETRY_DISABLED: '1' } }),
    serverDir: join(APPS, 'nuxt/.output/server/chunks'),
  },
};

beforeAll(() => {
  // After the suite's own beforeAll, which builds the library the apps import.
  for (const name of SSR_APP_NAMES) BUILDS[name].build();
}, 120_000);

/** Everything the server's bundle holds, as text. */
function serverCode(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.m?js$/.test(file))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n');
}

/** Hydration problems as Vue and Svelte report them, in production builds too. */
const hydrationWarnings = (messages: string[]): string[] => messages.filter((m) => /hydrat/i.test(m));
const errorsIn = (messages: string[]): string[] => messages.filter((m) => /^(error|pageerror)/.test(m));

/** The access token the login answered, read from the response as the page received it. */
async function logInAndKeepToken(page: Page, username: string, password: string): Promise<string> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/login') && r.ok()), logIn(page, username, password)]);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

describe.each(SSR_APP_NAMES)('the %s app (SSR) in Chromium', (name) => {
  it('the server bundle creates no instance: the instance lives in the browser only', () => {
    const code = serverCode(BUILDS[name].serverDir);
    expect(code.length).toBeGreaterThan(1000);
    // The option names the apps pass to createAuthFetch, and the core's own channel prefix.
    expect(code).not.toMatch(/sessionHint|auth-fetch:/);
  });

  it('guards, logs in, calls the API, shares the session with a second tab and a reload, logs out in both; no token in the HTML, no hydration mismatch', async () => {
    const s = await server();
    const ctx = await context();
    const first = await openApp(ctx, `${s.url}/${name}/`);
    const firstConsole = consoleOf(first.page);

    // The guarded page, visited anonymously: the login page, remembering where to come back.
    await statusIs(first.page, 'anonymous');
    await first.page.waitForURL(`${s.url}/${name}/login?next=${name === 'nuxt' ? '/' : '%2F'}`);
    await logIn(first.page, 'bob', 'wonderland');
    await expect(byTestId(first.page, 'error').textContent()).resolves.toMatch(/^LoginError: Login refused: 401 \(\w+\)/);
    const token = await logInAndKeepToken(first.page, 'bob', 'builder');
    await statusIs(first.page, 'authenticated');
    await first.page.waitForURL(`${s.url}/${name}/`);
    expect(await byTestId(first.page, 'user').textContent()).toBe('bob');

    // What the server renders for this signed-in browser (its cookies sent): a shell, no token.
    const html = await (await ctx.request.get(`${s.url}/${name}/`)).text();
    expect(html).toContain('data-status="unknown"');
    expect(html).not.toContain(token);
    expect(html).not.toContain(token.split('.')[1]); // not even the claims

    expect(await answer(first.page, 'me')).toMatch(/^200 [\s\S]*"bob"/);
    await byTestId(first.page, 'title').fill(`from ${name}`);
    expect(await answer(first.page, 'post')).toMatch(new RegExp(`^201 [\\s\\S]*"from ${name}"`));

    // A second tab takes the session from the first without a refresh call; so does its reload.
    const refreshes = served(s.stats, REFRESH);
    const second = await openSecondTab(ctx, first.page);
    const secondConsole = consoleOf(second.page);
    await statusIs(second.page, 'authenticated');
    await second.page.reload();
    await statusIs(second.page, 'authenticated');
    expect(await answer(second.page, 'me')).toMatch(/^200 [\s\S]*"bob"/);
    expect(served(s.stats, REFRESH)).toBe(refreshes);

    // Logout in the first tab: both tabs go to the login page; a reload there stays anonymous.
    await byTestId(first.page, 'logout').click();
    for (const tab of [first, second]) {
      await statusIs(tab.page, 'anonymous');
      await tab.page.waitForURL(new RegExp(`/${name}/login\\?next=`));
    }
    await second.page.reload();
    await statusIs(second.page, 'anonymous');
    await expect(second.page.locator('input[name="username"]').isVisible()).resolves.toBe(true);

    expect(hydrationWarnings([...firstConsole, ...secondConsole])).toEqual([]);
    expectClean([first, second]);
  });

  it('an anonymous visit sends no refresh and logs nothing to the console, not even a 401 (sessionHint)', async () => {
    const s = await server();
    const page = await (await context()).newPage();
    const messages = consoleOf(page);
    await page.goto(`${s.url}/${name}/login`);
    await statusIs(page, 'anonymous');
    expect(served(s.stats, REFRESH)).toBe(0);
    expect(errorsIn(messages)).toEqual([]);
    expect(hydrationWarnings(messages)).toEqual([]);
  });
});
