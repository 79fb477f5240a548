/**
 * Start-up time of auth-fetch in Debian's Chromium: from `createAuthFetch(...)` to `ready` settling,
 * for the rows of `npm run bench` that issues 11 and 16 set goals for, beside a raw `fetch` of the
 * refresh endpoint on the same kind of fresh page. The page loads the built package as apps ship it
 * (`dist/index.production.js`) and uses its public API only.
 *
 * A loopback server serves the page and a refresh endpoint that answers after a fixed delay: 200
 * with a token when the request carries the session cookie, 401 without it. Every page load is in a
 * fresh browser context (its own cookies and BroadcastChannel), closed after it.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, ROOT } from '../harness/browser.js';
import { buildIfStale } from './build.js';
import { jwtFor } from '../harness/jwt.js';
import { median } from './bench-overhead.js';

/** Long enough to tell a refresh round trip apart from the page's own work; shorter than a real one. */
export const STARTUP_REFRESH_DELAY_MS = 30;
const SESSION_COOKIE = 'bench_session';
const TOKEN_TTL_SECONDS = 300;

/**
 * The page: times `createAuthFetch` → `ready`, then one bare POST to the refresh endpoint (not
 * counted as a refresh call) for the round trip that `ready` had to include. The page's `fetch`
 * adds `?tab=` to its refresh calls, so the server can count each page's refresh calls.
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>auth-fetch start-up</title>
<script type="module">
import { createAuthFetch } from '/lib/index.production.js';
const params = new URLSearchParams(location.search);
const tab = params.get('tab');
window.startup = (async () => {
  const start = performance.now();
  if (params.has('raw')) {
    // The baseline: a raw fetch of the refresh endpoint on the same fresh page, timed the same way.
    const response = await fetch('/auth/refresh?probe', { method: 'POST', credentials: 'include' });
    await response.text();
    const ms = performance.now() - start;
    return { readyMs: ms, roundTripMs: ms, status: 'raw ' + response.status };
  }
  // Every tab has the same refresh URL (tabs share a session only with the same one); its fetch
  // tags the call with the tab's name so that the server can count each tab's refresh calls.
  const tagged = (input, init) => fetch(String(input).endsWith('/auth/refresh') ? input + '?tab=' + tab : input, init);
  window.authFetch = createAuthFetch({ refresh: '/auth/refresh', fetch: tagged });
  const state = await window.authFetch.ready;
  const readyMs = performance.now() - start;
  const probeStart = performance.now();
  await (await fetch('/auth/refresh?probe', { method: 'POST', credentials: 'include' })).text();
  return { readyMs, roundTripMs: performance.now() - probeStart, status: state.status };
})();
</script>
`;

interface StartupServer {
  url: string;
  /** Refresh calls made by auth-fetch, by the page's `tab` name (the probe is not counted). */
  refreshCalls: Map<string, number>;
  close(): Promise<void>;
}

