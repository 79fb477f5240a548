/**
 * `npm run bench`: figures, not tests. Every figure is measured in this run, and printed as a
 * Markdown table (for docs/benchmarks.md) with the machine it ran on:
 * 1. per-call overhead over the bare fetch underneath, with a stub fetch (no network): authFetch, ky,
 *    ofetch; in Node and in Chromium (bench-overhead.ts, bench-browser.ts);
 * 2. throughput against a real loopback node:http API (in a child process): raw fetch (with and
 *    without an AbortSignal), ky, authFetch;
 * 3. expiry storms: 1,000 concurrent requests with an expired / a refused token;
 * 4. start-up in Chromium, `createAuthFetch` to `ready`, for a lone tab with and without a session
 *    and for a tab opened beside an authenticated one (bench-startup.ts);
 * 5. bundle size, from scripts/size.ts;
 * 6. DPoP in Chromium: a proof per call beside the bearer path, and start-up with a session (bench-dpop.ts);
 * 7. the reference server under a login flood: `GET /api/me` p50/p95 idle and while 32 clients send
 *    wrong passwords (issue 18, bench-login-flood.ts), its own table after the first.
 * Rounds are interleaved across the contenders so that a noisy neighbour hurts them alike; medians.
 */
import './production-mode.js';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import ky from 'ky';
import { createAuthFetch, type AuthFetch } from '../src/index.js';
import { startApiServer } from '../harness/api-server.js';
import { browserOverhead } from './bench-browser.js';
import { EXPECTED_STATUS, STARTUP_REFRESH_DELAY_MS, startupTimes, type StartupFigure, type StartupScenario } from './bench-startup.js';
import { interleaved, median, overhead, type Spread } from './bench-overhead.js';
import { sizes } from './size.js';
import { dpopCosts, type DpopFigures } from './bench-dpop.js';
import { loginFloodBench } from './bench-login-flood.js';

const ROUNDS = 15;
const CALLS_PER_ROUND = 5_000;
const LOOPBACK_REQUESTS = 10_000;
const LOOPBACK_CONCURRENCY = 50;
const LOOPBACK_ROUNDS = 5;
const STORM = 1_000;
const STORM_ROUNDS = 5;
const STORM_REFRESH_DELAY_MS = 50;
/** Page loads per start-up scenario (each in a fresh browser context); the median is reported. */
const STARTUP_ROUNDS = 7;
/** Calls per round for the DPoP per-call figures: a proof (an ECDSA signature) costs ~100× a bare call. */
const DPOP_CALLS_PER_ROUND = 300;
/** Seconds per login-flood phase (idle, then flooding), for each of its two scenarios. */
const LOGIN_FLOOD_SECONDS = 5;

/** Requests per second for `total` GETs through `get`, `concurrency` at a time. */
const throughput = (get: () => Promise<unknown>) => async () => {
  let started = 0;
  const worker = async () => {
    while (started++ < LOOPBACK_REQUESTS) await get();
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: LOOPBACK_CONCURRENCY }, worker));
  return LOOPBACK_REQUESTS / ((performance.now() - start) / 1000);
};

/**
 * The loopback API in a child process (this file, with BENCH_SERVE=1): on its own core the server's
 * work does not eat into the client's, so the figures show the clients' cost, not the server's.
 */
async function serve() {
  const api = await startApiServer();
  // It records every request; do not let that grow.
  setInterval(() => {
    api.received.length = 0;
  }, 1000);
  process.send?.(api.url);
  process.on('disconnect', () => {
    void api.close().then(() => process.exit(0));
  });
}

async function remoteApi() {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_SERVE: '1' }, execArgv: process.execArgv });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => {
      if (typeof message === 'string') resolve(message);
      else reject(new Error(`the bench server sent ${JSON.stringify(message)} instead of its URL`));
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  return { url, close: () => child.disconnect() };
}

