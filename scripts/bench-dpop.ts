/**
 * What DPoP costs, in Debian's Chromium, for `npm run bench`: (1) a proof per call, authFetch with
 * `createDpop()` beside the bearer path over the same stub fetch, and a proof alone; (2) start-up,
 * `createAuthFetch` → `ready` with a session: with DPoP that is the key read from IndexedDB, a
 * refresh bounced once for the server's nonce (a new page knows none) and the refresh itself,
 * beside the bearer start-up. The page is the playground's, served by the reference server
 * (DPOP=optional), and loads the built package (`dist/`); rounds are interleaved, medians reported.
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../harness/browser.js';
import { start } from '../playground/server.js';
import { buildIfStale } from './build.js';
import { spread, type Spread } from './bench-overhead.js';

export interface DpopFigures {
  /** µs per call over a stub fetch: bearer authFetch, DPoP authFetch, and one proof alone. */
  perCall: Record<'authFetch, bearer' | 'authFetch, DPoP' | 'proof alone (createDpop().headers)', Spread>;
  /** ms from createAuthFetch to ready, with a session. */
  startup: Record<'bearer' | 'DPoP', Spread>;
}

/** One round of per-call figures, in the page (a string: tsx would compile a function with helpers the page lacks). */
const perCallRound = (calls: number) => `(async () => {
  const { createAuthFetch } = await import('/lib/index.js');
  const { createDpop } = await import('/lib/dpop.js');
  const b64url = (v) => btoa(JSON.stringify(v)).replace(/=+$/, '').replace(/\\+/g, '-').replace(/\\//g, '_');
  const token = b64url({ alg: 'none' }) + '.' + b64url({ exp: 4000000000 }) + '.x';
  const stub = async () => new Response('ok');
  const common = { trustedOrigins: [location.origin], channel: false, fetch: stub };
  const dpop = createDpop({ database: 'bench' });
  window.benchClients ??= {
    bearer: createAuthFetch({ ...common, refresh: async () => ({ accessToken: token }) }),
    dpop: createAuthFetch({ ...common, refresh: async () => ({ accessToken: token, tokenType: 'DPoP' }), dpop }),
    proof: dpop,
  };
  const { bearer, dpop: bound, proof } = window.benchClients;
  await bearer.ready;
  await bound.ready;
  const url = location.origin + '/api/me';
  const time = async (call) => {
    const t0 = performance.now();
    for (let i = 0; i < ${calls}; i++) await call();
    return ((performance.now() - t0) * 1000) / ${calls};
  };
  return {
    'authFetch, bearer': await time(async () => (await bearer(url)).text()),
    'authFetch, DPoP': await time(async () => (await bound(url)).text()),
    'proof alone (createDpop().headers)': await time(() => proof.headers({ method: 'GET', url, accessToken: token })),
  };
})()`;

/** One start-up in the page: a new instance of its own (no tab channel), with the page's session. */
const startupRound = (withDpop: boolean) => `(async () => {
  const { createAuthFetch } = await import('/lib/index.js');
  const dpop = ${withDpop} ? (await import('/lib/dpop.js')).createDpop() : undefined;
  const t0 = performance.now();
  const authFetch = createAuthFetch({ refresh: '/auth/refresh', channel: false, ...(dpop ? { dpop } : {}) });
  const state = await authFetch.ready;
  const ms = performance.now() - t0;
  authFetch.dispose();
  return { ms, status: state.status, tokenType: state.tokenType };
})()`;

async function loggedInPage(newPage: () => Promise<Page>, url: string): Promise<Page> {
  const page = await newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.demo?.isReady === true);
  const login = await page.evaluate(() => window.demo.login());
  if (!login.ok) throw new Error(`bench-dpop: login failed (${login.status})`);
  return page;
}

export async function dpopCosts(rounds: number, callsPerRound: number): Promise<DpopFigures> {
  buildIfStale();
  const server = await start({ port: 0, dpop: 'optional' });
  const browser = await launchChromium();
  try {
    const bearerPage = await loggedInPage(async () => (await browser.newContext()).newPage(), `${server.url}/`);
    const dpopPage = await loggedInPage(async () => (await browser.newContext()).newPage(), `${server.url}/?dpop=1`);
    const perCall: Record<string, number[]> = {};
    const startup: Record<'bearer' | 'DPoP', number[]> = { bearer: [], DPoP: [] };
    const startupOf = async (page: Page, withDpop: boolean) => {
      const result = await page.evaluate<{ ms: number; status: string; tokenType?: string }>(startupRound(withDpop));
      const expected = withDpop ? 'DPoP' : 'Bearer';
      if (result.status !== 'authenticated' || result.tokenType !== expected) throw new Error(`bench-dpop: start-up settled ${result.status} ${result.tokenType}, expected authenticated ${expected}`);
      return result.ms;
    };
    // One warm-up each (JIT, caches), then interleaved rounds.
    await dpopPage.evaluate(perCallRound(callsPerRound));
    await startupOf(bearerPage, false);
    await startupOf(dpopPage, true);
    for (let i = 0; i < rounds; i++) {
      for (const [name, us] of Object.entries(await dpopPage.evaluate<Record<string, number>>(perCallRound(callsPerRound)))) (perCall[name] ??= []).push(us);
      startup.bearer.push(await startupOf(bearerPage, false));
      startup.DPoP.push(await startupOf(dpopPage, true));
    }
    return {
      perCall: Object.fromEntries(Object.entries(perCall).map(([name, xs]) => [name, spread(xs)])) as DpopFigures['perCall'],
      startup: { bearer: spread(startup.bearer), DPoP: spread(startup.DPoP) },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

if (process.argv[1]?.endsWith('bench-dpop.ts')) {
  console.log(JSON.stringify(await dpopCosts(Number(process.env.ROUNDS ?? 7), Number(process.env.CALLS ?? 300)), null, 2));
}