async function startStartupServer(): Promise<StartupServer> {
  const refreshCalls = new Map<string, number>();
  const library = join(ROOT, 'dist');

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/auth/refresh' && req.method === 'POST') {
      const tab = url.searchParams.get('tab');
      if (tab !== null) refreshCalls.set(tab, (refreshCalls.get(tab) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, STARTUP_REFRESH_DELAY_MS));
      const hasSession = (req.headers.cookie ?? '').split(/;\s*/).includes(`${SESSION_COOKIE}=1`);
      res.writeHead(hasSession ? 200 : 401, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(hasSession ? { accessToken: jwtFor(Date.now(), TOKEN_TTL_SECONDS), expiresIn: TOKEN_TTL_SECONDS } : { error: 'invalid_refresh_token' }));
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    // The built package's own files only (`/lib/index.js` and the chunks it imports).
    const name = /^\/lib\/([\w.-]+\.js)$/.exec(url.pathname)?.[1];
    if (name === undefined) {
      res.writeHead(404).end();
      return;
    }
    const body = await readFile(join(library, name));
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    res.end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refreshCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface PageLoad {
  readyMs: number;
  roundTripMs: number;
  status: string;
  refreshCalls: number;
}

export interface StartupFigure {
  /** Median `ready` time, ms. */
  ready: number;
  /** Median of each load's `ready` minus its refresh round trip, ms. */
  readyLessRoundTrip: number;
  /** Median refresh round trip measured by the same pages, ms. */
  roundTrip: number;
  /** Most refresh calls made by the measured tab in any load. */
  refreshCalls: number;
  /** Every status `ready` settled with (one expected). */
  statuses: string[];
}

export type StartupScenario = 'raw fetch of the refresh endpoint' | 'lone tab with a session' | 'lone tab without a session' | 'tab beside an authenticated tab';

export async function startupTimes(rounds: number): Promise<Record<StartupScenario, StartupFigure>> {
  buildIfStale();
  const server = await startStartupServer();
  const browser = await launchChromium();
  let pages = 0;
  /** Opens one tab of `context`, waits for its start-up and returns its figures. */
  const load = async (context: BrowserContext, query = ''): Promise<PageLoad> => {
    const tab = `t${++pages}`;
    const page = await context.newPage();
    await page.goto(`${server.url}/?tab=${tab}${query}`);
    const figures = await page.evaluate<Omit<PageLoad, 'refreshCalls'>>('window.startup');
    return { ...figures, refreshCalls: server.refreshCalls.get(tab) ?? 0 };
  };
  const inContext = async (cookies: { session: boolean }, run: (context: BrowserContext) => Promise<PageLoad>) => {
    const context = await newContext(browser, server.url, cookies);
    try {
      return await run(context);
    } finally {
      await context.close();
    }
  };
  const scenarios: Record<StartupScenario, () => Promise<PageLoad>> = {
    'raw fetch of the refresh endpoint': () => inContext({ session: true }, (context) => load(context, '&raw')),
    'lone tab with a session': () => inContext({ session: true }, load),
    'lone tab without a session': () => inContext({ session: false }, load),
    'tab beside an authenticated tab': () =>
      inContext({ session: true }, async (context) => {
        const first = await load(context);
        if (first.status !== 'authenticated') throw new Error(`the first tab settled ${first.status}, not authenticated`);
        return load(context);
      }),
  };
  try {
    const names = Object.keys(scenarios) as StartupScenario[];
    const loads = Object.fromEntries(names.map((name) => [name, [] as PageLoad[]])) as Record<StartupScenario, PageLoad[]>;
    // One warm-up load each (Chromium's caches, the JIT), then interleaved rounds as in the rest of the bench.
    for (const name of names) await scenarios[name]();
    for (let i = 0; i < rounds; i++) for (const name of names) loads[name].push(await scenarios[name]());
    const summary = (xs: PageLoad[]): StartupFigure => ({
      ready: median(xs.map((x) => x.readyMs)),
      readyLessRoundTrip: median(xs.map((x) => x.readyMs - x.roundTripMs)),
      roundTrip: median(xs.map((x) => x.roundTripMs)),
      refreshCalls: Math.max(...xs.map((x) => x.refreshCalls)),
      statuses: [...new Set(xs.map((x) => x.status))],
    });
    return Object.fromEntries(names.map((name) => [name, summary(loads[name])])) as Record<StartupScenario, StartupFigure>;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** A fresh context (cookies, BroadcastChannel), holding the session's refresh cookie when `cookies.session`. */
async function newContext(browser: Browser, url: string, cookies: { session: boolean }): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (cookies.session) await context.addCookies([{ name: SESSION_COOKIE, value: '1', url, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

/** The status `ready` must settle with in each scenario: a figure measured in another state is not that row. */
export const EXPECTED_STATUS: Record<StartupScenario, string> = {
  'raw fetch of the refresh endpoint': 'raw 200',
  'lone tab with a session': 'authenticated',
  'lone tab without a session': 'anonymous',
  'tab beside an authenticated tab': 'authenticated',
};