async function loopback() {
  const api = await remoteApi();
  const authFetch = createAuthFetch({ refresh: `${api.url}/auth/refresh`, trustedOrigins: [api.url], channel: false });
  await authFetch.ready;
  // Raw fetch and ky send a valid token by hand, so the server does the same work for all three.
  const { accessToken } = (await (await fetch(`${api.url}/auth/refresh`, { method: 'POST' })).json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}` };
  const url = `${api.url}/api/me`;
  const viaKy = ky.create({ headers });
  const check = (r: Response) => {
    if (r.status !== 200) throw new Error(`loopback answered ${r.status}`);
    return r.text();
  };
  const rps = await interleaved(
    {
      'raw fetch': throughput(async () => check(await fetch(url, { headers }))),
      // What authFetch passes on every request (so that logout can abort it): undici's cost of a signal alone.
      'raw fetch + AbortSignal': throughput(async () => check(await fetch(url, { headers, signal: new AbortController().signal }))),
      ky: throughput(() => viaKy.get(url).text()),
      authFetch: throughput(async () => check(await authFetch(url))),
    },
    LOOPBACK_ROUNDS,
  );
  authFetch.dispose();
  api.close();
  return rps;
}

/** Completion time (ms after start) of the slowest of `n` concurrent GETs. */
async function slowest(n: number, get: () => Promise<Response>) {
  const start = performance.now();
  const ends = await Promise.all(
    Array.from({ length: n }, async () => {
      const r = await get();
      if (r.status !== 200) throw new Error(`storm request answered ${r.status}`);
      await r.text();
      return performance.now() - start;
    }),
  );
  return Math.max(...ends);
}

async function storms() {
  const api = await startApiServer();
  const url = `${api.url}/api/me`;
  const refreshUrl = `${api.url}/auth/refresh`;
  // A refresh endpoint that takes 50 ms (a database and a signature): long enough to tell one
  // refresh round trip from several in the figures, and closer to production than 0.3 ms.
  api.refreshDelayMs = STORM_REFRESH_DELAY_MS;
  const roundTrips: number[] = [];
  for (let i = 0; i < 9; i++) {
    const start = performance.now();
    await (await fetch(refreshUrl, { method: 'POST' })).text();
    roundTrips.push(performance.now() - start);
  }
  const validToken = api.lastToken; // lives 300 s: the raw-fetch baseline's token
  const baseline = () => slowest(STORM, () => fetch(url, { headers: { authorization: `Bearer ${validToken}` } }));
  await baseline(); // opens the connections that every later storm reuses

  const make = async (extra: { leewayMs?: number } = {}) => {
    const authFetch = createAuthFetch({ refresh: refreshUrl, trustedOrigins: [api.url], channel: false, ...extra });
    await authFetch.ready;
    return authFetch;
  };
  const storm = async (authFetch: AuthFetch) => {
    api.refreshCalls = 0;
    const start = performance.now();
    let refreshed = NaN;
    authFetch.on((event) => {
      if (event.type === 'refresh:success') refreshed = performance.now() - start;
    });
    const ms = await slowest(STORM, () => authFetch(url));
    authFetch.dispose();
    return { refreshes: api.refreshCalls, slowest: ms, refreshed };
  };

  // Expired: 1 s tokens, left to expire for real; the clients know, so they refresh before sending.
  api.ttl = 1;
  const expiring = await Promise.all(Array.from({ length: STORM_ROUNDS }, () => make({ leewayMs: 0 })));
  api.ttl = 300;
  await new Promise((r) => setTimeout(r, 1100));
  type Run = { refreshes: number; slowest: number; refreshed: number };
  const runs = { baseline: [] as number[], expired: [] as Run[], refused: [] as Run[] };
  for (const client of expiring) {
    runs.baseline.push(await baseline());
    runs.expired.push(await storm(client));
    // Refused: the server revokes a token the client still thinks valid: 1,000 401s, one refresh, 1,000 replays.
    const refusing = await make();
    api.revoked.add(api.lastToken);
    runs.refused.push(await storm(refusing));
  }
  await api.close();
  const summary = (xs: Run[]) => ({
    refreshes: Math.max(...xs.map((x) => x.refreshes)),
    slowest: median(xs.map((x) => x.slowest)),
    refreshed: median(xs.map((x) => x.refreshed)),
  });
  return { refreshRtt: median(roundTrips), baseline: median(runs.baseline), expired: summary(runs.expired), refused: summary(runs.refused) };
}

const machine = () => {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  return `${availableParallelism()} × ${cpu}, Node ${process.version}`;
};

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The start-up rows; the goals are issue 11's. */
function startupRows(startup: Record<StartupScenario, StartupFigure> | undefined): string[][] {
  const where = `start-up, createAuthFetch → ready, Chromium (refresh answers after ${STARTUP_REFRESH_DELAY_MS} ms, median of ${STARTUP_ROUNDS} page loads)`;
  if (!startup) return [[where, 'n/a (no /usr/bin/chromium)', '']];
  const raw = startup['raw fetch of the refresh endpoint'];
  const session = startup['lone tab with a session'];
  const none = startup['lone tab without a session'];
  const beside = startup['tab beside an authenticated tab'];
  return [
    [`${where}: raw fetch of the refresh endpoint on a fresh page (the baseline)`, `${fmt(raw.ready)} ms`, ''],
    [`${where}: lone tab with a session: ready · raw fetch`, `${fmt(session.ready)} ms · ${fmt(raw.ready)} ms`, `ready − raw fetch: ${fmt(session.ready - raw.ready)} ms (goal ≤ 5 ms)`],
    [`${where}: lone tab without a session: ready − refresh round trip`, `${fmt(none.readyLessRoundTrip)} ms`, `goal ≤ 5 ms (ready ${fmt(none.ready)} ms, round trip ${fmt(none.roundTrip)} ms)`],
    [`${where}: tab beside an authenticated tab: ready · its refresh calls`, `${fmt(beside.ready)} ms · ${beside.refreshCalls}`, 'goal ≤ 10 ms and 0 calls'],
  ];
}

/** A `catch` handler for an optional figure: prints why it is missing and leaves it out of the table. */
const reportedAs = (what: string) => (error: unknown) => {
  console.error(`${what}: ${String(error)}`);
  return undefined;
};

async function main() {
  const us = await overhead(ROUNDS, CALLS_PER_ROUND);
  const inBrowser = await browserOverhead(ROUNDS, CALLS_PER_ROUND).catch(reportedAs('Chromium'));
  const startup = await startupTimes(STARTUP_ROUNDS).catch(reportedAs('Chromium start-up'));
  const rps = await loopback();
  const storm = await storms();
  const size = await sizes().catch(reportedAs('size'));
  const dpop = await dpopCosts(STARTUP_ROUNDS, DPOP_CALLS_PER_ROUND).catch(reportedAs('Chromium DPoP'));
  report({ us, inBrowser, startup, rps, storm, size, dpop });
  // Last and alone: a flood takes the CPU, which would skew any figure measured beside it.
  console.log('');
  await loginFloodBench(LOGIN_FLOOD_SECONDS).catch(reportedAs('login flood'));
}

interface Figures {
  us: Record<string, Spread>;
  inBrowser: Record<string, Spread> | undefined;
  startup: Record<StartupScenario, StartupFigure> | undefined;
  rps: Record<string, Spread>;
  storm: Awaited<ReturnType<typeof storms>>;
  size: Awaited<ReturnType<typeof sizes>> | undefined;
  dpop: DpopFigures | undefined;
}

/** The DPoP rows: per call beside the bearer path, and start-up with a session. */
function dpopRows(dpop: DpopFigures | undefined): string[][] {
  const where = `DPoP, Chromium (median of ${STARTUP_ROUNDS} rounds)`;
  if (!dpop) return [[where, 'n/a (no /usr/bin/chromium)', '']];
  const bearer = dpop.perCall['authFetch, bearer'].median;
  const perCall = Object.entries(dpop.perCall).map(([name, v]) => [
    `${where}, per call over a stub fetch: ${name}`,
    `${fmt(v.median, 0)} µs (rounds ${fmt(v.min, 0)}–${fmt(v.max, 0)})`,
    name === 'authFetch, bearer' ? 'bearer path' : `+${fmt(v.median - bearer, 0)} µs over the bearer path`,
  ]);
  const { bearer: bearerStart, DPoP: dpopStart } = dpop.startup;
  return [
    ...perCall,
    [`${where}, start-up with a session, createAuthFetch → ready: bearer · DPoP`, `${fmt(bearerStart.median)} ms · ${fmt(dpopStart.median)} ms`, 'DPoP: key from IndexedDB, one nonce bounce, refresh with a proof'],
  ];
}

function report({ us, inBrowser, startup, rps, storm, size, dpop }: Figures) {
  const raw = rps['raw fetch']!.median;
  const range = (r: Spread, digits: number) => ` (rounds ${fmt(r.min, digits)}–${fmt(r.max, digits)})`;
  const n = (x: number) => x.toLocaleString('en-US');
  const perCallRows = (where: string, figures: Record<string, Spread>) => {
    const bare = figures['bare stub fetch']!.median;
    const added = (name: string) => figures[name]!.median - bare;
    return [
      ...Object.entries(figures).map(([name, v]) => [
        `per call, stub fetch, ${where}: ${name}`,
        `${fmt(v.median, 2)} µs${range(v, 1)}`,
        name === 'bare stub fetch' ? '1.00×' : `${fmt(v.median / bare, 2)}× (+${fmt(v.median - bare, 2)} µs)`,
      ]),
      [`per call, stub fetch, ${where}: authFetch's overhead ÷ ofetch's`, `${fmt(added('authFetch') / added('ofetch'), 2)}`, 'goal ≤ 0.50 (issue 16)'],
    ];
  };
  const rows: string[][] = [
    ...perCallRows('Node', us),
    ...(inBrowser ? perCallRows('Chromium', inBrowser) : [['per call, stub fetch, Chromium', 'n/a (no /usr/bin/chromium)', '']]),
    ...Object.entries(rps).map(([name, v]) => [
      `loopback, ${n(LOOPBACK_REQUESTS)} GETs ${LOOPBACK_CONCURRENCY} at a time: ${name}`,
      `${fmt(v.median, 0)} req/s${range(v, 0)}`,
      `${fmt(v.median / raw, 2)}× raw fetch`,
    ]),
    [`one refresh round trip, alone (endpoint answers after ${STORM_REFRESH_DELAY_MS} ms)`, `${fmt(storm.refreshRtt)} ms`, ''],
    [`slowest of ${n(STORM)} concurrent GETs, valid token, raw fetch`, `${fmt(storm.baseline)} ms`, 'baseline'],
    ...(
      [
        ['expired token (refresh first)', storm.expired, 1],
        ['refused token (401s, refresh, replays)', storm.refused, 2],
      ] as const
    ).map(([what, s, trips]) => [
      `storm of ${n(STORM)} GETs, ${what}: refresh calls · slowest`,
      `${s.refreshes} · ${fmt(s.slowest)} ms`,
      `refresh done at ${fmt(s.refreshed)} ms (${fmt(s.refreshed / storm.refreshRtt, 2)} round trips); slowest − ${trips === 1 ? '' : '2 × '}baseline: ${fmt(s.slowest - trips * storm.baseline)} ms`,
    ]),
    ...startupRows(startup),
    ['min+gzip: auth-fetch core (dist/index.js)', size ? `${n(size.core)} B` : 'n/a (npm run build)', size ? `${fmt(size.core / size.ky, 2)}× ky` : ''],
    ['min+gzip: ky', size ? `${n(size.ky)} B` : 'n/a', ''],
    ['min+gzip: auth-fetch-tabs/dpop (dist/dpop.js), dpop counted', size ? `${n(size.dpopEntry)} B` : 'n/a', size ? `${n(size.dpopOwn)} B without dpop; apart from the core` : ''],
    ...dpopRows(dpop),
  ];

  console.log(`\n${machine()}\n`);
  console.log('| measure | value | relative |\n| --- | --: | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  const wrongStatus = Object.entries(startup ?? {}).filter(([name, f]) => f.statuses.join() !== EXPECTED_STATUS[name as StartupScenario]);
  for (const [name, f] of wrongStatus) console.error(`\nStart-up, ${name}: ready settled ${f.statuses.join(' and ')}, expected ${EXPECTED_STATUS[name as StartupScenario]}.`);
  if (wrongStatus.length > 0) process.exitCode = 1;
  if (storm.expired.refreshes !== 1 || storm.refused.refreshes !== 1) {
    console.error('\nA storm made more than one refresh call: it must be exactly 1.');
    process.exitCode = 1;
  }
}

if (process.env.BENCH_SERVE === '1') await serve();
else await main();
